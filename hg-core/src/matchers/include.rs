//! `patternmatcher` (`hg status PATTERN`) and `includematcher` (`-I`, `-X`,
//! ignore files): the two pattern-list matchers of `match.py`.
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::regex_text::{INCLUDE_SUFFIX, PATTERN_SUFFIX};
use super::roots::{dir_children, dirs_of, path_or_parents_in_set, roots_and_dirs};
use super::{non_empty, KindPat, Matcher, PatternError, PatternKind, PatternSet, VisitChildrenSet};

/// `match._prefix`: every pattern matches a whole subtree.
fn all_prefix(kindpats: &[KindPat]) -> bool {
    kindpats
        .iter()
        .all(|kp| matches!(kp.kind, PatternKind::Path | PatternKind::RelPath))
}

/// Matches paths against patterns given on the command line
/// (`match.patternmatcher`): globs must match whole paths.
#[derive(Debug)]
pub struct PatternMatcher {
    fileset: HashSet<Vec<u8>>,
    dirs_explicit: HashSet<Vec<u8>>,
    parents: HashSet<Vec<u8>>,
    prefix: bool,
    set: PatternSet,
}

impl PatternMatcher {
    /// `patternmatcher(root, kindpats)`: `root` is the repository root on
    /// disk (used by `subinclude:`).
    pub fn new(mut kindpats: Vec<KindPat>, root: &Path) -> Result<Self, PatternError> {
        kindpats.sort_by(|a, b| a.python_cmp(b));
        let (roots, dirs) = roots_and_dirs(&kindpats);
        let mut parents = dirs_of(&dirs);
        parents.extend(dirs_of(&roots));
        let filable: Vec<KindPat> = kindpats
            .iter()
            .filter(|kp| kp.kind != PatternKind::RootFilesIn)
            .cloned()
            .collect();
        let fileset = roots_and_dirs(&filable).0.into_iter().collect();
        Ok(PatternMatcher {
            fileset,
            dirs_explicit: dirs.into_iter().collect(),
            parents,
            prefix: all_prefix(&kindpats),
            set: PatternSet::new(&kindpats, PATTERN_SUFFIX, root)?,
        })
    }

    /// `visitdir`: `None` for False, `Some(false)` for True, `Some(true)`
    /// for 'all'.
    fn visit_dir(&self, dir: &[u8]) -> Option<bool> {
        if self.prefix && self.fileset.contains(dir) {
            return Some(true);
        }
        if self.parents.contains(dir)
            || path_or_parents_in_set(dir, &self.fileset)
            || path_or_parents_in_set(dir, &self.dirs_explicit)
        {
            Some(false)
        } else {
            None
        }
    }

    /// The Python regex text (`_pats`), for tests.
    pub fn python_regex(&self) -> &[u8] {
        self.set.python_regex()
    }
}

impl Matcher for PatternMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        non_empty(&self.fileset)
    }
    fn exact_match(&self, path: &[u8]) -> bool {
        self.fileset.contains(path)
    }
    fn matches(&self, path: &[u8]) -> bool {
        self.fileset.contains(path) || self.set.matches(path)
    }
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet {
        match self.visit_dir(dir) {
            Some(true) => VisitChildrenSet::Recursive,
            Some(false) => VisitChildrenSet::This,
            None => VisitChildrenSet::Empty,
        }
    }
    fn matches_everything(&self) -> bool {
        false
    }
    fn is_exact(&self) -> bool {
        false
    }
}

/// Matches paths and everything below matching directories
/// (`match.includematcher`): `-I`/`-X` options and ignore files.
#[derive(Debug)]
pub struct IncludeMatcher {
    roots: HashSet<Vec<u8>>,
    dirs: HashSet<Vec<u8>>,
    parents: HashSet<Vec<u8>>,
    parent_children: HashMap<Vec<u8>, HashSet<Vec<u8>>>,
    prefix: bool,
    set: PatternSet,
}

impl IncludeMatcher {
    /// `includematcher(root, kindpats)` (patterns keep their order).
    pub fn new(kindpats: Vec<KindPat>, root: &Path) -> Result<Self, PatternError> {
        let set = PatternSet::new(&kindpats, INCLUDE_SUFFIX, root)?;
        let (roots, dirs) = roots_and_dirs(&kindpats);
        let mut parents = dirs_of(&dirs);
        parents.extend(dirs_of(&roots));
        let parent_children = dir_children(
            dirs.iter().chain(roots.iter()).chain(parents.iter()),
            &parents,
        );
        Ok(IncludeMatcher {
            roots: roots.into_iter().collect(),
            dirs: dirs.into_iter().collect(),
            parents,
            parent_children,
            prefix: all_prefix(&kindpats),
            set,
        })
    }

    /// The Python regex text (`_pats`), for tests.
    pub fn python_regex(&self) -> &[u8] {
        self.set.python_regex()
    }
}

impl Matcher for IncludeMatcher {
    fn file_set(&self) -> Option<&HashSet<Vec<u8>>> {
        None
    }
    fn exact_match(&self, _path: &[u8]) -> bool {
        false
    }
    fn matches(&self, path: &[u8]) -> bool {
        self.set.matches(path)
    }
    fn visit_children_set(&self, dir: &[u8]) -> VisitChildrenSet {
        if self.prefix && self.roots.contains(dir) {
            return VisitChildrenSet::Recursive;
        }
        if self.roots.contains(&b""[..])
            || self.dirs.contains(dir)
            || path_or_parents_in_set(dir, &self.roots)
        {
            return VisitChildrenSet::This;
        }
        if self.parents.contains(dir) {
            return match self.parent_children.get(dir) {
                Some(children) => VisitChildrenSet::from_set(children.clone()),
                None => VisitChildrenSet::Empty,
            };
        }
        VisitChildrenSet::Empty
    }
    fn matches_everything(&self) -> bool {
        false
    }
    fn is_exact(&self) -> bool {
        false
    }
}
