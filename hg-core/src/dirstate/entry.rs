//! One file's record in the dirstate, with the exact state model of
//! `mercurial/pure/parsers.py` `DirstateItem`.

use super::error::DirstateError;
use super::timestamp::TruncatedTimestamp;

/// v1 `size` value for a file that comes from the other merge parent.
pub const FROM_P2: i32 = -2;
/// v1 `size` value for a file that is added/merged/modified (no useful size).
pub const NONNORMAL: i32 = -1;
/// v1 `mtime` value meaning "no trustworthy mtime, look at the file".
pub const AMBIGUOUS_TIME: i32 = -1;

/// dirstate-v2 node flag bits (`mercurial/helptext/internals/dirstate-v2.txt`).
pub mod v2_flags {
    /// Tracked in the working copy.
    pub const WDIR_TRACKED: u16 = 1 << 0;
    /// Tracked in the first parent.
    pub const P1_TRACKED: u16 = 1 << 1;
    /// Involved in a merge with the second parent.
    pub const P2_INFO: u16 = 1 << 2;
    /// The recorded mode has the owner-exec bit.
    pub const MODE_EXEC_PERM: u16 = 1 << 3;
    /// The recorded mode is a symlink.
    pub const MODE_IS_SYMLINK: u16 = 1 << 4;
    /// A fallback exec bit is recorded.
    pub const HAS_FALLBACK_EXEC: u16 = 1 << 5;
    /// The fallback exec bit.
    pub const FALLBACK_EXEC: u16 = 1 << 6;
    /// A fallback symlink bit is recorded.
    pub const HAS_FALLBACK_SYMLINK: u16 = 1 << 7;
    /// The fallback symlink bit.
    pub const FALLBACK_SYMLINK: u16 = 1 << 8;
    /// Status must report the file modified (forces a lookup when read).
    pub const EXPECTED_STATE_IS_MODIFIED: u16 = 1 << 9;
    /// Mode and size are meaningful.
    pub const HAS_MODE_AND_SIZE: u16 = 1 << 10;
    /// The mtime fields are meaningful.
    pub const HAS_MTIME: u16 = 1 << 11;
    /// The mtime's seconds are ambiguous.
    pub const MTIME_SECOND_AMBIGUOUS: u16 = 1 << 12;
    /// A directory node whose mtime is cached.
    pub const DIRECTORY: u16 = 1 << 13;
    /// All unknown files of the directory were listed at that mtime.
    pub const ALL_UNKNOWN_RECORDED: u16 = 1 << 14;
    /// All ignored files of the directory were listed at that mtime.
    pub const ALL_IGNORED_RECORDED: u16 = 1 << 15;
}

const WC: u8 = 1 << 0;
const P1: u8 = 1 << 1;
const P2: u8 = 1 << 2;
const HAS_FB_EXEC: u8 = 1 << 3;
const FB_EXEC: u8 = 1 << 4;
const HAS_FB_LINK: u8 = 1 << 5;
const FB_LINK: u8 = 1 << 6;

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFREG: u32 = 0o100000;
const S_IXUSR: u32 = 0o100;

/// What the dirstate knows about one file: where it is tracked (working copy,
/// first parent, merge info from the second parent), the mode and size it had
/// when last seen clean, that mtime, and fallback exec/symlink bits for file
/// systems that cannot store them.
///
/// `mode_size` and `mtime` are `None` when Mercurial has nothing meaningful to
/// compare against; this is the `None` of the Python attributes. Mode and size
/// are kept as raw 32-bit values so that any v1 record round-trips exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirstateEntry {
    flags: u8,
    mode_size: Option<(u32, u32)>,
    mtime: Option<TruncatedTimestamp>,
}

fn fallback_bits(v: Option<bool>, has: u8, bit: u8) -> u8 {
    match v {
        None => 0,
        Some(false) => has,
        Some(true) => has | bit,
    }
}

impl DirstateEntry {
    /// The general constructor: each piece of state given explicitly.
    pub fn new(
        wc_tracked: bool,
        p1_tracked: bool,
        p2_info: bool,
        mode_size: Option<(u32, u32)>,
        mtime: Option<TruncatedTimestamp>,
        fallback_exec: Option<bool>,
        fallback_symlink: Option<bool>,
    ) -> Self {
        let mut flags = 0;
        if wc_tracked {
            flags |= WC;
        }
        if p1_tracked {
            flags |= P1;
        }
        if p2_info {
            flags |= P2;
        }
        flags |= fallback_bits(fallback_exec, HAS_FB_EXEC, FB_EXEC);
        flags |= fallback_bits(fallback_symlink, HAS_FB_LINK, FB_LINK);
        Self {
            flags,
            mode_size,
            mtime,
        }
    }

