//! Damaged stores give typed errors, never panics or wrong text: revlogs
//! made by Mercurial (`fixtures/store/repos`) truncated at every length and
//! with bytes flipped, random bytes as revlogs and manifests, and broken
//! requirements.

use std::path::{Path, PathBuf};

use hg_core::manifest::Manifest;
use hg_core::requirements::{Caveat, RepoRequirements, RequirementsError};
use hg_core::revlog::{Revlog, RevlogError};
use hg_core::store::Store;
use proptest::prelude::*;

fn store_file(repo: &str, file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/store/repos")
        .join(repo)
        .join(".hg/store")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every revision's verified text, or the error.
fn read_all(
    index: &[u8],
    data: Option<&[u8]>,
) -> Result<Vec<Result<Vec<u8>, RevlogError>>, RevlogError> {
    let revlog = Revlog::from_bytes("test.i", index.to_vec(), data.map(<[u8]>::to_vec))?;
    Ok((0..revlog.len() as i32)
        .map(|rev| {
            // Every accessor must be total too.
            let _ = revlog
                .entry(rev)
                .map(|e| (e.node(), e.flags(), e.raw_size()));
            let _ = revlog.delta_chain(rev);
            let _ = revlog.raw_data(rev);
            revlog.data(rev)
        })
        .collect())
}

/// The intact texts, all readable.
fn originals(index: &[u8], data: Option<&[u8]>) -> Vec<Vec<u8>> {
    read_all(index, data)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// (repository, revlog) pairs: inline zlib/zstd/uncompressed/non-gd, and
/// the manifest.
const INLINE: &[(&str, &str)] = &[
    ("zlib", "data/chain.txt.i"),
    ("zstd", "data/chain.txt.i"),
    ("zlib-nogd", "data/chain.txt.i"),
    ("uncompressed", "data/chain.txt.i"),
    ("uncompressed", "data/binary.bin.i"),
    ("zstd", "data/a.txt.i"),
    ("zstd", "00manifest.i"),
];

#[test]
fn truncated_inline_revlogs() {
    for (repo, file) in INLINE {
        let index = store_file(repo, file);
        let good = originals(&index, None);
        assert!(!good.is_empty(), "{repo}/{file}");
        for cut in 0..index.len() {
            match read_all(&index[..cut], None) {
                // A cut between two revisions leaves a shorter, valid revlog.
                Ok(texts) => {
                    for (rev, text) in texts.into_iter().enumerate() {
                        assert_eq!(text.unwrap(), good[rev], "{repo}/{file} cut at {cut}");
                    }
                }
                Err(e) => assert!(e.is_corruption(), "{repo}/{file} cut at {cut}: {e}"),
            }
        }
    }
}

#[test]
fn truncated_split_revlogs() {
    for repo in ["zlib", "zstd", "zlib-nogd"] {
        let index = store_file(repo, "data/big.txt.i");
        let data = store_file(repo, "data/big.txt.d");
        let good = originals(&index, Some(&data));
        let step = (data.len() / 400).max(1);
        for cut in (0..data.len()).step_by(step) {
            for (rev, text) in read_all(&index, Some(&data[..cut]))
                .unwrap()
                .into_iter()
                .enumerate()
            {
                match text {
                    Ok(t) => assert_eq!(t, good[rev], "{repo} cut at {cut}"),
                    Err(e) => assert!(e.is_corruption(), "{repo} cut at {cut}: {e}"),
                }
            }
        }
        for cut in (0..index.len()).step_by(7) {
            match read_all(&index[..cut], Some(&data)) {
                Ok(texts) => assert!(texts.into_iter().zip(&good).all(|(t, g)| t.unwrap() == *g)),
                Err(e) => assert!(e.is_corruption(), "{repo} index cut at {cut}: {e}"),
            }
        }
    }
}

/// Any read that succeeds after corruption returns the original text (the
/// node check catches the rest); failures are typed.
fn check_flipped(index: &[u8], data: Option<&[u8]>, good: &[Vec<u8>], what: &str) {
    match read_all(index, data) {
        Ok(texts) => {
            for (rev, text) in texts.into_iter().enumerate() {
                if let (Ok(t), Some(g)) = (&text, good.get(rev)) {
                    assert_eq!(t, g, "{what}: rev {rev} read wrong text");
                }
            }
        }
        Err(RevlogError::UnsupportedFormat { .. }) => {}
        Err(e) => assert!(e.is_corruption(), "{what}: {e}"),
    }
}

#[test]
fn flipped_bytes() {
    for (repo, file) in INLINE {
        let index = store_file(repo, file);
        let good = originals(&index, None);
        // Every byte of small revlogs, a sample of larger ones.
        let step = (index.len() / 1500).max(1);
        for pos in (0..index.len()).step_by(step) {
            // One bit or the whole byte, alternately.
            let mask = if pos % 2 == 0 { 0x01u8 } else { 0xff };
            let mut bad = index.clone();
            bad[pos] ^= mask;
            check_flipped(
                &bad,
                None,
                &good,
                &format!("{repo}/{file} byte {pos} ^ {mask:#x}"),
            );
        }
    }
    let index = store_file("zstd", "data/big.txt.i");
    let data = store_file("zstd", "data/big.txt.d");
    let good = originals(&index, Some(&data));
    for pos in (0..data.len()).step_by(data.len() / 150) {
        let mut bad = data.clone();
        bad[pos] ^= 0x55;
        check_flipped(&index, Some(&bad), &good, &format!("big.txt.d byte {pos}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_revlogs_never_panic(
        header in prop_oneof![Just(0x0003_0001u32), Just(0x0001_0001), Just(0x0002_0001), Just(0x0000_0001), any::<u32>()],
        body in proptest::collection::vec(any::<u8>(), 0..600),
        data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
    ) {
        let mut index = header.to_be_bytes().to_vec();
        index.extend(body);
        let _ = read_all(&index, data.as_deref());
    }

    #[test]
    fn random_corruption_of_a_real_revlog(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let index = store_file("zlib", "data/copied.txt.i");
        let good = originals(&index, None);
        let mut bad = index.clone();
        for (at, byte) in edits {
            let i = at.index(bad.len());
            bad[i] = byte;
        }
        check_flipped(&bad, None, &good, "copied.txt.i");
    }

    #[test]
    fn random_manifests_never_panic(text in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(0u8), Just(b'a'), Just(b'0'), Just(b'x'), Just(b'l'), any::<u8>()], 0..400),
                                    probe in proptest::collection::vec(any::<u8>(), 0..5)) {
        if let Ok(m) = Manifest::parse(text) {
            let _ = m.get(&probe);
            for e in m.iter() {
                prop_assert_eq!(m.get(e.path), Some(e));
            }
        }
    }
}

#[test]
fn missing_revlog_is_empty_and_missing_data_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let revlog = Revlog::open(tmp.path().join("none.i"), tmp.path().join("none.d")).unwrap();
    assert!(revlog.is_empty());
    assert!(matches!(
        revlog.entry(0),
        Err(RevlogError::RevisionOutOfRange { .. })
    ));
    // A split revlog whose .d is gone.
    let index = store_file("zlib", "data/big.txt.i");
    std::fs::write(tmp.path().join("big.i"), index).unwrap();
    let revlog = Revlog::open(tmp.path().join("big.i"), tmp.path().join("big.d")).unwrap();
    assert!(matches!(revlog.raw_data(0), Err(RevlogError::Io { .. })));
}

fn make_repo(requires: &str, store_requires: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let hg = tmp.path().join(".hg");
    std::fs::create_dir_all(hg.join("store")).unwrap();
    std::fs::write(hg.join("requires"), requires).unwrap();
    if let Some(r) = store_requires {
        std::fs::write(hg.join("store/requires"), r).unwrap();
    }
    tmp
}

const BASE: &str = "dotencode\nfncache\ngeneraldelta\nrevlogv1\nsparserevlog\nstore\n";

#[test]
fn requirements_are_judged() {
    let ok = make_repo("share-safe\n", Some(BASE));
    Store::open(ok.path()).unwrap();

    let v2 = make_repo(
        "share-safe\n",
        Some(&format!("{BASE}exp-revlogv2.2\nexp-changelog-v2\n")),
    );
    match Store::open(v2.path()) {
        Err(RequirementsError::Unsupported(names)) => {
            assert_eq!(names, ["exp-changelog-v2", "exp-revlogv2.2"])
        }
        other => panic!("{other:?}"),
    }
    let unknown = make_repo(&format!("{BASE}some-extension\n"), None);
    assert!(
        matches!(Store::open(unknown.path()), Err(RequirementsError::Unsupported(n)) if n == ["some-extension"])
    );
    let v0 = make_repo("store\n", None);
    assert!(
        matches!(Store::open(v0.path()), Err(RequirementsError::Unsupported(n)) if n == ["revlogv0"])
    );
    let tree = make_repo(&format!("{BASE}treemanifest\n"), None);
    assert!(Store::open(tree.path()).is_err());

    let narrow = make_repo(&format!("{BASE}narrowhg-experimental\nexp-sparse\n"), None);
    let reqs = RepoRequirements::read(narrow.path()).unwrap();
    assert_eq!(reqs.caveats(), [Caveat::Narrow, Caveat::Sparse]);
    reqs.ensure_supported(true).unwrap();
    match reqs.ensure_supported(false) {
        Err(RequirementsError::Unsupported(n)) => {
            assert_eq!(n, ["exp-sparse", "narrowhg-experimental"])
        }
        other => panic!("{other:?}"),
    }
    Store::open(narrow.path()).unwrap();

    let corrupt = make_repo(&format!("{BASE}\n\n"), None);
    assert!(matches!(
        RepoRequirements::read(corrupt.path()),
        Err(RequirementsError::Corrupted(_))
    ));
    // share-safe without the store's requires file.
    let missing = make_repo("share-safe\n", None);
    assert!(matches!(
        RepoRequirements::read(missing.path()),
        Err(RequirementsError::Io { .. })
    ));
    let nothing = tempfile::tempdir().unwrap();
    assert!(matches!(
        RepoRequirements::read(nothing.path()),
        Err(RequirementsError::NotARepository(_))
    ));
}

#[test]
fn broken_shares() {
    let gone = make_repo("shared\nshare-safe\n", None);
    std::fs::write(gone.path().join(".hg/sharedpath"), "/nonexistent/.hg\n").unwrap();
    assert!(matches!(
        RepoRequirements::read(gone.path()),
        Err(RequirementsError::SharedSourceMissing(_))
    ));

    // A share-safe share of a source without share-safe, and the reverse.
    let source = make_repo(BASE, None);
    let share = make_repo("shared\nshare-safe\n", None);
    let source_hg: PathBuf = source.path().join(".hg");
    std::fs::write(
        share.path().join(".hg/sharedpath"),
        source_hg.to_str().unwrap(),
    )
    .unwrap();
    assert!(matches!(
        RepoRequirements::read(share.path()),
        Err(RequirementsError::ShareSafeMismatch(_))
    ));
    let safe_source = make_repo("share-safe\n", Some(BASE));
    let classic = make_repo(&format!("{BASE}shared\n"), None);
    let safe_hg = safe_source.path().join(".hg");
    std::fs::write(
        classic.path().join(".hg/sharedpath"),
        safe_hg.to_str().unwrap(),
    )
    .unwrap();
    assert!(matches!(
        RepoRequirements::read(classic.path()),
        Err(RequirementsError::ShareSafeMismatch(_))
    ));
}
