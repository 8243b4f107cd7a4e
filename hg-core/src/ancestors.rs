//! Ancestor walks over a revision graph, with the exact semantics (and
//! yield order) of `mercurial/ancestor.py`'s `lazyancestors` and
//! `incrementalmissingancestors`, so that the Python binding can stand in for
//! them. The graph is abstract ([`Graph`]) so these algorithms do not depend
//! on any particular index implementation (the binding reads Mercurial's C
//! revlog index through its capsule).
use std::collections::{BinaryHeap, HashSet};

/// A revision number, as Mercurial's revlog index numbers them.
pub type Revision = i32;

/// The parent of root revisions.
pub const NULL_REVISION: Revision = -1;

/// The pseudo-revision of the working directory: it has no parents in an
/// index, so asking for its ancestors is an error, not an empty result.
pub const WORKING_DIRECTORY_REVISION: Revision = 0x7fff_ffff;

/// Why a walk could not read the graph; names match the ones Mercurial's
/// Rust `GraphError` exposes to Python (`('ParentOutOfRange', rev)`).
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphError {
    /// The index has no entry for `rev`, or one of its parents is outside
    /// the index (corrupted data).
    #[error("parent out of range for revision {0}")]
    ParentOutOfRange(Revision),
    /// `rev` can never be in an index (the working directory).
    #[error("invalid revision {0}")]
    InvalidRevision(Revision),
}

impl GraphError {
    /// The variant's name, which the binding uses as the first exception arg.
    pub fn kind(&self) -> &'static str {
        match self {
            GraphError::ParentOutOfRange(_) => "ParentOutOfRange",
            GraphError::InvalidRevision(_) => "InvalidRevision",
        }
    }

    /// The revision the error is about.
    pub fn revision(&self) -> Revision {
        match self {
            GraphError::ParentOutOfRange(r) | GraphError::InvalidRevision(r) => *r,
        }
    }
}

/// Read access to parents: all these algorithms need from an index.
pub trait Graph {
    /// Parents of `rev`; `NULL_REVISION` has parents `[-1, -1]`.
    fn parents(&self, rev: Revision) -> Result<[Revision; 2], GraphError>;
}

/// Lazily yields the ancestors of some revisions in decreasing revision
/// order (a child is always yielded before its parents), stopping below
/// `stoprev`; never yields the null revision.
pub struct AncestorsIterator<G: Graph> {
    graph: G,
    visit: BinaryHeap<Revision>,
    seen: HashSet<Revision>,
    stoprev: Revision,
    /// Last yielded revision whose parents are not queued yet: like the
    /// Python generator, parents are read when the *next* item is asked for.
    pending: Option<Revision>,
}

impl<G: Graph> AncestorsIterator<G> {
    /// With `inclusive`, `initrevs` themselves are yielded too. Like Python,
    /// the parents of `initrevs` are read right away when not inclusive.
    pub fn new(
        graph: G,
        initrevs: impl IntoIterator<Item = Revision>,
        stoprev: Revision,
        inclusive: bool,
    ) -> Result<Self, GraphError> {
        let mut seen = HashSet::new();
        seen.insert(NULL_REVISION);
        let mut visit = BinaryHeap::new();
        // Revisions below `stoprev` cannot contribute (their ancestors are
        // lower still), as `lazyancestors.__init__` knows.
        for rev in initrevs.into_iter().filter(|&r| r >= stoprev) {
            if rev == WORKING_DIRECTORY_REVISION {
                return Err(GraphError::InvalidRevision(rev));
            }
            if inclusive {
                if seen.insert(rev) || rev == NULL_REVISION {
                    visit.push(rev);
                }
            } else {
                for p in graph.parents(rev)? {
                    if seen.insert(p) {
                        visit.push(p);
                    }
                }
            }
        }
        Ok(AncestorsIterator {
            graph,
            visit,
            seen,
            stoprev,
            pending: None,
        })
    }

    /// Queues the parents of the revision yielded last, if not done yet.
    fn queue_parents_of_pending(&mut self) -> Result<(), GraphError> {
        if let Some(current) = self.pending.take() {
            for p in self.graph.parents(current)? {
                if self.seen.insert(p) {
                    self.visit.push(p);
                }
            }
        }
        Ok(())
    }
}

