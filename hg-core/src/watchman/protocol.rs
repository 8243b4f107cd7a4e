//! BSER, watchman's binary wire encoding: one PDU decoded into a borrowed
//! [`Value`] tree, one command encoded into a PDU.
//!
//! The format (watchman's `website/docs/bser.md`, pywatchman's `bser.c`):
//! a PDU is the magic `00 01` (v1) or `00 02` plus a 32-bit capability
//! word (v2), then an integer giving the length of the value that
//! follows. Values are a type byte then a payload; integers are
//! `03`/`04`/`05`/`06` plus 1, 2, 4 or 8 bytes in the host's byte order;
//! strings are `02` (bytes) or `0d` (UTF-8, v2 only) plus an integer
//! length; arrays `00` and objects `01` are an integer count then the
//! items (objects: key string then value); `07` is an f64, `08`/`09`/`0a`
//! true/false/null. A template `0b` is an array of key strings, a count,
//! then that many rows of one value per key, `0c` marking a key a row
//! does not have: watchman sends the file list of a query that way.
//!
//! Decoding borrows strings from the PDU buffer, so the 260,000 names of a
//! big result are never copied here, and keeps a template as a table (its
//! keys once, every cell in one allocation) instead of one object per
//! row: that halved the time to decode a 260,000-file answer. Every length
//! and count is checked against the bytes left before anything is
//! allocated or sliced, and nesting is limited, so no input panics or
//! allocates more than a small multiple of its own size.

use std::borrow::Cow;
use std::fmt;

