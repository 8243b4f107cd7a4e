//! Store reading against repositories made by Mercurial 7.2.4 itself
//! (`hg-core/fixtures/store/make-fixtures.sh`): every file of every
//! manifest must read as `hg cat -r REV FILE` printed it, every filelog
//! revision must have the index fields, raw text, size and copy source
//! Mercurial reported, and every node must be `hash_revision` of its raw
//! text and parents. Also: store path encodings against Mercurial's C and
//! pure encoders, and requirements handling.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use hg_core::filelog::hash_revision;
use hg_core::requirements::RepoRequirements;
use hg_core::revlog::Node;
use hg_core::store::Store;
use hg_core::store_path::{self, StoreEncoding};
use sha1::{Digest, Sha1};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/store")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn node(s: &str) -> Node {
    Node::from_hex(s.as_bytes()).unwrap()
}

fn sha1_hex(data: &[u8]) -> String {
    Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A filelog revision as `dump.py` printed it.
#[derive(Debug)]
struct FileRev {
    path: Vec<u8>,
    rev: i32,
    node: Node,
    p1: Node,
    p2: Node,
    raw_size: u32,
    flags: u16,
    size69: u64,
    raw_sha1: String,
    copy: Option<(Vec<u8>, Node)>,
}

/// A filelog's store names as `dump.py` printed them: path, encoded `.i`,
/// encoded `.d`, inline, generaldelta.
type StoreNames = (Vec<u8>, Vec<u8>, Vec<u8>, bool, bool);

#[derive(Default, Debug)]
struct Expected {
    requires: BTreeSet<String>,
    /// (rev, changeset node, manifest node, sha1 of manifest text, files)
    changesets: Vec<(i32, Node, Node, String, usize)>,
    /// (rev, path) → flag, for flagged files only.
    flags: HashMap<(i32, Vec<u8>), String>,
    /// (path, file node) → (length, sha1) of `hg cat`.
    files: HashMap<(Vec<u8>, Node), (usize, String)>,
    /// path → (encoded .i, encoded .d, inline, generaldelta)
    stores: Vec<StoreNames>,
    /// "changelog"/"manifest" → (inline, generaldelta)
    formats: HashMap<String, (bool, bool)>,
    revs: Vec<FileRev>,
}

fn expected(name: &str) -> Expected {
    let text =
        std::fs::read_to_string(fixtures().join("expected").join(format!("{name}.txt"))).unwrap();
    let mut e = Expected::default();
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "Q" => {
                e.requires.insert(f[1].to_owned());
            }
            "L" => {
                e.formats
                    .insert(f[1].to_owned(), (f[2] == "1", f[3] == "1"));
            }
            "C" => e.changesets.push((
                f[1].parse().unwrap(),
                node(f[2]),
                node(f[3]),
                f[4].to_owned(),
                f[5].parse().unwrap(),
            )),
            "X" => {
                e.flags
                    .insert((f[1].parse().unwrap(), unhex(f[2])), f[3].to_owned());
            }
            "F" => {
                e.files.insert(
                    (unhex(f[1]), node(f[2])),
                    (f[3].parse().unwrap(), f[4].to_owned()),
                );
            }
            "S" => e.stores.push((
                unhex(f[1]),
                unhex(f[2]),
                unhex(f[3]),
                f[4] == "1",
                f[5] == "1",
            )),
            "R" => e.revs.push(FileRev {
                path: unhex(f[1]),
                rev: f[2].parse().unwrap(),
                node: node(f[3]),
                p1: node(f[4]),
                p2: node(f[5]),
                raw_size: f[6].parse().unwrap(),
                flags: f[7].parse().unwrap(),
                size69: f[8].parse().unwrap(),
                raw_sha1: f[9].to_owned(),
                copy: (f[10] != "-").then(|| (unhex(f[10]), node(f[11]))),
            }),
            other => panic!("unknown line kind {other}"),
        }
    }
    assert!(
        !e.changesets.is_empty() && !e.revs.is_empty(),
        "{name}: empty dump"
    );
    e
}