impl<G: Graph> Iterator for AncestorsIterator<G> {
    type Item = Result<Revision, GraphError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.queue_parents_of_pending() {
            self.visit.clear();
            return Some(Err(e));
        }
        let current = *self.visit.peek()?;
        if current < self.stoprev {
            self.visit.clear();
            return None;
        }
        self.visit.pop();
        self.pending = Some(current);
        Some(Ok(current))
    }
}

/// Membership test over the ancestors of fixed revisions (`lazyancestors`'s
/// `__contains__`): walks one shared iterator only as deep as the queries
/// require and remembers what it saw.
pub struct AncestorsMembership<G: Graph> {
    iter: Option<AncestorsIterator<G>>,
    seen: HashSet<Revision>,
}

impl<G: Graph> AncestorsMembership<G> {
    /// `iter` must be a fresh iterator over the ancestors to test against.
    pub fn new(iter: AncestorsIterator<G>) -> Self {
        AncestorsMembership {
            iter: Some(iter),
            seen: HashSet::new(),
        }
    }

    /// Whether `target` is among the ancestors. Relies on the decreasing
    /// yield order to stop as soon as the walk passes below `target`.
    pub fn contains(&mut self, target: Revision) -> Result<bool, GraphError> {
        if self.seen.contains(&target) {
            return Ok(true);
        }
        let Some(iter) = self.iter.as_mut() else {
            return Ok(false);
        };
        for rev in iter.by_ref() {
            let rev = rev?;
            self.seen.insert(rev);
            if rev == target {
                return Ok(true);
            }
            if rev < target {
                return Ok(false);
            }
        }
        self.iter = None;
        Ok(false)
    }
}

/// The heads among `revs`: those that are not a parent of another one of
/// `revs` (`dagop.headrevs`). The null revision is never a head.
pub fn heads<G: Graph>(
    graph: &G,
    revs: impl IntoIterator<Item = Revision>,
) -> Result<HashSet<Revision>, GraphError> {
    let mut heads: HashSet<Revision> = HashSet::new();
    let mut parents: HashSet<Revision> = HashSet::new();
    parents.insert(NULL_REVISION);
    for rev in revs {
        heads.insert(rev);
        parents.extend(graph.parents(rev)?);
    }
    heads.retain(|r| !parents.contains(r));
    Ok(heads)
}

/// Incremental "ancestors of X that are not ancestors of the bases"
/// computations (`incrementalmissingancestors`): the bases only grow, and
/// each query may grow them further to speed up the next one.
pub struct MissingAncestors<G: Graph> {
    graph: G,
    bases: HashSet<Revision>,
}

impl<G: Graph> MissingAncestors<G> {
    /// With no bases, the null revision is the base (everything is missing).
    pub fn new(graph: G, bases: impl IntoIterator<Item = Revision>) -> Self {
        let mut bases: HashSet<Revision> = bases.into_iter().collect();
        if bases.is_empty() {
            bases.insert(NULL_REVISION);
        }
        MissingAncestors { graph, bases }
    }

    /// Whether any base other than the null revision is known.
    pub fn has_bases(&self) -> bool {
        self.bases.iter().any(|&r| r != NULL_REVISION)
    }

    /// The current bases (including ancestors learnt during queries).
    pub fn bases(&self) -> &HashSet<Revision> {
        &self.bases
    }

    /// Grows the set of bases.
    pub fn add_bases(&mut self, revs: impl IntoIterator<Item = Revision>) {
        self.bases.extend(revs);
    }

    /// The heads of the bases.
    pub fn bases_heads(&self) -> Result<HashSet<Revision>, GraphError> {
        heads(&self.graph, self.bases.iter().copied())
    }

