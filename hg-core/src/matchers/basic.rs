//! The matchers without patterns: `alwaysmatcher`, `nevermatcher` and
//! `exactmatcher`.
use std::collections::{HashMap, HashSet};

use super::roots::{dirs_of, split_dirs};
use super::{non_empty, Matcher, VisitChildrenSet};

/// Matches everything (`hg status` without arguments).
#[derive(Debug, Default, Clone, Copy)]
pub struct AlwaysMatcher;

impl Matcher for AlwaysMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        None
    }
    fn exact_match(&self, _path: &[u8]) -> bool {
        false
    }
    fn matches(&self, _path: &[u8]) -> bool {
        true
    }
    fn visit_children_set(&self, _dir: &[u8]) -> VisitChildrenSet {
        VisitChildrenSet::Recursive
    }
    fn matches_everything(&self) -> bool {
        true
    }
    fn is_exact(&self) -> bool {
        false
    }
}

/// Matches nothing (e.g. the ignore matcher without ignore files).
#[derive(Debug, Default, Clone, Copy)]
pub struct NeverMatcher;

impl Matcher for NeverMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        None
    }
    fn exact_match(&self, _path: &[u8]) -> bool {
        false
    }
    fn matches(&self, _path: &[u8]) -> bool {
        false
    }
    fn visit_children_set(&self, _dir: &[u8]) -> VisitChildrenSet {
        VisitChildrenSet::Empty
    }
    fn matches_everything(&self) -> bool {
        false
    }
    fn is_exact(&self) -> bool {
        // Mercurial says so to let callers take the exact fast paths.
        true
    }
}

/// Matches exactly a list of paths (`match.exactmatcher`), e.g. files
/// named on the command line after `hg status` resolved them.
#[derive(Debug, Clone)]
pub struct FileMatcher {
    files: HashSet<Vec<u8>>,
    dirs: HashSet<Vec<u8>>,
    /// For each directory on the way to a file, the child names leading
    /// there: precomputed `visitchildrenset` answers.
    children: HashMap<Vec<u8>, HashSet<Vec<u8>>>,
}

impl FileMatcher {
    /// Builds the matcher; paths are taken literally (no pattern kinds).
    pub fn new(files: impl IntoIterator<Item = Vec<u8>>) -> Self {
        let files: HashSet<Vec<u8>> = files.into_iter().collect();
        let dirs = dirs_of(&files);
        let mut children: HashMap<Vec<u8>, HashSet<Vec<u8>>> = HashMap::new();
        for f in &files {
            for (d, base) in split_dirs(f) {
                children
                    .entry(d.to_vec())
                    .or_default()
                    .insert(base.to_vec());
            }
        }
        FileMatcher {
            files,
            dirs,
            children,
        }
    }
}

impl Matcher for FileMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        non_empty(&self.files)
    }
    fn exact_match(&self, path: &[u8]) -> bool {
        self.files.contains(path)
    }
    fn matches(&self, path: &[u8]) -> bool {
        self.files.contains(path)
    }
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet {
        if self.files.is_empty() || !self.dirs.contains(dir) {
            return VisitChildrenSet::Empty;
        }
        match self.children.get(dir) {
            Some(c) => VisitChildrenSet::from_set(c.clone()),
            None => VisitChildrenSet::Empty,
        }
    }
    fn matches_everything(&self) -> bool {
        false
    }
    fn is_exact(&self) -> bool {
        true
    }
}