/// A BSER value, its strings borrowed from the PDU buffer (decoding) or
/// from the caller (encoding a command).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `00`: an array.
    Array(Vec<Value<'a>>),
    /// `01`: an object, keys in wire order (watchman never repeats one).
    Object(Vec<(&'a [u8], Value<'a>)>),
    /// `02` (byte string) or `0d` (UTF-8 string): watchman sends file
    /// names as byte strings, exactly the bytes the file system has.
    String(&'a [u8]),
    /// `03`..`06`: an integer of any width.
    Int(i64),
    /// `0b`: a template (an array of objects sharing their keys), as a
    /// table.
    Template(Box<Template<'a>>),
    /// `07`: a double.
    Real(f64),
    /// `08` / `09`.
    Bool(bool),
    /// `0a`.
    Null,
}

impl<'a> Value<'a> {
    /// The value of `key` if this is an object that has it.
    pub fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        match self {
            Value::Object(fields) => fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The bytes of a string.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// An integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// A decoded template: its keys and its rows, each one cell per key,
/// `None` where the row skips the key (`0c`). Watchman sends the file list
/// of a query answer this way. The rows are validated when the PDU is
/// decoded but kept encoded, and decoded again one row at a time by
/// [`Template::try_for_each_row`]: a 260,000-file answer then needs no
/// allocation but the caller's own, instead of 1.3 million decoded cells.
#[derive(Debug, Clone)]
pub struct Template<'a> {
    keys: Vec<&'a [u8]>,
    nrows: usize,
    /// The encoded cells, row after row, in key order.
    body: Cow<'a, [u8]>,
    /// The nesting depth of the cells, for the same limit when re-read.
    depth: usize,
}

/// Same keys and same encoded rows.
impl PartialEq for Template<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys && self.nrows == other.nrows && self.body == other.body
    }
}

impl<'a> Template<'a> {
    /// Builds a template from decoded cells, row after row
    /// (`cells.len()` must be `keys.len() * nrows`, else `None`).
    pub fn new(keys: Vec<&'a [u8]>, nrows: usize, cells: Vec<Option<Value<'_>>>) -> Option<Self> {
        if keys.len().checked_mul(nrows) != Some(cells.len()) {
            return None;
        }
        let mut body = Vec::new();
        for cell in &cells {
            match cell {
                Some(value) => encode_value(value, &mut body),
                None => body.push(SKIP),
            }
        }
        Some(Template {
            keys,
            nrows,
            body: Cow::Owned(body),
            depth: 0,
        })
    }

    /// The keys, in wire order.
    pub fn keys(&self) -> &[&'a [u8]] {
        &self.keys
    }

    /// The index of `key` in every row.
    pub fn column(&self, key: &[u8]) -> Option<usize> {
        self.keys.iter().position(|k| *k == key)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.nrows
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.nrows == 0
    }

    /// Calls `f` with each row in turn (one cell per key, in key order),
    /// stopping at its first error.
    pub fn try_for_each_row<E: From<DecodeError>>(
        &self,
        mut f: impl FnMut(&[Option<Value<'_>>]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut cursor = Cursor {
            buf: &self.body,
            pos: 0,
        };
        let mut row = Vec::with_capacity(self.keys.len());
        for _ in 0..self.nrows {
            row.clear();
            for _ in 0..self.keys.len() {
                row.push(cursor.cell(self.depth)?);
            }
            f(&row)?;
        }
        Ok(())
    }

    /// Every row, decoded: for small templates and tests.
    pub fn to_rows(&self) -> Result<Vec<Vec<Option<Value<'_>>>>, DecodeError> {
        let mut cursor = Cursor {
            buf: &self.body,
            pos: 0,
        };
        (0..self.nrows)
            .map(|_| {
                (0..self.keys.len())
                    .map(|_| cursor.cell(self.depth))
                    .collect()
            })
            .collect()
    }
}

/// Why a PDU could not be decoded: always a malformed or truncated
/// answer, never something to retry on the same connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed BSER at byte {offset}: {what}")]
pub struct DecodeError {
    /// Where in the PDU the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

/// Arrays and objects nested deeper than this are refused: watchman's
/// answers nest four levels at most, and the limit keeps a hostile input
/// from overflowing the stack through recursion.
const MAX_DEPTH: usize = 64;

const ARRAY: u8 = 0x00;
const OBJECT: u8 = 0x01;
const BYTESTRING: u8 = 0x02;
const INT8: u8 = 0x03;
const INT16: u8 = 0x04;
const INT32: u8 = 0x05;
const INT64: u8 = 0x06;
const REAL: u8 = 0x07;
const TRUE: u8 = 0x08;
const FALSE: u8 = 0x09;
const NULL: u8 = 0x0a;
const TEMPLATE: u8 = 0x0b;
const SKIP: u8 = 0x0c;
const UTF8STRING: u8 = 0x0d;

/// Where a PDU's value starts and how long the whole PDU is, from its
/// first bytes: `Ok(None)` while `prefix` is too short to tell (at most
/// 15 bytes are needed), so a reader knows exactly how much to read.
pub fn pdu_extent(prefix: &[u8]) -> Result<Option<PduExtent>, DecodeError> {
    let mut cursor = Cursor {
        buf: prefix,
        pos: 0,
    };
    if prefix.len() < 2 {
        return Ok(None);
    }
    let header = match &prefix[..2] {
        [0, 1] => 2,
        [0, 2] => 6,
        _ => return Err(cursor.error("not a BSER PDU (bad magic)")),
    };
    if prefix.len() < header + 1 {
        return Ok(None);
    }
    cursor.pos = header;
    let width = match prefix[header] {
        INT8 => 1,
        INT16 => 2,
        INT32 => 4,
        INT64 => 8,
        _ => return Err(cursor.error("PDU length is not an integer")),
    };
    if prefix.len() < header + 1 + width {
        return Ok(None);
    }
    let length = cursor.int()?;
    let value_start = cursor.pos;
    let length = usize::try_from(length).map_err(|_| cursor.error("negative PDU length"))?;
    let total = value_start
        .checked_add(length)
        .ok_or_else(|| cursor.error("PDU length overflows"))?;
    Ok(Some(PduExtent { value_start, total }))
}

/// The layout of one PDU, as [`pdu_extent`] reads it from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PduExtent {
    /// Offset of the value after the header.
    pub value_start: usize,
    /// Length of the whole PDU, header included.
    pub total: usize,
}

/// Decodes one complete PDU (`buf` must hold exactly that PDU: a
/// truncated one or trailing bytes are errors).
pub fn decode_pdu(buf: &[u8]) -> Result<Value<'_>, DecodeError> {
    let extent = match pdu_extent(buf)? {
        Some(extent) => extent,
        None => {
            return Err(DecodeError {
                offset: buf.len(),
                what: "truncated PDU header",
            })
        }
    };
    if buf.len() != extent.total {
        return Err(DecodeError {
            offset: buf.len(),
            what: if buf.len() < extent.total {
                "truncated PDU"
            } else {
                "bytes after the PDU"
            },
        });
    }
    let mut cursor = Cursor {
        buf,
        pos: extent.value_start,
    };
    let value = cursor.value(0)?;
    if cursor.pos != buf.len() {
        return Err(cursor.error("value shorter than the PDU length"));
    }
    Ok(value)
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn error(&self, what: &'static str) -> DecodeError {
        DecodeError {
            offset: self.pos,
            what,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| self.error("truncated value"))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn peek(&self) -> Result<u8, DecodeError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.error("truncated value"))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// An integer value (type byte included).
    fn int(&mut self) -> Result<i64, DecodeError> {
        let at = self.pos;
        match self.byte()? {
            INT8 => Ok(i8::from_ne_bytes(self.array()?) as i64),
            INT16 => Ok(i16::from_ne_bytes(self.array()?) as i64),
            INT32 => Ok(i32::from_ne_bytes(self.array()?) as i64),
            INT64 => Ok(i64::from_ne_bytes(self.array()?)),
            _ => Err(DecodeError {
                offset: at,
                what: "expected an integer",
            }),
        }
    }

    /// A length or count: non-negative, and at most the bytes left
    /// (every item takes at least one byte), so that it can size an
    /// allocation safely.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.int()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.buf.len() - self.pos)
            .ok_or_else(|| self.error("length or count out of range"))
    }

    fn string(&mut self) -> Result<&'a [u8], DecodeError> {
        match self.byte()? {
            BYTESTRING | UTF8STRING => {
                let n = self.count()?;
                self.take(n)
            }
            _ => Err(self.error("expected a string")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek()? {
            ARRAY => {
                self.pos += 1;
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            OBJECT => {
                self.pos += 1;
                let n = self.count()?;
                let mut fields = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = self.string()?;
                    fields.push((key, self.value(depth + 1)?));
                }
                Ok(Value::Object(fields))
            }
            BYTESTRING | UTF8STRING => Ok(Value::String(self.string()?)),
            INT8 | INT16 | INT32 | INT64 => Ok(Value::Int(self.int()?)),
            REAL => {
                self.pos += 1;
                Ok(Value::Real(f64::from_ne_bytes(self.array()?)))
            }
            TRUE => {
                self.pos += 1;
                Ok(Value::Bool(true))
            }
            FALSE => {
                self.pos += 1;
                Ok(Value::Bool(false))
            }
            NULL => {
                self.pos += 1;
                Ok(Value::Null)
            }
            TEMPLATE => {
                self.pos += 1;
                self.template(depth)
            }
            SKIP => Err(self.error("skip marker outside a template")),
            _ => Err(self.error("unknown type byte")),
        }
    }

    /// One template cell: a value, or `None` for the skip marker.
    fn cell(&mut self, depth: usize) -> Result<Option<Value<'a>>, DecodeError> {
        if self.peek()? == SKIP {
            self.pos += 1;
            Ok(None)
        } else {
            self.value(depth).map(Some)
        }
    }

    fn template(&mut self, depth: usize) -> Result<Value<'a>, DecodeError> {
        if self.byte()? != ARRAY {
            return Err(self.error("template keys are not an array"));
        }
        let nkeys = self.count()?;
        let mut keys = Vec::with_capacity(nkeys);
        for _ in 0..nkeys {
            keys.push(self.string()?);
        }
        let nrows = self.count()?;
        // Each row takes at least one byte per key: bound the allocation
        // by what is left (a key-less template has empty rows).
        if nkeys > 0 && nrows > (self.buf.len() - self.pos) / nkeys {
            return Err(self.error("template row count out of range"));
        }
        // Validate every cell now (so that a decoded PDU is known good),
        // keep them encoded for `try_for_each_row`.
        let start = self.pos;
        for _ in 0..nrows * nkeys {
            self.cell(depth + 2)?;
        }
        Ok(Value::Template(Box::new(Template {
            keys,
            nrows,
            body: Cow::Borrowed(&self.buf[start..self.pos]),
            depth: depth + 2,
        })))
    }
}