    /// `DirstateItem(wc_tracked, p1_tracked, p2_info, has_meaningful_data,
    /// has_meaningful_mtime, parentfiledata, fallback_exec, fallback_symlink)`
    /// with Python's rules: no `parentfiledata` means no data and no mtime, a
    /// `None` mtime inside it means no mtime.
    #[allow(clippy::too_many_arguments)]
    pub fn from_item_args(
        wc_tracked: bool,
        p1_tracked: bool,
        p2_info: bool,
        has_meaningful_data: bool,
        has_meaningful_mtime: bool,
        parent_file_data: Option<(u32, u32, Option<TruncatedTimestamp>)>,
        fallback_exec: Option<bool>,
        fallback_symlink: Option<bool>,
    ) -> Self {
        let (mode_size, mtime) = match parent_file_data {
            None => (None, None),
            Some((mode, size, mtime)) => (
                has_meaningful_data.then_some((mode, size)),
                if has_meaningful_mtime { mtime } else { None },
            ),
        };
        Self::new(
            wc_tracked,
            p1_tracked,
            p2_info,
            mode_size,
            mtime,
            fallback_exec,
            fallback_symlink,
        )
    }

    /// Decodes a dirstate-v1 record (`DirstateItem.from_v1_data`), where the
    /// special `size`/`mtime` values encode merge and lookup states.
    pub fn from_v1_data(
        state: u8,
        mode: i32,
        size: i32,
        mtime: i32,
    ) -> Result<Self, DirstateError> {
        let e = |wc, p1, p2| Self::new(wc, p1, p2, None, None, None, None);
        Ok(match state {
            b'm' => e(true, true, true),
            b'a' => e(true, false, false),
            b'r' => match size {
                NONNORMAL => e(false, true, true),
                FROM_P2 => e(false, false, true),
                _ => e(false, true, false),
            },
            b'n' => match size {
                FROM_P2 => e(true, false, true),
                NONNORMAL => e(true, true, false),
                _ => {
                    let mtime = (mtime != AMBIGUOUS_TIME)
                        .then(|| TruncatedTimestamp::from_raw(mtime as u32, 0, false));
                    Self::new(
                        true,
                        true,
                        false,
                        Some((mode as u32, size as u32)),
                        mtime,
                        None,
                        None,
                    )
                }
            },
            other => return Err(DirstateError::UnknownState(other)),
        })
    }

    /// Decodes a dirstate-v2 node's entry fields (`DirstateItem.from_v2_data`).
    /// Directory-only bits are ignored; EXPECTED_STATE_IS_MODIFIED forces a
    /// lookup by dropping mode, size and mtime.
    pub fn from_v2_data(flags: u16, size: u32, mtime_s: u32, mtime_ns: u32) -> Self {
        use v2_flags::*;
        let mut has_mode_size = flags & HAS_MODE_AND_SIZE != 0;
        let mut has_mtime = flags & HAS_MTIME != 0;
        if flags & EXPECTED_STATE_IS_MODIFIED != 0 {
            has_mode_size = false;
            has_mtime = false;
        }
        let mode_size = has_mode_size.then(|| {
            let perm = if flags & MODE_EXEC_PERM != 0 {
                0o755
            } else {
                0o644
            };
            let kind = if flags & MODE_IS_SYMLINK != 0 {
                S_IFLNK
            } else {
                S_IFREG
            };
            (perm | kind, size)
        });
        let mtime = has_mtime.then(|| {
            TruncatedTimestamp::from_raw(mtime_s, mtime_ns, flags & MTIME_SECOND_AMBIGUOUS != 0)
        });
        let fb = |has, bit| (flags & has != 0).then_some(flags & bit != 0);
        Self::new(
            flags & WDIR_TRACKED != 0,
            flags & P1_TRACKED != 0,
            flags & P2_INFO != 0,
            mode_size,
            mtime,
            fb(HAS_FALLBACK_EXEC, FALLBACK_EXEC),
            fb(HAS_FALLBACK_SYMLINK, FALLBACK_SYMLINK),
        )
    }