/// A repository of the fixtures, ready to open. The absolute share is
/// copied to a temporary directory with its `.hg/sharedpath` pointed at
/// the fixture source.
struct Repo {
    root: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

fn repo(name: &str) -> Repo {
    let root = fixtures().join("repos").join(name);
    if name != "share-absolute" {
        return Repo { root, _tmp: None };
    }
    let tmp = tempfile::tempdir().unwrap();
    let hg = tmp.path().join(".hg");
    std::fs::create_dir(&hg).unwrap();
    for entry in std::fs::read_dir(root.join(".hg")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), hg.join(entry.file_name())).unwrap();
        }
    }
    let source = fixtures().join("repos/zstd/.hg");
    std::fs::write(hg.join("sharedpath"), source.to_str().unwrap()).unwrap();
    Repo {
        root: tmp.path().to_owned(),
        _tmp: Some(tmp),
    }
}

fn check_repository(name: &str) {
    let e = expected(name);
    let repo = repo(name);
    let store = Store::open(&repo.root).unwrap_or_else(|err| panic!("{name}: {err}"));
    let names: BTreeSet<String> = store.requirements().names().map(str::to_owned).collect();
    assert_eq!(names, e.requires, "{name}: requirements");

    // Changesets, their manifests, and every file of every manifest.
    let changelog = store.changelog().unwrap();
    let manifestlog = store.manifestlog().unwrap();
    let formats = |rl: &hg_core::revlog::Revlog| (rl.format().inline, rl.format().generaldelta);
    assert_eq!(
        formats(changelog.revlog()),
        e.formats["changelog"],
        "{name}"
    );
    assert_eq!(
        formats(manifestlog.revlog()),
        e.formats["manifest"],
        "{name}"
    );
    assert_eq!(changelog.revlog().len(), e.changesets.len());
    let mut filelogs = HashMap::new();
    let mut checked = 0;
    for (rev, cs_node, mf_node, mf_sha1, count) in &e.changesets {
        assert_eq!(changelog.revlog().node(*rev).unwrap(), *cs_node);
        assert_eq!(changelog.revlog().rev(cs_node).unwrap(), *rev);
        assert_eq!(
            changelog.manifest_node(*rev).unwrap(),
            *mf_node,
            "{name} rev {rev}"
        );
        let manifest = store.manifest_for_changeset(cs_node).unwrap();
        assert_eq!(
            sha1_hex(manifest.text()),
            *mf_sha1,
            "{name} rev {rev}: manifest text"
        );
        assert_eq!(manifest.len(), *count);
        for entry in manifest.iter() {
            assert_eq!(manifest.get(entry.path), Some(entry), "binary search");
            let flag = e
                .flags
                .get(&(*rev, entry.path.to_vec()))
                .map_or("", String::as_str);
            assert_eq!(entry.flags.as_str(), flag, "{name} rev {rev}");
            let (len, sha1) = &e.files[&(entry.path.to_vec(), entry.node)];
            let filelog = filelogs
                .entry(entry.path.to_vec())
                .or_insert_with(|| store.filelog(entry.path).unwrap());
            let content = filelog.content(filelog.rev(&entry.node).unwrap()).unwrap();
            assert_eq!(
                (content.len(), sha1_hex(&content)),
                (*len, sha1.clone()),
                "{name} rev {rev}: {}",
                String::from_utf8_lossy(entry.path)
            );
            checked += 1;
        }
    }
    assert!(checked > 500, "{name}: only {checked} files checked");

    // Store names and revlog formats of filelogs.
    let mut split = 0;
    for (path, index, data, inline, gd) in &e.stores {
        let (i, d) = store.filelog_paths(path);
        assert_eq!(
            i,
            store.path().join(std::str::from_utf8(index).unwrap()),
            "{name}"
        );
        assert_eq!(
            d,
            store.path().join(std::str::from_utf8(data).unwrap()),
            "{name}"
        );
        let filelog = store.filelog(path).unwrap();
        assert_eq!(formats(filelog.revlog()), (*inline, *gd), "{name}: {i:?}");
        split += usize::from(!inline);
    }
    if name.starts_with("zstd") || name.starts_with("zlib") || name.starts_with("share") {
        assert!(split > 0, "{name}: no split revlog");
    }

    // Every filelog revision.
    for r in &e.revs {
        let what = format!("{name}: {} rev {}", String::from_utf8_lossy(&r.path), r.rev);
        let filelog = store.filelog(&r.path).unwrap();
        let rl = filelog.revlog();
        assert_eq!(rl.node(r.rev).unwrap(), r.node, "{what}");
        assert_eq!(filelog.rev(&r.node).unwrap(), r.rev, "{what}");
        assert_eq!(filelog.parent_nodes(r.rev).unwrap(), [r.p1, r.p2], "{what}");
        assert_eq!(
            filelog.stored_size(r.rev).unwrap(),
            Some(r.raw_size),
            "{what}"
        );
        assert_eq!(filelog.flags(r.rev).unwrap().0, r.flags, "{what}");
        let raw = rl.raw_data(r.rev).unwrap();
        assert_eq!(sha1_hex(&raw), r.raw_sha1, "{what}");
        assert_eq!(hash_revision(&r.p1, &r.p2, &raw), r.node, "{what}: hash");
        assert!(rl.check_hash(r.rev, &raw).unwrap());
        let revision = filelog.revision(r.rev).unwrap();
        assert_eq!(revision.raw_text(), &raw[..]);
        assert_eq!(
            filelog.has_metadata_header(r.rev).unwrap(),
            revision.metadata().is_some(),
            "{what}"
        );
        let copy = filelog.renamed(r.rev).unwrap().map(|c| (c.path, c.node));
        assert_eq!(copy, r.copy, "{what}: renamed");
        assert_eq!(filelog.size(r.rev).unwrap(), r.size69, "{what}: size");
    }
}