/// Encodes `value` as a BSER v1 PDU, the encoding pywatchman's
/// `bser.dumps` produces for a command (watchman answers in the version
/// it was asked in). Strings go out as byte strings, integers in the
/// smallest width that holds them: byte for byte what `bser.dumps`
/// writes.
pub fn encode_pdu(value: &Value<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    encode_value(value, &mut body);
    let mut pdu = Vec::with_capacity(body.len() + 11);
    pdu.extend_from_slice(&[0, 1]);
    // pywatchman writes the length as a 32-bit integer whatever its value.
    match i32::try_from(body.len()) {
        Ok(len) => {
            pdu.push(INT32);
            pdu.extend_from_slice(&len.to_ne_bytes());
        }
        Err(_) => encode_int(body.len() as i64, &mut pdu),
    }
    pdu.extend_from_slice(&body);
    pdu
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    if let Ok(i) = i8::try_from(i) {
        out.push(INT8);
        out.extend_from_slice(&i.to_ne_bytes());
    } else if let Ok(i) = i16::try_from(i) {
        out.push(INT16);
        out.extend_from_slice(&i.to_ne_bytes());
    } else if let Ok(i) = i32::try_from(i) {
        out.push(INT32);
        out.extend_from_slice(&i.to_ne_bytes());
    } else {
        out.push(INT64);
        out.extend_from_slice(&i.to_ne_bytes());
    }
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(BYTESTRING);
    encode_int(s.len() as i64, out);
    out.extend_from_slice(s);
}