    /// Encodes for a dirstate-v2 node: `(flags, size, mtime_s, mtime_ns)` as
    /// `DirstateItem.v2_data` does (absent values written as 0).
    pub fn v2_data(&self) -> (u16, u32, u32, u32) {
        use v2_flags::*;
        let mut flags = 0u16;
        let f = self.flags;
        let bit = |mine: u8, theirs: u16| if f & mine != 0 { theirs } else { 0 };
        flags |= bit(WC, WDIR_TRACKED) | bit(P1, P1_TRACKED) | bit(P2, P2_INFO);
        flags |= bit(HAS_FB_EXEC, HAS_FALLBACK_EXEC) | bit(FB_EXEC, FALLBACK_EXEC);
        flags |= bit(HAS_FB_LINK, HAS_FALLBACK_SYMLINK) | bit(FB_LINK, FALLBACK_SYMLINK);
        let mut size = 0;
        if let Some((mode, s)) = self.mode_size {
            flags |= HAS_MODE_AND_SIZE;
            if mode & S_IXUSR != 0 {
                flags |= MODE_EXEC_PERM;
            }
            if mode & S_IFMT == S_IFLNK {
                flags |= MODE_IS_SYMLINK;
            }
            size = s;
        }
        let (mut s, mut ns) = (0, 0);
        if let Some(m) = self.mtime {
            flags |= HAS_MTIME;
            if m.second_ambiguous() {
                flags |= MTIME_SECOND_AMBIGUOUS;
            }
            s = m.truncated_seconds();
            ns = m.nanoseconds();
        }
        (flags, size, s, ns)
    }

    /// The v1 state letter: `r` removed, `m` merged, `a` added, `n` normal.
    /// Like the C implementation, an entry tracked nowhere reports `n`
    /// (such entries never live in a map).
    pub fn state(&self) -> u8 {
        if self.removed() {
            b'r'
        } else if self.modified() {
            b'm'
        } else if self.added() {
            b'a'
        } else {
            b'n'
        }
    }

    /// v1 `mode` field: the recorded mode or 0.
    pub fn v1_mode(&self) -> i32 {
        self.mode_size.map_or(0, |(m, _)| m as i32)
    }

    /// v1 `size` field, with FROM_P2/NONNORMAL encoding merge states.
    pub fn v1_size(&self) -> i32 {
        let f = self.flags;
        if f & WC == 0 && f & P2 != 0 {
            if f & P1 != 0 {
                NONNORMAL
            } else {
                FROM_P2
            }
        } else if self.removed() {
            0
        } else if f & P2 != 0 {
            FROM_P2
        } else if self.added() {
            NONNORMAL
        } else {
            self.mode_size.map_or(NONNORMAL, |(_, s)| s as i32)
        }
    }

    /// v1 `mtime` field: the recorded seconds when they can be trusted for a
    /// clean p1 file, AMBIGUOUS_TIME otherwise, 0 for removed files.
    pub fn v1_mtime(&self) -> i32 {
        let f = self.flags;
        if self.removed() {
            return 0;
        }
        match self.mtime {
            Some(m) if f & P1 != 0 && f & WC != 0 && f & P2 == 0 && !m.second_ambiguous() => {
                m.truncated_seconds() as i32
            }
            _ => AMBIGUOUS_TIME,
        }
    }

