//! File modification times the way the dirstate stores them.

use super::error::DirstateError;

/// Mask applied to seconds: Mercurial keeps only the low 31 bits so that the
/// value fits the signed 32-bit fields of dirstate-v1 (`rangemask`).
pub const RANGE_MASK_31BIT: u32 = 0x7FFF_FFFF;

const NSEC_PER_SEC: u32 = 1_000_000_000;

/// A file's modification time as Mercurial stores it: seconds truncated to 31
/// bits, nanoseconds (0 meaning "unknown sub-second precision"), and the
/// "second ambiguous" bit that says the seconds alone are not trustworthy.
///
/// It mirrors the `(truncated_seconds, nanoseconds, second_ambiguous)` tuple of
/// `mercurial/dirstateutils/timestamp.py`. Comparison must go through
/// [`TruncatedTimestamp::likely_equal`]: derived equality compares raw fields
/// and exists for tests and change detection only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TruncatedTimestamp {
    seconds: u32,
    nanoseconds: u32,
    second_ambiguous: bool,
}

impl TruncatedTimestamp {
    /// Builds a timestamp from untruncated seconds, as `timestamp((s, ns, amb))`
    /// does in Python. Fails when `nanoseconds` is not below one billion since
    /// such a value can never come from a real clock.
    pub fn new(
        seconds: i64,
        nanoseconds: u32,
        second_ambiguous: bool,
    ) -> Result<Self, DirstateError> {
        if nanoseconds >= NSEC_PER_SEC {
            return Err(DirstateError::InvalidTimestamp(nanoseconds));
        }
        Ok(Self {
            seconds: (seconds as u32) & RANGE_MASK_31BIT,
            nanoseconds,
            second_ambiguous,
        })
    }

    /// Keeps 32 raw bits of seconds without masking or validation. The C
    /// implementation stores whatever a dirstate file says (a v1 mtime field
    /// can hold any `i32`); keeping the raw value is what makes parse+pack
    /// byte-identical.
    pub(crate) const fn from_raw(seconds: u32, nanoseconds: u32, second_ambiguous: bool) -> Self {
        Self {
            seconds,
            nanoseconds,
            second_ambiguous,
        }
    }

    /// The modification time of a `stat` result, like `timestamp.mtime_of`.
    pub fn from_stat(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self::from_seconds_and_nanos(meta.mtime(), meta.mtime_nsec())
    }

    /// Same as [`Self::from_stat`] for callers that already hold the raw
    /// `st_mtime`/`st_mtime_nsec` pair (e.g. from `libc::fstatat`), avoiding a
    /// `Metadata` round trip in the status walk.
    pub fn from_seconds_and_nanos(seconds: i64, nanoseconds: i64) -> Self {
        // Python computes from st_mtime_ns with floor division, so a negative
        // time keeps non-negative nanoseconds; libc already gives that shape.
        let ns = if (0..NSEC_PER_SEC as i64).contains(&nanoseconds) {
            nanoseconds as u32
        } else {
            0
        };
        Self {
            seconds: (seconds as u32) & RANGE_MASK_31BIT,
            nanoseconds: ns,
            second_ambiguous: false,
        }
    }

    /// Seconds since the epoch modulo 2**31.
    pub fn truncated_seconds(&self) -> u32 {
        self.seconds
    }

    /// Sub-second part; 0 means the precision is unknown.
    pub fn nanoseconds(&self) -> u32 {
        self.nanoseconds
    }

    /// Whether the seconds alone cannot be trusted (the file was modified in
    /// the same second the dirstate recorded it).
    pub fn second_ambiguous(&self) -> bool {
        self.second_ambiguous
    }

    /// `DirstateItem.mtime_likely_equal_to` with `self` as the stored mtime:
    /// seconds must match; then nanoseconds decide when both sides have them,
    /// otherwise the seconds are trusted unless `self` is second-ambiguous.
    pub fn likely_equal(&self, other: &Self) -> bool {
        if self.seconds != other.seconds {
            false
        } else if self.nanoseconds == 0 || other.nanoseconds == 0 {
            !self.second_ambiguous
        } else {
            self.nanoseconds == other.nanoseconds
        }
    }

    /// `timestamp.make_mtime_reliable`: the mtime to record for a file seen
    /// clean, given the file system's "now"; `None` when the file may still be
    /// changed within the same clock tick without its mtime changing.
    pub fn make_reliable(&self, present: &Self) -> Option<Self> {
        let (fs, fns) = (self.seconds, self.nanoseconds);
        let (bs, bns) = (present.seconds, present.nanoseconds);
        if bs == fs {
            if fns != 0 && bns != 0 && fns < bns {
                return Some(Self {
                    second_ambiguous: true,
                    ..*self
                });
            }
            None
        } else if (bs as u64) < fs as u64 && (fs as u64) < 3600 * 24 + bs as u64 {
            None
        } else {
            Some(*self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_truncates_and_validates() {
        let t = TruncatedTimestamp::new(0x1_8000_0001, 5, false).unwrap();
        assert_eq!(t.truncated_seconds(), 1);
        assert!(TruncatedTimestamp::new(1, 1_000_000_000, false).is_err());
        let neg = TruncatedTimestamp::new(-1, 0, false).unwrap();
        assert_eq!(neg.truncated_seconds(), 0x7FFF_FFFF);
    }

    #[test]
    fn likely_equal_rules() {
        let t = |s, ns, a| TruncatedTimestamp::new(s, ns, a).unwrap();
        assert!(t(10, 5, false).likely_equal(&t(10, 5, false)));
        assert!(!t(10, 5, false).likely_equal(&t(10, 6, false)));
        assert!(t(10, 0, false).likely_equal(&t(10, 6, false)));
        assert!(!t(10, 0, true).likely_equal(&t(10, 6, false)));
        assert!(t(10, 7, true).likely_equal(&t(10, 7, false)));
        assert!(!t(11, 7, false).likely_equal(&t(10, 7, false)));
    }

    #[test]
    fn make_reliable_rules() {
        let t = |s, ns| TruncatedTimestamp::new(s, ns, false).unwrap();
        assert_eq!(t(5, 1).make_reliable(&t(10, 0)), Some(t(5, 1)));
        assert_eq!(t(10, 0).make_reliable(&t(10, 5)), None);
        let amb = t(10, 3).make_reliable(&t(10, 5)).unwrap();
        assert!(amb.second_ambiguous());
        assert_eq!(t(10, 7).make_reliable(&t(10, 5)), None);
        assert_eq!(t(11, 0).make_reliable(&t(10, 5)), None);
        assert_eq!(
            t(10 + 86400, 0).make_reliable(&t(10, 5)),
            Some(t(10 + 86400, 0))
        );
    }
}