fn encode_value(value: &Value<'_>, out: &mut Vec<u8>) {
    match value {
        Value::Array(items) => {
            out.push(ARRAY);
            encode_int(items.len() as i64, out);
            for item in items {
                encode_value(item, out);
            }
        }
        Value::Object(fields) => {
            out.push(OBJECT);
            encode_int(fields.len() as i64, out);
            for (key, item) in fields {
                encode_string(key, out);
                encode_value(item, out);
            }
        }
        Value::Template(template) => {
            out.push(TEMPLATE);
            out.push(ARRAY);
            encode_int(template.keys.len() as i64, out);
            for key in &template.keys {
                encode_string(key, out);
            }
            encode_int(template.nrows as i64, out);
            out.extend_from_slice(&template.body);
        }
        Value::String(s) => encode_string(s, out),
        Value::Int(i) => encode_int(*i, out),
        Value::Real(r) => {
            out.push(REAL);
            out.extend_from_slice(&r.to_ne_bytes());
        }
        Value::Bool(true) => out.push(TRUE),
        Value::Bool(false) => out.push(FALSE),
        Value::Null => out.push(NULL),
    }
}

/// Shows a value as JSON-like text with strings escaped, for error
/// messages and debugging (file names may not be UTF-8).
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Object(fields) => {
                f.write_str("{")?;
                for (i, (key, item)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{}\": {item}", key.escape_ascii())?;
                }
                f.write_str("}")
            }
            Value::Template(template) => {
                let Ok(rows) = template.to_rows() else {
                    return f.write_str("<malformed template>");
                };
                f.write_str("[")?;
                for (i, row) in rows.iter().enumerate() {
                    f.write_str(if i > 0 { ", {" } else { "{" })?;
                    let mut first = true;
                    for (key, cell) in template.keys.iter().zip(row) {
                        if let Some(item) = cell {
                            if !first {
                                f.write_str(", ")?;
                            }
                            first = false;
                            write!(f, "\"{}\": {item}", key.escape_ascii())?;
                        }
                    }
                    f.write_str("}")?;
                }
                f.write_str("]")
            }
            Value::String(s) => write!(f, "\"{}\"", s.escape_ascii()),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer watchman 4.9.0 sent to pywatchman's `bser.dumps` of
    /// `["query", root, {"fields": ["name", "exists", "new", "mode"],
    /// "since": "c:0:0"}]` for a directory holding `a`, `c\xc3\xa9` and
    /// the non-UTF-8 `b\xff` (captured from a real server).
    const QUERY_ANSWER: &[u8] = b"\x00\x01\x04\x9b\x00\x01\x03\x04\x02\x03\x05files\x0b\x00\x03\x04\x02\x03\x04name\x02\x03\x06exists\x02\x03\x03new\x02\x03\x04mode\x03\x03\x02\x03\x02b\xff\x08\x08\x05\xa4\x81\x00\x00\x02\x03\x01a\x08\x08\x05\xa4\x81\x00\x00\x02\x03\x03c\xc3\xa9\x08\x08\x05\xa4\x81\x00\x00\x02\x03\x05clock\x02\x03\x17c:1796059138:21102:1:17\x02\x03\x07version\x02\x03\x054.9.0\x02\x03\x11is_fresh_instance\x08";

    #[test]
    fn decodes_a_real_templated_answer() {
        let value = decode_pdu(QUERY_ANSWER).unwrap();
        let Some(Value::Template(files)) = value.get(b"files") else {
            panic!("files not a template")
        };
        assert_eq!(files.len(), 3);
        assert_eq!(files.keys(), [&b"name"[..], b"exists", b"new", b"mode"]);
        let rows = files.to_rows().unwrap();
        assert_eq!(rows[0][0], Some(Value::String(b"b\xff")));
        assert_eq!(rows[0][3], Some(Value::Int(0o100644)));
        assert_eq!(rows[0][1], Some(Value::Bool(true)));
        assert_eq!(rows[2][0], Some(Value::String("cé".as_bytes())));
        // Encoding it again gives watchman's bytes back.
        assert_eq!(encode_pdu(&value)[7..], QUERY_ANSWER[5..]);
        assert_eq!(
            value.get(b"clock").unwrap().as_bytes(),
            Some(&b"c:1796059138:21102:1:17"[..])
        );
        assert_eq!(
            value.get(b"is_fresh_instance").unwrap().as_bool(),
            Some(true)
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        for len in 0..QUERY_ANSWER.len() {
            assert!(decode_pdu(&QUERY_ANSWER[..len]).is_err(), "{len}");
        }
        let mut longer = QUERY_ANSWER.to_vec();
        longer.push(0);
        assert!(decode_pdu(&longer).is_err());
    }

    #[test]
    fn every_single_byte_corruption_is_handled() {
        // Whatever byte is changed, decoding returns (an error or a value)
        // without panicking.
        for i in 0..QUERY_ANSWER.len() {
            for b in [0x00, 0x01, 0x02, 0x03, 0x06, 0x0b, 0x0c, 0x7f, 0x80, 0xff] {
                let mut pdu = QUERY_ANSWER.to_vec();
                pdu[i] = b;
                let _ = decode_pdu(&pdu);
            }
        }
    }

    proptest::proptest! {
        /// Any bytes after a valid header: an error or a value, no panic.
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut pdu = vec![0, 1, INT32];
            pdu.extend_from_slice(&(body.len() as i32).to_ne_bytes());
            pdu.extend_from_slice(&body);
            if let Ok(value) = decode_pdu(&pdu) {
                // Whatever decoded can be shown and re-encoded.
                let _ = value.to_string();
                let _ = encode_pdu(&value);
            }
            let _ = decode_pdu(&body);
        }

        /// Bodies made of type bytes (so that arrays, templates and
        /// strings nest) with small integers in between.
        #[test]
        fn structured_noise_never_panics(body in proptest::collection::vec(
            proptest::sample::select(vec![0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0xff]), 0..200)) {
            let mut pdu = vec![0, 1, INT32];
            pdu.extend_from_slice(&(body.len() as i32).to_ne_bytes());
            pdu.extend_from_slice(&body);
            if let Ok(value) = decode_pdu(&pdu) {
                let _ = value.to_string();
                if let Some(Value::Template(t)) = Some(&value) {
                    let _ = t.try_for_each_row(|_| Ok::<_, DecodeError>(()));
                }
            }
        }
    }

    #[test]
    fn round_trips_every_type() {
        let value = Value::Array(vec![
            Value::String(b"query"),
            Value::Object(vec![
                (b"i8", Value::Int(-5)),
                (b"i16", Value::Int(300)),
                (b"i32", Value::Int(-70_000)),
                (b"i64", Value::Int(1 << 40)),
                (b"real", Value::Real(1.5)),
                (b"t", Value::Bool(true)),
                (b"f", Value::Bool(false)),
                (b"n", Value::Null),
                (b"bytes", Value::String(b"\xff\x00")),
                (
                    b"template",
                    Value::Template(Box::new(
                        Template::new(
                            vec![b"a", b"b"],
                            2,
                            vec![Some(Value::Int(1)), None, None, Some(Value::Null)],
                        )
                        .unwrap(),
                    )),
                ),
            ]),
        ]);
        assert!(Template::new(vec![b"a"], 2, vec![]).is_none());
        let pdu = encode_pdu(&value);
        assert_eq!(decode_pdu(&pdu).unwrap(), value);
        let extent = pdu_extent(&pdu[..3]).unwrap();
        assert_eq!(extent, None);
        let extent = pdu_extent(&pdu).unwrap().unwrap();
        assert_eq!(extent.total, pdu.len());
    }

    #[test]
    fn encodes_like_pywatchman() {
        // pywatchman's `bser.dumps(["clock", "/r"])`, as Mercurial 7.2.4's
        // copy writes it.
        let pdu = encode_pdu(&Value::Array(vec![
            Value::String(b"clock"),
            Value::String(b"/r"),
        ]));
        assert_eq!(
            pdu,
            b"\x00\x01\x05\x10\x00\x00\x00\x00\x03\x02\x02\x03\x05clock\x02\x03\x02/r"
        );
    }

    #[test]
    fn hostile_lengths_and_nesting() {
        // A string claiming a negative length, then a huge one.
        assert!(decode_pdu(b"\x00\x01\x03\x03\x02\x03\xff").is_err());
        assert!(decode_pdu(b"\x00\x01\x03\x0a\x02\x06\xff\xff\xff\xff\xff\xff\xff\x7f").is_err());
        // An array claiming 2^62 items.
        assert!(decode_pdu(b"\x00\x01\x03\x0a\x00\x06\x00\x00\x00\x00\x00\x00\x00\x40").is_err());
        // A template claiming many rows of zero keys is bounded by
        // nothing but its count: refused like any count over the bytes
        // left.
        assert!(decode_pdu(b"\x00\x01\x03\x06\x0b\x00\x03\x00\x03\x7f").is_err());
        // Deep nesting.
        let mut deep = vec![0u8, 1, 0x05];
        let n = 10_000usize;
        deep.extend_from_slice(&(3 * n as i32).to_ne_bytes());
        for _ in 0..n {
            deep.extend_from_slice(&[0x00, 0x03, 0x01]);
        }
        let err = decode_pdu(&deep).unwrap_err();
        assert_eq!(err.what, "nested too deeply");
        // v2 header with a capability word.
        let v2 = b"\x00\x02\x00\x00\x00\x00\x03\x01\x0a";
        assert_eq!(decode_pdu(v2).unwrap(), Value::Null);
        // A UTF-8 string (v2).
        assert_eq!(
            decode_pdu(b"\x00\x02\x00\x00\x00\x00\x03\x04\x0d\x03\x01x").unwrap(),
            Value::String(b"x")
        );
    }
}
