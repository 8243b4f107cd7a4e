//! Path matchers and `.hgignore` patterns, exact against Mercurial 6.9.5's
//! `match.py`.
//!
//! The pipeline mirrors Mercurial's so that every intermediate result can be
//! compared with it: a `(kind, pattern, source)` triple becomes the very
//! Python regex text `match.py` would build ([`regex_text`]), that text is
//! parsed with Python `re` rules and re-emitted for the `regex` crate
//! ([`python_re`]), and matchers combine the compiled sets with Mercurial's
//! `visitchildrenset` pruning rules. Whatever cannot be reproduced exactly
//! is reported as [`PatternError::Unsupported`] so that the caller can let
//! Mercurial's own Python do the work instead of giving a different answer.

mod basic;
mod combine;
mod error;
mod fast;
mod ignore;
mod include;
mod kind;
mod pattern_file;
mod pattern_set;
pub mod python_re;
pub mod regex_text;
mod roots;

use std::collections::HashSet;

pub use basic::{AlwaysMatcher, FileMatcher, NeverMatcher};
pub use combine::{DifferenceMatcher, IntersectionMatcher, UnionMatcher};
pub use error::PatternError;
pub use ignore::{
    get_ignore_matcher, get_ignore_matcher_reading, get_ignore_matcher_with_hash,
    IgnoreMatcherResult, IgnoreWarning,
};
pub use include::{IncludeMatcher, PatternMatcher};
pub use kind::{KindPat, PatternKind};
pub use pattern_file::{parse_pattern_file, ParsedPatternFile};
pub use pattern_set::PatternSet;

/// What a matcher says about a directory before the walk reads it
/// (Mercurial's `visitchildrenset`), so that excluded subtrees are never
/// listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitChildrenSet {
    /// Nothing below this directory can match: do not read it.
    Empty,
    /// Read this directory and ask again for each child directory.
    This,
    /// Everything below matches: no need to ask again.
    Recursive,
    /// Only these children (one path component each) are worth visiting.
    /// Never empty: an empty answer is [`VisitChildrenSet::Empty`].
    Set(HashSet<Vec<u8>>),
}

impl VisitChildrenSet {
    /// Builds the answer for a set of children, keeping the invariant that
    /// `Set` is never empty (Python's falsy `set()`).
    pub fn from_set(set: HashSet<Vec<u8>>) -> Self {
        if set.is_empty() {
            VisitChildrenSet::Empty
        } else {
            VisitChildrenSet::Set(set)
        }
    }

    /// Python truthiness of the answer: false only for the empty set.
    pub fn is_empty(&self) -> bool {
        matches!(self, VisitChildrenSet::Empty)
    }
}

/// Mercurial's matcher protocol. Paths are repo-relative bytes,
/// '/'-separated, the root being `b""`.
pub trait Matcher: Send + Sync {
    /// Explicitly listed files (`match.files()`), used for `bad` and
    /// explicit-path handling; `None` when Python's list would be empty.
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>>;
    /// Whether `path` is one of the explicit files (`match.exact`).
    fn exact_match(&self, path: &[u8]) -> bool;
    /// Whether `path` matches (`match(path)`).
    fn matches(&self, path: &[u8]) -> bool;
    /// Which children of `dir` are worth visiting (`visitchildrenset`).
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet;
    /// Whether everything matches (`match.always()`), enabling fast paths.
    fn matches_everything(&self) -> bool;
    /// Whether only the explicit files match (`match.isexact()`).
    fn is_exact(&self) -> bool;
}

impl<M: Matcher + ?Sized> Matcher for Box<M> {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        (**self).file_set()
    }
    fn exact_match(&self, path: &[u8]) -> bool {
        (**self).exact_match(path)
    }
    fn matches(&self, path: &[u8]) -> bool {
        (**self).matches(path)
    }
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet {
        (**self).visit_children_set(dir)
    }
    fn matches_everything(&self) -> bool {
        (**self).matches_everything()
    }
    fn is_exact(&self) -> bool {
        (**self).is_exact()
    }
}

/// Returns `None` for an empty set, which is how the trait reports Python's
/// empty `files()` list.
pub(crate) fn non_empty(set: &HashSet<Vec<u8>>) -> Option<&HashSet<Vec<u8>>> {
    if set.is_empty() {
        None
    } else {
        Some(set)
    }
}
