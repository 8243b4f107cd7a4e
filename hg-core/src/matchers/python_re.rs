//! Python `re` (bytes patterns, CPython 3.11) syntax, re-emitted for the
//! `regex` crate with the same meaning.
//!
//! Mercurial compiles its patterns with Python's `re`; the `regex` crate
//! reads some of the same text differently (`{` literals, `[` inside a
//! class, `$` before a final newline, `\Z`, octal escapes...) and lacks
//! some features (backreferences, lookaround). This module parses the text
//! exactly as `re._parser` does and either emits an equivalent `regex`
//! pattern, reports [`ReError::Invalid`] when Python certainly rejects the
//! text, or [`ReError::Unsupported`] when we cannot be sure to behave the
//! same (the caller then lets Python do the matching).

/// Why a Python regex could not be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReError {
    /// Python's `re` raises `re.error` for this text.
    Invalid(String),
    /// Valid or not, we cannot reproduce Python's behaviour exactly.
    Unsupported(String),
}

/// Inline flags that change matching (Python `re` flag letters we support).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    ignore_case: bool,
    multiline: bool,
    dot_all: bool,
}

/// A `regex`-crate-independent description of a Python regex.
#[derive(Debug, Clone)]
enum Node {
    Literal(u8),
    Any,
    /// `\d \D \s \S \w \W` (ASCII meaning for bytes patterns).
    Category(u8),
    Class {
        negate: bool,
        items: Vec<ClassItem>,
    },
    /// `^`
    Start,
    /// `$`
    End,
    /// `\A`
    StartText,
    /// `\Z`
    EndText,
    /// `\b` (true) or `\B` (false)
    WordBoundary(bool),
    Group {
        /// Flags switched on and off by `(?i-s:...)`.
        on: Flags,
        off: Flags,
        alts: Vec<Vec<Node>>,
    },
    Repeat {
        min: u32,
        max: Option<u32>,
        body: Box<Node>,
    },
}

#[derive(Debug, Clone)]
enum ClassItem {
    Byte(u8),
    Range(u8, u8),
    Category(u8),
}

impl Node {
    /// Python's `AT` opcodes, which cannot be repeated.
    fn is_anchor(&self) -> bool {
        matches!(
            self,
            Node::Start | Node::End | Node::StartText | Node::EndText | Node::WordBoundary(_)
        )
    }
}

/// Largest `{m,n}` count we translate; Python handles larger ones.
const MAX_COUNTED_REPEAT: u64 = 1000;

/// CPython's MAXREPEAT (4294967295): counts at or above it overflow.
const MAXREPEAT: u64 = u32::MAX as u64;

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    global: Flags,
    /// Whether a global flag group `(?i)` was seen.
    saw_global: bool,
    /// Names of `(?P<name>...)` groups so far (Python rejects duplicates).
    group_names: Vec<Vec<u8>>,
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, ReError> {
    Err(ReError::Invalid(msg.into()))
}