macro_rules! repositories {
    ($($test:ident => $name:literal,)*) => {
        $(#[test] fn $test() { check_repository($name); })*

        #[test]
        fn every_fixture_repository_is_tested() {
            let tested: BTreeSet<&str> = [$($name),*].into_iter().collect();
            let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures().join("repos"))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(on_disk.iter().map(String::as_str).collect::<BTreeSet<_>>(), tested);
        }
    };
}

repositories! {
    zstd => "zstd",
    zlib => "zlib",
    zlib_without_generaldelta => "zlib-nogd",
    fncache_without_dotencode => "hybrid",
    store_without_fncache => "nofncache",
    no_store => "nostore",
    uncompressed => "uncompressed",
    delta_info_flags => "delta-info",
    file_index => "fileindex",
    plain_encoding => "plain-encoding",
    share_absolute => "share-absolute",
    share_relative => "share-relative",
    share_without_share_safe => "share-classic",
}

#[test]
fn fixtures_cover_the_formats() {
    let reqs = |name: &str| expected(name).requires;
    assert!(reqs("zstd").contains("revlog-compression-zstd"));
    assert!(!reqs("zlib").contains("revlog-compression-zstd"));
    assert!(!reqs("zlib-nogd").contains("generaldelta"));
    assert!(reqs("uncompressed").contains("exp-compression-none"));
    assert!(reqs("delta-info").contains("delta-info-revlog"));
    assert!(
        reqs("share-classic").contains("relshared")
            && !reqs("share-classic").contains("share-safe")
    );
    assert!(
        reqs("share-absolute").contains("shared") && reqs("share-absolute").contains("share-safe")
    );
    let encoding = |name: &str| Store::open(&repo(name).root).unwrap().encoding();
    assert_eq!(encoding("zstd"), StoreEncoding::DotEncode);
    assert_eq!(encoding("hybrid"), StoreEncoding::Hybrid);
    assert_eq!(encoding("nofncache"), StoreEncoding::Encoded);
    assert_eq!(encoding("nostore"), StoreEncoding::Basic);
    assert_eq!(encoding("plain-encoding"), StoreEncoding::Plain);
    assert_eq!(encoding("fileindex"), StoreEncoding::DotEncode);
    assert!(reqs("fileindex").contains("fileindex-v1") && !reqs("fileindex").contains("fncache"));
    // Copies, escaped metadata, merges, hashed names are in the dumps.
    let e = expected("zstd");
    assert!(e.revs.iter().any(|r| r.copy.is_some()));
    assert!(e.revs.iter().any(|r| !r.p2.is_null()));
    assert!(e.stores.iter().any(|s| s.1.starts_with(b"dh/")));
    assert!(e.flags.values().any(|f| f == "l") && e.flags.values().any(|f| f == "x"));
    let delta_info = expected("delta-info");
    assert!(
        delta_info.revs.iter().any(|r| r.flags & (1 << 11) != 0),
        "HASMETA flag"
    );
}

