//! The per-file decision of `dirstate.status`: given a dirstate entry and
//! what `lstat` said (or that the file is missing), which list it goes to.
//!
//! This is Mercurial 6.9.5's Python loop, rule for rule, so that the native
//! status agrees with it even in the odd cases (size -1/-2, copies, symlink
//! sizes, exec bit, second-ambiguous mtimes).

use crate::dirstate::{DirstateEntry, TruncatedTimestamp};

use super::fs::{Stat, S_IFLNK, S_IFMT};

/// Where a tracked (or removed) file ends up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Contents must be compared.
    Lookup,
    /// Modified.
    Modified,
    /// Added.
    Added,
    /// Removed.
    Removed,
    /// Missing from disk.
    Deleted,
    /// Clean.
    Clean,
    /// Clean, but not to be listed (`list_clean` is off).
    Nothing,
}

/// The inputs of the decision that do not depend on the file.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// `dirstate._checkexec`: whether the exec bit is meaningful here.
    pub check_exec: bool,
    /// The file system's "now" when status started; `None` if it could not
    /// be measured (read-only `.hg`).
    pub boundary: Option<TruncatedTimestamp>,
}

const RANGE_MASK: i64 = 0x7FFF_FFFF;

/// Decides the status of one dirstate entry. `st` is the file's `lstat` (its
/// `mtime_ns` already zeroed where Mercurial's C stat has no nanoseconds);
/// `None` when the walk found nothing (or nothing trackable) there.
pub fn classify(
    entry: &DirstateEntry,
    st: Option<&Stat>,
    has_copy: bool,
    rules: &Rules,
) -> Verdict {
    let st = match st {
        None if entry.tracked() => return Verdict::Deleted,
        other => other,
    };
    if entry.p2_info() {
        return Verdict::Modified;
    }
    if entry.added() {
        return Verdict::Added;
    }
    if entry.removed() {
        return Verdict::Removed;
    }
    if !entry.tracked() {
        return Verdict::Nothing;
    }
    let st = match st {
        Some(st) => st,
        // Unreachable: tracked and missing returned above.
        None => return Verdict::Deleted,
    };
    // checklink is always true on the platforms we support (POSIX).
    if !rules.check_exec && entry.fallback_exec().is_some() {
        return Verdict::Lookup;
    }
    let size = entry.v1_size() as i64;
    let mode = entry.v1_mode() as u32;
    let size_differs = size != st.size && size != (st.size & RANGE_MASK);
    let exec_differs = (mode ^ st.mode) & 0o100 != 0 && rules.check_exec;
    if (size >= 0 && (size_differs || exec_differs)) || has_copy {
        if st.mode & S_IFMT == S_IFLNK && size != st.size {
            // issue6456: fscrypt may report a longer size for symlinks.
            return Verdict::Lookup;
        }
        return Verdict::Modified;
    }
    let file_mtime = TruncatedTimestamp::from_seconds_and_nanos(st.mtime_s, st.mtime_ns as i64);
    let reliable = match rules.boundary {
        Some(b) => file_mtime.make_reliable(&b),
        None => {
            if entry.mtime_likely_equal_to(&file_mtime) {
                return Verdict::Clean;
            }
            None
        }
    };
    match reliable {
        Some(r) if entry.mtime_likely_equal_to(&r) => Verdict::Clean,
        _ => Verdict::Lookup,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64, ns: u32) -> TruncatedTimestamp {
        TruncatedTimestamp::new(s, ns, false).unwrap()
    }
    fn clean_entry(mode: u32, size: u32, mtime: TruncatedTimestamp) -> DirstateEntry {
        DirstateEntry::new(
            true,
            true,
            false,
            Some((mode, size)),
            Some(mtime),
            None,
            None,
        )
    }
    fn stat(mode: u32, size: i64, s: i64, ns: u32) -> Stat {
        Stat {
            mode,
            size,
            mtime_s: s,
            mtime_ns: ns,
        }
    }
    const R: Rules = Rules {
        check_exec: true,
        boundary: None,
    };

    #[test]
    fn states_before_stat() {
        let added = DirstateEntry::new(true, false, false, None, None, None, None);
        assert_eq!(classify(&added, None, false, &R), Verdict::Deleted);
        let st = stat(0o100644, 1, 1, 0);
        assert_eq!(classify(&added, Some(&st), false, &R), Verdict::Added);
        let removed = DirstateEntry::new(false, true, false, None, None, None, None);
        assert_eq!(classify(&removed, None, false, &R), Verdict::Removed);
        assert_eq!(classify(&removed, Some(&st), false, &R), Verdict::Removed);
        let merged = DirstateEntry::new(true, true, true, None, None, None, None);
        assert_eq!(classify(&merged, Some(&st), false, &R), Verdict::Modified);
    }

    #[test]
    fn size_mode_copy() {
        let e = clean_entry(0o100644, 3, ts(100, 5));
        let rules = Rules {
            check_exec: true,
            boundary: Some(ts(200, 0)),
        };
        assert_eq!(
            classify(&e, Some(&stat(0o100644, 3, 100, 5)), false, &rules),
            Verdict::Clean
        );
        assert_eq!(
            classify(&e, Some(&stat(0o100644, 4, 100, 5)), false, &rules),
            Verdict::Modified
        );
        assert_eq!(
            classify(&e, Some(&stat(0o100755, 3, 100, 5)), false, &rules),
            Verdict::Modified
        );
        let noexec = Rules {
            check_exec: false,
            ..rules
        };
        assert_eq!(
            classify(&e, Some(&stat(0o100755, 3, 100, 5)), false, &noexec),
            Verdict::Clean
        );
        assert_eq!(
            classify(&e, Some(&stat(0o100644, 3, 100, 5)), true, &rules),
            Verdict::Modified
        );
        // size truncated to 31 bits still equal
        let big = clean_entry(0o100644, 5, ts(100, 5));
        assert_eq!(
            classify(
                &big,
                Some(&stat(0o100644, 5 + (1 << 31), 100, 5)),
                false,
                &rules
            ),
            Verdict::Clean
        );
        // symlink with a different size: lookup
        let link = clean_entry(0o120777, 3, ts(100, 5));
        assert_eq!(
            classify(&link, Some(&stat(0o120777, 9, 100, 5)), false, &rules),
            Verdict::Lookup
        );
        // mtime differs
        assert_eq!(
            classify(&e, Some(&stat(0o100644, 3, 101, 5)), false, &rules),
            Verdict::Lookup
        );
        // no mode/size recorded: size -1, only mtime decides
        let nosize = DirstateEntry::new(true, true, false, None, None, None, None);
        assert_eq!(
            classify(&nosize, Some(&stat(0o100644, 3, 100, 5)), false, &rules),
            Verdict::Lookup
        );
    }

    #[test]
    fn ambiguity() {
        let e = clean_entry(0o100644, 3, ts(100, 5));
        // mtime in the boundary second: never clean
        let rules = Rules {
            check_exec: true,
            boundary: Some(ts(100, 0)),
        };
        assert_eq!(
            classify(&e, Some(&stat(0o100644, 3, 100, 5)), false, &rules),
            Verdict::Lookup
        );
        // C stat without nanoseconds: same second is trusted unless ambiguous
        let rules = Rules {
            check_exec: true,
            boundary: Some(ts(200, 0)),
        };
        assert_eq!(
            classify(&e, Some(&stat(0o100644, 3, 100, 0)), false, &rules),
            Verdict::Clean
        );
        let amb = clean_entry(0o100644, 3, TruncatedTimestamp::new(100, 5, true).unwrap());
        assert_eq!(
            classify(&amb, Some(&stat(0o100644, 3, 100, 0)), false, &rules),
            Verdict::Lookup
        );
        assert_eq!(
            classify(&amb, Some(&stat(0o100644, 3, 100, 5)), false, &rules),
            Verdict::Clean
        );
        // future mtime within a day: unreliable
        assert_eq!(
            classify(
                &clean_entry(0o100644, 3, ts(300, 5)),
                Some(&stat(0o100644, 3, 300, 5)),
                false,
                &rules
            ),
            Verdict::Lookup
        );
        // no boundary: clean when equal
        let nob = Rules {
            check_exec: true,
            boundary: None,
        };
        assert_eq!(
            classify(&e, Some(&stat(0o100644, 3, 100, 5)), false, &nob),
            Verdict::Clean
        );
        // fallback exec without exec support
        let fb = DirstateEntry::new(
            true,
            true,
            false,
            Some((0o100644, 3)),
            Some(ts(100, 5)),
            Some(true),
            None,
        );
        let noexec = Rules {
            check_exec: false,
            boundary: Some(ts(200, 0)),
        };
        assert_eq!(
            classify(&fb, Some(&stat(0o100644, 3, 100, 5)), false, &noexec),
            Verdict::Lookup
        );
    }
}
