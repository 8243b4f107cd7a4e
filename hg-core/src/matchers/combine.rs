//! Matchers built from other matchers: `unionmatcher`,
//! `intersectionmatcher`, `differencematcher`.
use std::collections::HashSet;

use super::{non_empty, Matcher, VisitChildrenSet};

/// The files of `m` as Python's `files()` list would hold them.
fn files_of(m: &dyn Matcher) -> HashSet<Vec<u8>> {
    m.file_set().cloned().unwrap_or_default()
}

/// Matches what any of its matchers matches (e.g. sparse + explicit files).
pub struct UnionMatcher {
    matchers: Vec<Box<dyn Matcher>>,
}

impl UnionMatcher {
    /// `unionmatcher(matchers)`.
    pub fn new(matchers: Vec<Box<dyn Matcher>>) -> Self {
        UnionMatcher { matchers }
    }
}

impl Matcher for UnionMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        // `unionmatcher` keeps `basematcher`'s empty `_files`.
        None
    }
    fn exact_match(&self, _path: &[u8]) -> bool {
        false
    }
    fn matches(&self, path: &[u8]) -> bool {
        self.matchers.iter().any(|m| m.matches(path))
    }
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet {
        let mut set: HashSet<Vec<u8>> = HashSet::new();
        let mut this = false;
        for m in &self.matchers {
            match m.visit_children_set(dir) {
                VisitChildrenSet::Empty => {}
                VisitChildrenSet::Recursive => return VisitChildrenSet::Recursive,
                VisitChildrenSet::This => this = true,
                VisitChildrenSet::Set(s) => {
                    if !this {
                        set.extend(s)
                    }
                }
            }
        }
        if this {
            VisitChildrenSet::This
        } else {
            VisitChildrenSet::from_set(set)
        }
    }
    fn matches_everything(&self) -> bool {
        false
    }
    fn is_exact(&self) -> bool {
        false
    }
}

/// Matches what both matchers match (`hg status PATTERN -I INCLUDE`).
pub struct IntersectionMatcher {
    m1: Box<dyn Matcher>,
    m2: Box<dyn Matcher>,
    files: HashSet<Vec<u8>>,
}

impl IntersectionMatcher {
    /// `intersectionmatcher(m1, m2)`, with `_files` computed up front.
    pub fn new(m1: Box<dyn Matcher>, m2: Box<dyn Matcher>) -> Self {
        let files = if m1.is_exact() || m2.is_exact() {
            let (exact, other) = if m1.is_exact() {
                (&m1, &m2)
            } else {
                (&m2, &m1)
            };
            files_of(exact.as_ref())
                .into_iter()
                .filter(|f| other.matches(f))
                .collect()
        } else {
            let mut f = files_of(m1.as_ref());
            f.extend(files_of(m2.as_ref()));
            f
        };
        IntersectionMatcher { m1, m2, files }
    }
}

impl Matcher for IntersectionMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        non_empty(&self.files)
    }
    fn exact_match(&self, path: &[u8]) -> bool {
        self.files.contains(path)
    }
    fn matches(&self, path: &[u8]) -> bool {
        self.m1.matches(path) && self.m2.matches(path)
    }
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet {
        let s1 = self.m1.visit_children_set(dir);
        if s1.is_empty() {
            return VisitChildrenSet::Empty;
        }
        let s2 = self.m2.visit_children_set(dir);
        match (s1, s2) {
            (_, VisitChildrenSet::Empty) => VisitChildrenSet::Empty,
            (VisitChildrenSet::Recursive, s2) => s2,
            (s1, VisitChildrenSet::Recursive) => s1,
            (VisitChildrenSet::This, _) | (_, VisitChildrenSet::This) => VisitChildrenSet::This,
            (VisitChildrenSet::Set(a), VisitChildrenSet::Set(b)) => {
                VisitChildrenSet::from_set(a.intersection(&b).cloned().collect())
            }
            (VisitChildrenSet::Empty, _) => VisitChildrenSet::Empty,
        }
    }
    fn matches_everything(&self) -> bool {
        self.m1.matches_everything() && self.m2.matches_everything()
    }
    fn is_exact(&self) -> bool {
        self.m1.is_exact() || self.m2.is_exact()
    }
}

/// Matches what the first matcher matches and the second does not
/// (`hg status -X EXCLUDE`).
pub struct DifferenceMatcher {
    m1: Box<dyn Matcher>,
    m2: Box<dyn Matcher>,
    files: HashSet<Vec<u8>>,
}

impl DifferenceMatcher {
    /// `differencematcher(m1, m2)`, with `_files` computed up front.
    pub fn new(m1: Box<dyn Matcher>, m2: Box<dyn Matcher>) -> Self {
        let files = if m1.is_exact() {
            files_of(m1.as_ref())
                .into_iter()
                .filter(|f| m1.matches(f) && !m2.matches(f))
                .collect()
        } else {
            files_of(m1.as_ref())
        };
        DifferenceMatcher { m1, m2, files }
    }
}

impl Matcher for DifferenceMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        non_empty(&self.files)
    }
    fn exact_match(&self, path: &[u8]) -> bool {
        self.files.contains(path)
    }
    fn matches(&self, path: &[u8]) -> bool {
        self.m1.matches(path) && !self.m2.matches(path)
    }
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet {
        let s2 = self.m2.visit_children_set(dir);
        if s2 == VisitChildrenSet::Recursive {
            return VisitChildrenSet::Empty;
        }
        let s1 = self.m1.visit_children_set(dir);
        if s2.is_empty() {
            return s1;
        }
        match s1 {
            VisitChildrenSet::Recursive | VisitChildrenSet::This => VisitChildrenSet::This,
            other => other,
        }
    }
    fn matches_everything(&self) -> bool {
        false
    }
    fn is_exact(&self) -> bool {
        self.m1.is_exact()
    }
}