fn unsupported<T>(msg: impl Into<String>) -> Result<T, ReError> {
    Err(ReError::Unsupported(msg.into()))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `_parse_sub`: alternatives up to an unmatched `)` or the end.
    fn parse_alts(&mut self, nested: bool) -> Result<Vec<Vec<Node>>, ReError> {
        let mut alts = Vec::new();
        loop {
            let first = !nested && alts.is_empty();
            alts.push(self.parse_seq(first)?);
            if !self.eat(b'|') {
                break;
            }
        }
        Ok(alts)
    }

    /// `_parse`: one alternative.
    fn parse_seq(&mut self, first: bool) -> Result<Vec<Node>, ReError> {
        let mut seq: Vec<Node> = Vec::new();
        // Whether the last item came from a quantifier (for "multiple repeat").
        let mut last_is_repeat = false;
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            self.pos += 1;
            match c {
                b'\\' => {
                    let node = self.parse_escape()?;
                    seq.push(node);
                    last_is_repeat = false;
                }
                b'[' => {
                    let node = self.parse_class()?;
                    seq.push(node);
                    last_is_repeat = false;
                }
                b'.' => {
                    seq.push(Node::Any);
                    last_is_repeat = false;
                }
                b'^' => {
                    seq.push(Node::Start);
                    last_is_repeat = false;
                }
                b'$' => {
                    seq.push(Node::End);
                    last_is_repeat = false;
                }
                b'*' | b'+' | b'?' | b'{' => {
                    let here = self.pos;
                    let (min, max) = match c {
                        b'*' => (0, None),
                        b'+' => (1, None),
                        b'?' => (0, Some(1)),
                        _ => match self.parse_braces()? {
                            Some(r) => r,
                            None => {
                                self.pos = here;
                                seq.push(Node::Literal(b'{'));
                                last_is_repeat = false;
                                continue;
                            }
                        },
                    };
                    let item = match seq.pop() {
                        Some(item) if !item.is_anchor() => item,
                        _ => return invalid("nothing to repeat"),
                    };
                    if last_is_repeat {
                        return invalid("multiple repeat");
                    }
                    if !self.eat(b'?') && self.peek() == Some(b'+') {
                        return unsupported("possessive quantifier");
                    }
                    seq.push(Node::Repeat {
                        min,
                        max,
                        body: Box::new(item),
                    });
                    last_is_repeat = true;
                }
                b'(' => {
                    if let Some(node) = self.parse_group(first && seq.is_empty())? {
                        seq.push(node);
                        last_is_repeat = false;
                    }
                }
                _ => {
                    seq.push(Node::Literal(c));
                    last_is_repeat = false;
                }
            }
        }
        Ok(seq)
    }

    /// After `{`: `Some((min, max))` for a valid repeat, `None` when Python
    /// takes the brace literally.
    fn parse_braces(&mut self) -> Result<Option<(u32, Option<u32>)>, ReError> {
        if self.peek() == Some(b'}') {
            return Ok(None);
        }
        let digits = |p: &mut Self| {
            let start = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.src[start..p.pos].to_vec()
        };
        let lo = digits(self);
        let hi = if self.eat(b',') {
            digits(self)
        } else {
            lo.clone()
        };
        if !self.eat(b'}') {
            return Ok(None);
        }
        let number = |d: &[u8]| -> Result<Option<u64>, ReError> {
            if d.is_empty() {
                return Ok(None);
            }
            // Python raises OverflowError (not re.error) past MAXREPEAT.
            let n = std::str::from_utf8(d)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|&n| n < MAXREPEAT);
            match n {
                Some(n) => Ok(Some(n)),
                None => unsupported("repetition number too large"),
            }
        };
        let min = number(&lo)?.unwrap_or(0);
        let max = number(&hi)?;
        if let Some(max) = max {
            if max < min {
                return invalid("min repeat greater than max repeat");
            }
        }
        if min > MAX_COUNTED_REPEAT || max.is_some_and(|m| m > MAX_COUNTED_REPEAT) {
            // Valid for Python, but an automaton that large is not worth
            // building (nor its compile time).
            return unsupported("large counted repetition");
        }
        Ok(Some((min as u32, max.map(|m| m as u32))))
    }

    /// After `(`: a group, or `None` for comments and global flags.
    fn parse_group(&mut self, at_start: bool) -> Result<Option<Node>, ReError> {
        let mut on = Flags::default();
        let mut off = Flags::default();
        if self.eat(b'?') {
            let Some(c) = self.peek() else {
                return invalid("unexpected end of pattern");
            };
            self.pos += 1;
            match c {
                b':' => {}
                b'#' => loop {
                    match self.peek() {
                        None => return invalid("missing ), unterminated comment"),
                        Some(b')') => {
                            self.pos += 1;
                            return Ok(None);
                        }
                        Some(_) => self.pos += 1,
                    }
                },
                b'P' if self.eat(b'<') => self.parse_group_name()?,
                b'P' => return unsupported("named backreference"),
                b'=' | b'!' | b'<' | b'(' | b'>' => {
                    return unsupported("lookaround, conditional or atomic group")
                }
                b'a' | b'i' | b'L' | b'm' | b's' | b'u' | b'x' | b't' | b'-' => {
                    self.pos -= 1;
                    let global = self.parse_flags(&mut on, &mut off)?;
                    if global {
                        if !at_start {
                            return invalid("global flags not at the start of the expression");
                        }
                        self.global = merge(self.global, on, Flags::default());
                        self.saw_global = true;
                        return Ok(None);
                    }
                }
                _ => return invalid("unknown extension"),
            }
        }
        let alts = self.parse_alts(true)?;
        if !self.eat(b')') {
            return invalid("missing ), unterminated subpattern");
        }
        Ok(Some(Node::Group { on, off, alts }))
    }

    /// After `(?P<`: the group's name and `>`. ASCII identifiers, each
    /// used once, make an ordinary group; other ASCII names are Python
    /// errors; non-ASCII ones (a warning or an error) are left to Python.
    fn parse_group_name(&mut self) -> Result<(), ReError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c != b'>') {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        if !self.eat(b'>') {
            return invalid("missing >, unterminated name");
        }
        if !name.is_ascii() {
            // Python 3.11 warns (DeprecationWarning) or rejects, by
            // `str.isidentifier` of the latin-1 text.
            return unsupported("non-ASCII group name");
        }
        let identifier = name
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if !identifier {
            return invalid("bad character in group name");
        }
        if self.group_names.iter().any(|n| n == name) {
            return invalid("redefinition of group name");
        }
        self.group_names.push(name.to_vec());
        Ok(())
    }

    /// `_parse_flags`: returns true for global flags `(?i)`, false for a
    /// scoped group `(?i-s:` (the `:` is consumed).
    fn parse_flags(&mut self, on: &mut Flags, off: &mut Flags) -> Result<bool, ReError> {
        let set = |f: &mut Flags, c: u8| -> Result<(), ReError> {
            match c {
                b'i' => f.ignore_case = true,
                b'm' => f.multiline = true,
                b's' => f.dot_all = true,
                b'a' => {}
                _ => return unsupported("inline flag other than a, i, m, s"),
            }
            Ok(())
        };
        let mut any_on = false;
        while let Some(c) = self.peek() {
            if !b"aiLmsuxt".contains(&c) {
                break;
            }
            self.pos += 1;
            set(on, c)?;
            any_on = true;
        }
        match self.peek() {
            Some(b')') if any_on => {
                self.pos += 1;
                Ok(true)
            }
            Some(b':') if any_on => {
                self.pos += 1;
                Ok(false)
            }
            Some(b'-') => {
                self.pos += 1;
                let mut any_off = false;
                while let Some(c) = self.peek() {
                    if !b"imsx".contains(&c) {
                        break;
                    }
                    self.pos += 1;
                    set(off, c)?;
                    any_off = true;
                }
                if !any_off || !self.eat(b':') {
                    return unsupported("malformed inline flags");
                }
                if (on.ignore_case && off.ignore_case)
                    || (on.multiline && off.multiline)
                    || (on.dot_all && off.dot_all)
                {
                    return unsupported("flag turned on and off");
                }
                Ok(false)
            }
            _ => unsupported("malformed inline flags"),
        }
    }

    /// After `\` outside a class (`_escape`).
    fn parse_escape(&mut self) -> Result<Node, ReError> {
        let Some(c) = self.peek() else {
            return invalid("bad escape (end of pattern)");
        };
        self.pos += 1;
        Ok(match c {
            b'A' => Node::StartText,
            b'Z' => Node::EndText,
            b'b' => Node::WordBoundary(true),
            b'B' => Node::WordBoundary(false),
            b'd' | b'D' | b's' | b'S' | b'w' | b'W' => Node::Category(c),
            b'0' => Node::Literal(self.octal_tail(0)?),
            b'1'..=b'9' => {
                // Octal escape only with three octal digits, else a group
                // reference (which we do not support).
                let d1 = self.peek();
                let d2 = self.src.get(self.pos + 1).copied();
                let is_oct = |d: Option<u8>| matches!(d, Some(b'0'..=b'7'));
                if c <= b'7' && is_oct(d1) && is_oct(d2) {
                    self.pos += 2;
                    let value = u32::from(c - b'0') * 64
                        + u32::from(d1.unwrap_or(b'0') - b'0') * 8
                        + u32::from(d2.unwrap_or(b'0') - b'0');
                    if value > 0o377 {
                        return invalid("octal escape value outside of range 0-0o377");
                    }
                    Node::Literal(value as u8)
                } else {
                    return unsupported("group reference");
                }
            }
            _ => Node::Literal(self.simple_escape(c)?),
        })
    }

    /// Escapes whose meaning is the same inside and outside classes: control
    /// characters, `\x`, punctuation; ASCII letters are errors.
    fn simple_escape(&mut self, c: u8) -> Result<u8, ReError> {
        Ok(match c {
            b'a' => 0x07,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'x' => {
                let mut value = 0u8;
                for _ in 0..2 {
                    match self.peek().and_then(|d| (d as char).to_digit(16)) {
                        Some(v) => {
                            value = value * 16 + v as u8;
                            self.pos += 1;
                        }
                        None => return invalid("incomplete escape \\x"),
                    }
                }
                value
            }
            c if c.is_ascii_alphabetic() || c.is_ascii_digit() => {
                return invalid(format!("bad escape \\{}", c as char))
            }
            c => c,
        })
    }

    /// Up to two more octal digits after a first one of value `first`.
    fn octal_tail(&mut self, first: u32) -> Result<u8, ReError> {
        let mut value = first;
        for _ in 0..2 {
            match self.peek() {
                Some(d @ b'0'..=b'7') => {
                    value = value * 8 + u32::from(d - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if value > 0o377 {
            return invalid("octal escape value outside of range 0-0o377");
        }
        Ok(value as u8)
    }

    /// After `\` inside a class (`_class_escape`).
    fn class_escape(&mut self) -> Result<ClassItem, ReError> {
        let Some(c) = self.peek() else {
            return invalid("bad escape (end of pattern)");
        };
        self.pos += 1;
        Ok(match c {
            b'b' => ClassItem::Byte(0x08),
            b'd' | b'D' | b's' | b'S' | b'w' | b'W' => ClassItem::Category(c),
            b'0'..=b'7' => ClassItem::Byte(self.octal_tail(u32::from(c - b'0'))?),
            _ => ClassItem::Byte(self.simple_escape(c)?),
        })
    }

    /// After `[`: a character class.
    fn parse_class(&mut self) -> Result<Node, ReError> {
        if self.peek() == Some(b'[') {
            return unsupported("possible nested set (Python warns)");
        }
        let negate = self.eat(b'^');
        let mut items: Vec<ClassItem> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return invalid("unterminated character set");
            };
            self.pos += 1;
            if c == b']' && !items.is_empty() {
                break;
            }
            let first = if c == b'\\' {
                self.class_escape()?
            } else {
                if !items.is_empty() && b"-&~|".contains(&c) && self.peek() == Some(c) {
                    return unsupported("possible set operation (Python warns)");
                }
                ClassItem::Byte(c)
            };
            if self.eat(b'-') {
                let Some(t) = self.peek() else {
                    return invalid("unterminated character set");
                };
                self.pos += 1;
                if t == b']' {
                    items.push(first);
                    items.push(ClassItem::Byte(b'-'));
                    break;
                }
                let second = if t == b'\\' {
                    self.class_escape()?
                } else {
                    if t == b'-' {
                        return unsupported("possible set difference (Python warns)");
                    }
                    ClassItem::Byte(t)
                };
                match (first, second) {
                    (ClassItem::Byte(lo), ClassItem::Byte(hi)) if lo <= hi => {
                        items.push(ClassItem::Range(lo, hi))
                    }
                    _ => return invalid("bad character range"),
                }
            } else {
                items.push(first);
            }
        }
        Ok(Node::Class { negate, items })
    }
}

fn merge(base: Flags, on: Flags, off: Flags) -> Flags {
    Flags {
        ignore_case: (base.ignore_case || on.ignore_case) && !off.ignore_case,
        multiline: (base.multiline || on.multiline) && !off.multiline,
        dot_all: (base.dot_all || on.dot_all) && !off.dot_all,
    }
}

/// Appends byte `b` as a `regex` literal that means the byte itself in
/// `(?-u)` mode, in or out of a class.
fn push_byte(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() {
        out.push(b as char);
    } else {
        out.push_str(&format!("\\x{:02X}", b));
    }
}

struct Emitter {
    out: String,
}

impl Emitter {
    fn alts(&mut self, alts: &[Vec<Node>], tail: bool, flags: Flags) -> Result<(), ReError> {
        for (i, seq) in alts.iter().enumerate() {
            if i > 0 {
                self.out.push('|');
            }
            for (j, node) in seq.iter().enumerate() {
                self.node(node, tail && j + 1 == seq.len(), flags)?;
            }
        }
        Ok(())
    }

    fn node(&mut self, node: &Node, tail: bool, flags: Flags) -> Result<(), ReError> {
        match node {
            Node::Literal(b) => push_byte(&mut self.out, *b),
            Node::Any => self.out.push('.'),
            Node::Category(c) => {
                self.out.push('\\');
                self.out.push(*c as char);
            }
            Node::Class { negate, items } => {
                self.out.push('[');
                if *negate {
                    self.out.push('^');
                }
                for item in items {
                    match item {
                        ClassItem::Byte(b) => push_byte(&mut self.out, *b),
                        ClassItem::Range(lo, hi) => {
                            push_byte(&mut self.out, *lo);
                            self.out.push('-');
                            push_byte(&mut self.out, *hi);
                        }
                        ClassItem::Category(c) => {
                            self.out.push('\\');
                            self.out.push(*c as char);
                        }
                    }
                }
                self.out.push(']');
            }
            Node::Start => self
                .out
                .push_str(if flags.multiline { "(?m:^)" } else { "\\A" }),
            Node::End => {
                if flags.multiline {
                    self.out.push_str("(?m:$)");
                } else if tail {
                    // Python's `$` also matches before a final newline; in
                    // tail position consuming that newline is equivalent.
                    self.out.push_str("(?:\\n?\\z)");
                } else {
                    return unsupported("`$` followed by more pattern");
                }
            }
            Node::StartText => self.out.push_str("\\A"),
            Node::EndText => self.out.push_str("\\z"),
            Node::WordBoundary(yes) => self.out.push_str(if *yes { "\\b" } else { "\\B" }),
            Node::Group { on, off, alts } => {
                self.out.push_str("(?");
                push_flag_letters(&mut self.out, *on, *off);
                self.out.push(':');
                self.alts(alts, tail, merge(flags, *on, *off))?;
                self.out.push(')');
            }
            Node::Repeat { min, max, body } => {
                self.out.push_str("(?:");
                self.node(body, false, flags)?;
                self.out.push(')');
                match (min, max) {
                    (0, None) => self.out.push('*'),
                    (1, None) => self.out.push('+'),
                    (0, Some(1)) => self.out.push('?'),
                    (m, None) => self.out.push_str(&format!("{{{},}}", m)),
                    (m, Some(n)) => self.out.push_str(&format!("{{{},{}}}", m, n)),
                }
            }
        }
        Ok(())
    }
}

/// Emits the `i`/`s` part of a flag change (`m` is handled by translating
/// anchors ourselves).
fn push_flag_letters(out: &mut String, on: Flags, off: Flags) {
    if on.ignore_case {
        out.push('i');
    }
    if on.dot_all {
        out.push('s');
    }
    if off.ignore_case || off.dot_all {
        out.push('-');
        if off.ignore_case {
            out.push('i');
        }
        if off.dot_all {
            out.push('s');
        }
    }
}

/// Translates one Python regex (as compiled by `re.compile(bytes)`) into a
/// `regex`-crate pattern with the same `re.match` semantics once anchored
/// at the start and compiled in `(?-u)` mode. The result is a
/// self-contained group: global flags stay inside it.
pub fn translate(pattern: &[u8]) -> Result<String, ReError> {
    analyze(pattern).map(|t| t.regex)
}

/// A translated regex and what fast paths may rely on.
#[derive(Debug, Clone)]
pub struct Translation {
    /// The `regex`-crate text (see [`translate`]).
    pub regex: String,
    /// Whether the pattern starts with global inline flags (which in Python
    /// apply to every pattern joined after it).
    pub global_flags: bool,
    /// A byte string every match must contain (longest literal run of a
    /// single top-level alternative, case-sensitive only).
    pub required_literal: Option<Vec<u8>>,
}

/// [`translate`] plus facts used for prefiltering.
pub fn analyze(pattern: &[u8]) -> Result<Translation, ReError> {
    let mut parser = Parser {
        src: pattern,
        pos: 0,
        global: Flags::default(),
        saw_global: false,
        group_names: Vec::new(),
    };
    let alts = parser.parse_alts(false)?;
    if parser.pos < pattern.len() {
        return invalid("unbalanced parenthesis");
    }
    let global = parser.global;
    let mut emitter = Emitter {
        out: String::with_capacity(pattern.len() * 2 + 8),
    };
    emitter.out.push_str("(?");
    push_flag_letters(&mut emitter.out, global, Flags::default());
    emitter.out.push(':');
    emitter.alts(&alts, true, global)?;
    emitter.out.push(')');
    let required_literal = match &alts[..] {
        [seq] if !global.ignore_case => longest_literal_run(seq),
        _ => None,
    };
    Ok(Translation {
        regex: emitter.out,
        global_flags: parser.saw_global,
        required_literal,
    })
}

/// The longest run of consecutive literal bytes in a top-level sequence.
fn longest_literal_run(seq: &[Node]) -> Option<Vec<u8>> {
    let mut best: Vec<u8> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for node in seq {
        match node {
            Node::Literal(b) => current.push(*b),
            _ => {
                if current.len() > best.len() {
                    best = std::mem::take(&mut current);
                }
                current.clear();
            }
        }
    }
    if current.len() > best.len() {
        best = current;
    }
    if best.is_empty() {
        None
    } else {
        Some(best)
    }
}

/// Compiles translated groups (see [`translate`]) into one `regex` anchored
/// like Python's `re.match`.
pub fn compile(groups: &[String]) -> Result<regex::bytes::Regex, ReError> {
    let mut full = String::from("(?-u)\\A(?:");
    full.push_str(&groups.join("|"));
    full.push(')');
    regex::bytes::RegexBuilder::new(&full)
        .size_limit(256 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| ReError::Unsupported(format!("regex crate: {}", e)))
}

/// An unanchored regex finding any of `literals` (a fast prefilter: the
/// `regex` crate runs literal sets with SIMD substring search).
pub fn literal_set(literals: &[Vec<u8>]) -> Result<regex::bytes::Regex, ReError> {
    let mut text = String::from("(?-u)");
    for (i, lit) in literals.iter().enumerate() {
        if i > 0 {
            text.push('|');
        }
        for &b in lit {
            push_byte(&mut text, b);
        }
    }
    regex::bytes::Regex::new(&text).map_err(|e| ReError::Unsupported(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &[u8], path: &[u8]) -> bool {
        let t = translate(pat).unwrap();
        compile(&[t]).unwrap().is_match(path)
    }

    #[test]
    fn python_specifics() {
        assert!(m(b"a{", b"a{"));
        assert!(m(b"a{1,x}", b"a{1,x}"));
        assert!(m(b"a{,2}b", b"aab"));
        assert!(m(b"a{,}b", b"aaaab"));
        assert!(m(b"{}", b"{}"));
        assert!(m(b"a$", b"a\n"));
        assert!(!m(b"a\\Z", b"a\n"));
        assert!(m(b"\\101", b"A"));
        assert!(m(b"\\0", b"\0"));
        assert!(m(b"[]a]", b"]"));
        assert!(m(b"[^]a]", b"b"));
        assert!(m(b"[a-]", b"-"));
        assert!(m(b"[\\d-]", b"-"));
        assert!(m(b"(?i)abc", b"ABC"));
        assert!(m(b"(?i:a)b", b"Ab"));
        assert!(!m(b"(?i:a)b", b"AB"));
        assert!(m(b"a.c", b"a\xffc"));
        assert!(m(b"\xe9", b"\xe9"));
        assert!(m(b"[\xe9]", b"\xe9"));
        assert!(!m(b"a", b"ba"));
        assert!(m(b"a#b c", b"a#b c"));
        assert!(m(b"a(?#comment)*", b"aaa"));
        assert!(m(b"(?m)a$", b"a\nb"));
        assert!(m(b"(?P<n>a|b)c", b"bc"));
        assert!(m(b"(?P<x_1>a)(?P<y>b)+", b"abb"));
    }

    #[test]
    fn errors_are_classified() {
        let inv = |p: &[u8]| matches!(translate(p), Err(ReError::Invalid(_)));
        let uns = |p: &[u8]| matches!(translate(p), Err(ReError::Unsupported(_)));
        assert!(inv(b"("));
        assert!(inv(b"["));
        assert!(inv(b")"));
        assert!(inv(b"*"));
        assert!(inv(b"a**"));
        assert!(inv(b"^*"));
        assert!(inv(b"\\q"));
        assert!(inv(b"a|(?i)b"));
        assert!(inv(b"[z-a]"));
        assert!(inv(b"a{2,1}"));
        assert!(inv(b"\\"));
        assert!(uns(b"(?=a)"));
        assert!(uns(b"(a)\\1"));
        assert!(uns(b"(?P<n>a)(?P=n)"));
        assert!(inv(b"(?P<n>a)(?P<n>b)"));
        assert!(inv(b"(?P<1n>a)"));
        assert!(inv(b"(?P<>a)"));
        assert!(inv(b"(?P<a-b>a)"));
        assert!(inv(b"(?P<n"));
        assert!(uns(b"(?P<\xe9>a)"));
        assert!(uns(b"(?>a)"));
        assert!(uns(b"a*+"));
        assert!(uns(b"a$b"));
        assert!(uns(b"(?x)a"));
    }
}