    /// Tracked in the working copy.
    pub fn tracked(&self) -> bool {
        self.flags & WC != 0
    }
    /// Tracked in the working copy or either parent; entries that are not are
    /// dropped from the map.
    pub fn any_tracked(&self) -> bool {
        self.flags & (WC | P1 | P2) != 0
    }
    /// Newly added: tracked in the working copy only.
    pub fn added(&self) -> bool {
        self.flags & (WC | P1 | P2) == WC
    }
    /// Merged: tracked everywhere with merge info.
    pub fn modified(&self) -> bool {
        self.flags & (WC | P1 | P2) == WC | P1 | P2
    }
    /// Comes from the second parent only (C's `from_p2`).
    pub fn from_p2(&self) -> bool {
        self.flags & (WC | P1 | P2) == WC | P2
    }
    /// Could be clean: tracked in the working copy and p1, no merge info.
    pub fn maybe_clean(&self) -> bool {
        self.flags & (WC | P1 | P2) == WC | P1
    }
    /// Whether a status that knows this file did not change since the last
    /// status (watchman said so) may skip it: clean with a reliable mtime
    /// (fsmonitor's `nonnormalset` is the rest) and no fallback flags, whose
    /// verdict depends on the file system's exec support, not on a change.
    pub fn settled(&self) -> bool {
        const MTIME_FLAGS: u16 = v2_flags::HAS_MTIME | v2_flags::MTIME_SECOND_AMBIGUOUS;
        self.maybe_clean()
            && self.v2_data().0 & MTIME_FLAGS == v2_flags::HAS_MTIME
            && self.fallback_exec().is_none()
            && self.fallback_symlink().is_none()
    }
    /// Tracked in the first parent.
    pub fn p1_tracked(&self) -> bool {
        self.flags & P1 != 0
    }
    /// Merge info that matters: only reported while tracked in the working
    /// copy, as the Python property does.
    pub fn p2_info(&self) -> bool {
        self.flags & (WC | P2) == WC | P2
    }
    /// The raw merge-info bit, whatever the working-copy state (needed to
    /// write formats and for `reset_state` bookkeeping).
    pub fn raw_p2_info(&self) -> bool {
        self.flags & P2 != 0
    }
    /// Marked for removal: not in the working copy but known to a parent.
    pub fn removed(&self) -> bool {
        self.flags & WC == 0 && self.flags & (P1 | P2) != 0
    }
    /// Mode and size last seen clean.
    pub fn mode_size(&self) -> Option<(u32, u32)> {
        self.mode_size
    }
    /// Mtime last seen clean.
    pub fn mtime(&self) -> Option<TruncatedTimestamp> {
        self.mtime
    }
    /// Whether the file's current mtime probably equals the recorded one
    /// (false when none is recorded).
    pub fn mtime_likely_equal_to(&self, other: &TruncatedTimestamp) -> bool {
        self.mtime.is_some_and(|m| m.likely_equal(other))
    }
    /// Recorded fallback exec bit.
    pub fn fallback_exec(&self) -> Option<bool> {
        (self.flags & HAS_FB_EXEC != 0).then_some(self.flags & FB_EXEC != 0)
    }
    /// Records (or forgets) the fallback exec bit.
    pub fn set_fallback_exec(&mut self, v: Option<bool>) {
        self.flags =
            (self.flags & !(HAS_FB_EXEC | FB_EXEC)) | fallback_bits(v, HAS_FB_EXEC, FB_EXEC);
    }
    /// Recorded fallback symlink bit.
    pub fn fallback_symlink(&self) -> Option<bool> {
        (self.flags & HAS_FB_LINK != 0).then_some(self.flags & FB_LINK != 0)
    }
    /// Records (or forgets) the fallback symlink bit.
    pub fn set_fallback_symlink(&mut self, v: Option<bool>) {
        self.flags =
            (self.flags & !(HAS_FB_LINK | FB_LINK)) | fallback_bits(v, HAS_FB_LINK, FB_LINK);
    }
    /// Forgets the mtime so the next status looks at the file's content.
    pub fn set_possibly_dirty(&mut self) {
        self.mtime = None;
    }
    /// Records the file as clean with this mode/size/mtime. Like the Python
    /// implementation this keeps the merge bit and the fallback bits.
    pub fn set_clean(&mut self, mode: u32, size: u32, mtime: TruncatedTimestamp) {
        self.flags |= WC | P1;
        self.mode_size = Some((mode, size));
        self.mtime = Some(mtime);
    }
    /// Tracked in the working copy again; needs a lookup.
    pub fn set_tracked(&mut self) {
        self.flags |= WC;
        self.mtime = None;
    }
    /// No longer tracked in the working copy; forgets mode, size and mtime.
    pub fn set_untracked(&mut self) {
        self.flags &= !WC;
        self.mode_size = None;
        self.mtime = None;
    }
    /// Drops what came from the second parent when a merge is abandoned.
    pub fn drop_merge_data(&mut self) {
        if self.flags & P2 != 0 {
            self.flags &= !P2;
            self.mode_size = None;
            self.mtime = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1(state: u8, mode: i32, size: i32, mtime: i32) -> DirstateEntry {
        DirstateEntry::from_v1_data(state, mode, size, mtime).unwrap()
    }

    #[test]
    fn v1_round_trips_all_encodings() {
        // (state, mode, size, mtime) as Mercurial writes them.
        let cases = [
            (b'n', 0o100644, 12, 1700000000),
            (b'n', 0o100755, 12, -1),
            (b'n', 0, -1, -1),
            (b'n', 0, -2, -1),
            (b'a', 0, -1, -1),
            (b'm', 0, -2, -1),
            (b'r', 0, 0, 0),
            (b'r', 0, -1, 0),
            (b'r', 0, -2, 0),
            (b'n', 0o120777, 7, -5),
        ];
        for (s, m, sz, t) in cases {
            let e = v1(s, m, sz, t);
            assert_eq!(
                (e.state(), e.v1_mode(), e.v1_size(), e.v1_mtime()),
                (s, m, sz, t)
            );
        }
    }

    #[test]
    fn v1_decoding_semantics() {
        let e = v1(b'r', 0, -1, 0);
        assert!(e.removed() && e.p1_tracked() && !e.p2_info() && e.raw_p2_info());
        let e = v1(b'n', 0, -2, -1);
        assert!(e.from_p2() && e.p2_info() && !e.p1_tracked());
        let e = v1(b'n', 0o644, 3, -1);
        assert_eq!(e.mode_size(), Some((0o644, 3)));
        assert_eq!(e.mtime(), None);
        assert!(e.maybe_clean());
        assert!(matches!(
            DirstateEntry::from_v1_data(b'x', 0, 0, 0),
            Err(DirstateError::UnknownState(b'x'))
        ));
    }

    #[test]
    fn v2_data_round_trip_and_mode_reconstruction() {
        let t = TruncatedTimestamp::new(1234, 56, true).unwrap();
        let e = DirstateEntry::new(
            true,
            true,
            false,
            Some((0o100755, 9)),
            Some(t),
            Some(true),
            Some(false),
        );
        let (flags, size, s, ns) = e.v2_data();
        assert_eq!(size, 9);
        assert_eq!((s, ns), (1234, 56));
        use v2_flags::*;
        assert_eq!(
            flags,
            WDIR_TRACKED
                | P1_TRACKED
                | HAS_MODE_AND_SIZE
                | MODE_EXEC_PERM
                | HAS_MTIME
                | MTIME_SECOND_AMBIGUOUS
                | HAS_FALLBACK_EXEC
                | FALLBACK_EXEC
                | HAS_FALLBACK_SYMLINK
        );
        assert_eq!(DirstateEntry::from_v2_data(flags, size, s, ns), e);
        let link = DirstateEntry::from_v2_data(
            WDIR_TRACKED | HAS_MODE_AND_SIZE | MODE_IS_SYMLINK,
            4,
            0,
            0,
        );
        assert_eq!(link.mode_size(), Some((0o120644, 4)));
        let forced = DirstateEntry::from_v2_data(
            WDIR_TRACKED | P1_TRACKED | HAS_MODE_AND_SIZE | HAS_MTIME | EXPECTED_STATE_IS_MODIFIED,
            4,
            5,
            6,
        );
        assert_eq!(forced.mode_size(), None);
        assert_eq!(forced.mtime(), None);
    }

    #[test]
    fn mutators_follow_python() {
        let t = TruncatedTimestamp::new(100, 0, false).unwrap();
        let mut e = v1(b'm', 0, -2, -1);
        e.set_clean(0o644, 3, t);
        assert!(e.raw_p2_info(), "set_clean keeps p2_info like pure Python");
        let mut e = v1(b'n', 0o644, 3, 100);
        assert_eq!(e.v1_mtime(), 100);
        e.set_possibly_dirty();
        assert_eq!(e.v1_mtime(), AMBIGUOUS_TIME);
        assert_eq!(e.v1_size(), 3);
        e.set_untracked();
        assert_eq!(
            (e.state(), e.v1_size(), e.v1_mtime(), e.v1_mode()),
            (b'r', 0, 0, 0)
        );
        e.set_tracked();
        assert_eq!((e.state(), e.v1_size()), (b'n', NONNORMAL));
        let mut m = v1(b'm', 0, -2, -1);
        m.drop_merge_data();
        assert_eq!(m.state(), b'n');
        assert_eq!(m.v1_size(), NONNORMAL);
        let mut f = DirstateEntry::new(true, false, false, None, None, None, None);
        f.set_fallback_exec(Some(false));
        assert_eq!(f.fallback_exec(), Some(false));
        f.set_fallback_symlink(Some(true));
        assert_eq!(f.fallback_symlink(), Some(true));
        f.set_fallback_exec(None);
        assert_eq!(f.fallback_exec(), None);
        assert_eq!(f.fallback_symlink(), Some(true));
    }

    #[test]
    fn ambiguous_mtime_is_not_written_in_v1() {
        let t = TruncatedTimestamp::new(100, 5, true).unwrap();
        let e = DirstateEntry::new(true, true, false, Some((0o644, 1)), Some(t), None, None);
        assert_eq!(e.v1_mtime(), AMBIGUOUS_TIME);
        assert!(!e.mtime_likely_equal_to(&TruncatedTimestamp::new(100, 0, false).unwrap()));
        assert!(e.mtime_likely_equal_to(&TruncatedTimestamp::new(100, 5, false).unwrap()));
    }
}