    /// Removes from `revs` every ancestor of the bases (in place).
    pub fn remove_ancestors_from(
        &mut self,
        revs: &mut HashSet<Revision>,
    ) -> Result<(), GraphError> {
        revs.retain(|r| !self.bases.contains(r));
        revs.remove(&NULL_REVISION);
        if revs.is_empty() {
            return Ok(());
        }
        let Some(&start) = self.bases.iter().max() else {
            return Ok(());
        };
        let keepcount = revs.iter().filter(|&&r| r > start).count();
        if revs.len() == keepcount {
            return Ok(());
        }
        let lowest = revs.iter().copied().min().unwrap_or(start);
        let mut curr = start;
        while curr >= lowest {
            if self.bases.contains(&curr) {
                revs.remove(&curr);
                let parents = self.graph.parents(curr)?;
                self.bases.extend(parents);
                if revs.len() == keepcount {
                    break;
                }
            }
            curr -= 1;
        }
        Ok(())
    }

    /// Ancestors of `revs` (inclusive) that are not ancestors of the bases,
    /// in increasing revision order; the walk also grows the bases.
    pub fn missing_ancestors(
        &mut self,
        revs: impl IntoIterator<Item = Revision>,
    ) -> Result<Vec<Revision>, GraphError> {
        let mut revs_visit: HashSet<Revision> = revs.into_iter().collect();
        let mut both_visit: HashSet<Revision> = revs_visit
            .iter()
            .filter(|r| self.bases.contains(r))
            .copied()
            .collect();
        revs_visit.retain(|r| !both_visit.contains(r));
        let (Some(&max_revs), Some(&max_bases)) =
            (revs_visit.iter().max(), self.bases.iter().max())
        else {
            return Ok(Vec::new());
        };
        let bases_visit = &mut self.bases;
        let mut missing = Vec::new();
        let mut curr = max_revs.max(max_bases);
        while curr > NULL_REVISION {
            if revs_visit.is_empty() {
                break;
            }
            if both_visit.remove(&curr) {
                for p in self.graph.parents(curr)? {
                    revs_visit.remove(&p);
                    bases_visit.insert(p);
                    both_visit.insert(p);
                }
                curr -= 1;
                continue;
            }
            let in_revs = if revs_visit.remove(&curr) {
                missing.push(curr);
                true
            } else if bases_visit.contains(&curr) {
                false
            } else {
                curr -= 1;
                continue;
            };
            for p in self.graph.parents(curr)? {
                if p == NULL_REVISION {
                    continue;
                }
                let in_other = if in_revs {
                    bases_visit.contains(&p)
                } else {
                    revs_visit.contains(&p)
                };
                if in_other || both_visit.contains(&p) {
                    revs_visit.remove(&p);
                    bases_visit.insert(p);
                    both_visit.insert(p);
                } else if in_revs {
                    revs_visit.insert(p);
                } else {
                    bases_visit.insert(p);
                }
            }
            curr -= 1;
        }
        missing.reverse();
        Ok(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph of `tests/test-ancestor.py`'s hand-drawn example.
    fn sample() -> Vec<[Revision; 2]> {
        vec![
            [-1, -1],
            [0, -1],
            [1, -1],
            [1, -1],
            [2, -1],
            [4, -1],
            [4, -1],
            [4, -1],
            [-1, -1],
            [6, 7],
            [5, -1],
            [3, 7],
            [9, -1],
            [8, -1],
        ]
    }

    impl Graph for Vec<[Revision; 2]> {
        fn parents(&self, rev: Revision) -> Result<[Revision; 2], GraphError> {
            if rev == NULL_REVISION {
                return Ok([NULL_REVISION; 2]);
            }
            usize::try_from(rev)
                .ok()
                .and_then(|i| self.get(i).copied())
                .ok_or(GraphError::ParentOutOfRange(rev))
        }
    }

    fn ancestors(revs: &[Revision], stop: Revision, inclusive: bool) -> Vec<Revision> {
        AncestorsIterator::new(sample(), revs.iter().copied(), stop, inclusive)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn iterator_matches_python() {
        // Expected values from test-ancestor.py's test_lazyancestors.
        assert_eq!(ancestors(&[11, 13], 0, false), [8, 7, 4, 3, 2, 1, 0]);
        assert_eq!(ancestors(&[1, 3], 0, false), [1, 0]);
        assert_eq!(ancestors(&[11, 13], 0, true), [13, 11, 8, 7, 4, 3, 2, 1, 0]);
        assert_eq!(ancestors(&[11, 13], 6, false), [8, 7]);
        assert_eq!(ancestors(&[11, 13], 6, true), [13, 11, 8, 7]);
        assert_eq!(ancestors(&[11, 13], 11, true), [13, 11]);
        assert_eq!(ancestors(&[11, 13], 12, true), [13]);
        assert_eq!(ancestors(&[10, 1], 0, true), [10, 5, 4, 2, 1, 0]);
    }

    #[test]
    fn membership() {
        let it = AncestorsIterator::new(sample(), [11, 13], 0, false).unwrap();
        let mut m = AncestorsMembership::new(it);
        assert!(m.contains(7).unwrap());
        assert!(!m.contains(6).unwrap());
        assert!(m.contains(8).unwrap());
        assert!(m.contains(0).unwrap());
        assert!(!m.contains(13).unwrap());
        assert!(!m.contains(-5).unwrap());
    }

    #[test]
    fn errors_are_reported() {
        let err = AncestorsIterator::new(sample(), [99], 0, false).err();
        assert_eq!(err, Some(GraphError::ParentOutOfRange(99)));
        let err = AncestorsIterator::new(sample(), [WORKING_DIRECTORY_REVISION], 0, true).err();
        assert_eq!(
            err,
            Some(GraphError::InvalidRevision(WORKING_DIRECTORY_REVISION))
        );
    }

    #[test]
    fn explicit_cases_from_test_ancestor_py() {
        let removal: &[(&[Revision], &[Revision], &[Revision])] = &[
            (
                &[1, 2, 3, 4, 7],
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                &[5, 6, 8, 9],
            ),
            (&[10], &[11, 12, 13, 14], &[11, 12, 13, 14]),
            (&[7], &[1, 2, 3, 4, 5], &[3, 5]),
        ];
        for (bases, revs, remaining) in removal {
            let mut m = MissingAncestors::new(sample(), bases.iter().copied());
            let mut revs: HashSet<Revision> = revs.iter().copied().collect();
            m.remove_ancestors_from(&mut revs).unwrap();
            let mut revs: Vec<_> = revs.into_iter().collect();
            revs.sort();
            assert_eq!(&revs, remaining);
        }
        let missing: &[(&[Revision], &[Revision], &[Revision])] = &[
            (&[10], &[11], &[3, 7, 11]),
            (&[11], &[10], &[5, 10]),
            (&[7], &[9, 11], &[3, 6, 9, 11]),
        ];
        for (bases, revs, expected) in missing {
            let mut m = MissingAncestors::new(sample(), bases.iter().copied());
            assert_eq!(
                &m.missing_ancestors(revs.iter().copied()).unwrap(),
                expected
            );
        }
    }

    fn brute_missing(bases: &[Revision], revs: &[Revision]) -> Vec<Revision> {
        let anc =
            |r: &[Revision]| -> HashSet<Revision> { ancestors(r, 0, true).into_iter().collect() };
        let b = anc(bases);
        let mut out: Vec<_> = anc(revs).difference(&b).copied().collect();
        out.sort();
        out
    }

    #[test]
    fn missing_ancestors_exhaustive_pairs() {
        for b in -1..14 {
            for r in 0..14 {
                for r2 in 0..14 {
                    let mut m = MissingAncestors::new(sample(), [b]);
                    let got = m.missing_ancestors([r, r2]).unwrap();
                    assert_eq!(got, brute_missing(&[b], &[r, r2]));
                    let mut revs: HashSet<Revision> = [r, r2, b].into_iter().collect();
                    let mut m = MissingAncestors::new(sample(), [b]);
                    m.remove_ancestors_from(&mut revs).unwrap();
                    let anc: HashSet<_> = ancestors(&[b], 0, true).into_iter().collect();
                    let want: HashSet<Revision> = [r, r2, b]
                        .into_iter()
                        .filter(|x| !anc.contains(x) && *x != NULL_REVISION)
                        .collect();
                    assert_eq!(revs, want);
                }
            }
        }
    }

    #[test]
    fn heads_and_bases() {
        let mut m = MissingAncestors::new(sample(), []);
        assert!(!m.has_bases());
        assert!(m.bases_heads().unwrap().is_empty());
        m.add_bases([3, 11, 1]);
        assert!(m.has_bases());
        assert_eq!(m.bases_heads().unwrap(), [11].into_iter().collect());
    }
}