#[test]
fn share_points_at_its_source_store() {
    let source = Store::open(&repo("zstd").root).unwrap();
    for name in ["share-absolute", "share-relative"] {
        let share = repo(name);
        let reqs = RepoRequirements::read(&share.root).unwrap();
        assert_eq!(
            reqs.store_path().canonicalize().unwrap(),
            source.path().canonicalize().unwrap()
        );
        assert!(reqs.shared_source().is_some());
    }
}

/// Undoes `dump.py`'s escaping (`\xHH` for bytes outside 0x21-0x7e and
/// backslashes).
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).unwrap());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn encodings_match_mercurial() {
    let text = std::fs::read_to_string(fixtures().join("encodings.txt")).unwrap();
    let mut lines = 0;
    let mut hashed = 0;
    let mut filelogs = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let dot = unescape(fields[1]);
        let f: Vec<Vec<u8>> = fields
            .iter()
            .map(|s| if *s == "=" { dot.clone() } else { unescape(s) })
            .collect();
        let path = &f[0];
        let show = String::from_utf8_lossy(path);
        assert_eq!(
            f[1], f[2],
            "Mercurial's C and pure dotencode differ on {show}"
        );
        assert_eq!(
            StoreEncoding::DotEncode.encode(path),
            f[1],
            "dotencode {show}"
        );
        assert_eq!(StoreEncoding::Hybrid.encode(path), f[3], "hybrid {show}");
        assert_eq!(
            StoreEncoding::Encoded.encode(path),
            f[4],
            "encodefilename {show}"
        );
        assert_eq!(StoreEncoding::Plain.encode(path), f[5], "plain {show}");
        assert_eq!(StoreEncoding::Basic.encode(path), f[6], "encodedir {show}");
        assert_eq!(store_path::hybrid_encode(path, true), f[1]);
        hashed += usize::from(f[1].starts_with(b"dh/"));
        lines += 1;
        // A filelog's two paths, from one encoding where that is exact.
        if let Some(file) = path
            .strip_prefix(b"data/")
            .and_then(|p| p.strip_suffix(b".i"))
        {
            let data = [b"data/", file, b".d"].concat();
            for enc in [
                StoreEncoding::DotEncode,
                StoreEncoding::Hybrid,
                StoreEncoding::Encoded,
                StoreEncoding::Plain,
                StoreEncoding::Basic,
            ] {
                assert_eq!(
                    enc.filelog_paths(file),
                    (enc.encode(path), enc.encode(&data)),
                    "{enc:?} filelog paths of {show}"
                );
            }
            filelogs += 1;
        }
    }
    assert!(filelogs > 200, "{filelogs} filelog paths");
    assert!(
        lines >= 600 && hashed > 200,
        "{lines} lines, {hashed} hashed"
    );
}

/// The comparison that builds on store reading resolves files on many
/// threads: readers must be shareable.
#[test]
fn readers_are_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<hg_core::revlog::Revlog>();
    shareable::<hg_core::manifest::Manifest>();
    shareable::<hg_core::filelog::Filelog>();
    shareable::<hg_core::changelog::Changelog>();
    shareable::<Store>();
}
