//! `hg_core::watchman` against a real watchman: a private server (its own
//! socket, log, pid and state files in a temporary directory, stopped
//! with `shutdown-server` at the end) watches a temporary directory; the
//! test takes a clock, creates, modifies, deletes and renames files, and
//! checks that fsmonitor's since-query reports exactly those, then the
//! fresh-instance answers to the null clock and to a clock from another
//! server instance.
//!
//! Without a `watchman` executable the test is skipped (it says why),
//! unless `RUSTEXT_REQUIRE_WATCHMAN=1`, where it fails.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hg_core::watchman::query::NULL_CLOCK;
use hg_core::watchman::{
    default_binary, resolve_sockname, Client, FileChange, SinceQuery, WatchmanError,
};

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

/// The private server; shut down when dropped, whatever the test did.
struct Server {
    wrapper: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new(&self.wrapper).arg("shutdown-server").output();
    }
}

/// Starts a private server through a wrapper script that passes the
/// private paths, so that `resolve_sockname(wrapper)` exercises the
/// `get-sockname` path exactly as with a plain `watchman`.
fn start_server(binary: &Path) -> (Server, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wrapper = d.join("watchman-private");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec '{}' --sockname='{}/sock' --logfile='{}/log' \
             --pidfile='{}/pid' --statefile='{}/state' --no-save-state \"$@\"\n",
            binary.display(),
            d.display(),
            d.display(),
            d.display(),
            d.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Server {
        wrapper: wrapper.clone(),
        _dir: dir,
    };
    // The one place that reads the environment: done before any thread
    // of this test could, and this file holds a single test.
    std::env::remove_var("WATCHMAN_SOCK");
    let sock = resolve_sockname(wrapper.as_os_str()).expect("get-sockname starts the server");
    assert_eq!(sock, server._dir.path().join("sock"));
    (server, sock)
}

fn changes(files: &[FileChange]) -> BTreeMap<Vec<u8>, &FileChange> {
    files.iter().map(|f| (f.name.clone(), f)).collect()
}

fn names(files: &[FileChange]) -> Vec<String> {
    let mut names: Vec<String> = files
        .iter()
        .map(|f| f.name.escape_ascii().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn watchman_client_against_a_private_server() {
    let binary = PathBuf::from(default_binary(None));
    if let Err(e) = Command::new(&binary).arg("--version").output() {
        let why = format!("no usable watchman ({}: {e})", binary.display());
        if std::env::var_os("RUSTEXT_REQUIRE_WATCHMAN").as_deref() == Some("1".as_ref()) {
            panic!("{why}, and RUSTEXT_REQUIRE_WATCHMAN=1");
        }
        eprintln!("skipped: {why}; set RUSTEXT_REQUIRE_WATCHMAN=1 to make this a failure");
        return;
    }
    let (server, sock) = start_server(&binary);

    // WATCHMAN_SOCK wins over running the binary, as in pywatchman.
    std::env::set_var("WATCHMAN_SOCK", "/nonexistent/sock");
    assert_eq!(
        resolve_sockname("/nonexistent/watchman".as_ref()).unwrap(),
        PathBuf::from("/nonexistent/sock")
    );
    std::env::remove_var("WATCHMAN_SOCK");
    assert!(matches!(
        resolve_sockname("/nonexistent/watchman".as_ref()),
        Err(WatchmanError::Spawn { .. })
    ));

    let work = tempfile::tempdir().unwrap();
    let root = work.path().canonicalize().unwrap();
    let write = |p: &str, content: &str| {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    for f in [
        "keep.txt",
        "mod.txt",
        "del.txt",
        "ren_old.txt",
        "dir/sub.txt",
    ] {
        write(f, "initial\n");
    }
    write(".hg/dirstate", "x");

    let mut client = Client::connect(&sock, Duration::from_secs(10)).unwrap();
    // The root is not watched yet: `clock` gets "unable to resolve root",
    // sends `watch` and asks again, as fsmonitor's client does.
    let first_clock = client.clock(&root).unwrap();
    assert!(first_clock.starts_with(b"c:"), "{first_clock:?}");

    // From the null clock: a fresh instance with every file but `.hg`.
    let fresh = client
        .query_since(&root, &SinceQuery::fsmonitor(NULL_CLOCK, 2.0, false))
        .unwrap();
    assert!(fresh.is_fresh_instance);
    assert_eq!(
        names(&fresh.files),
        [
            "del.txt",
            "dir",
            "dir/sub.txt",
            "keep.txt",
            "mod.txt",
            "ren_old.txt"
        ]
    );
    assert!(fresh.files.iter().all(|f| f.exists));

    // Changes after a clock.
    let since = client.clock(&root).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    write("new.txt", "new\n");
    write("mod.txt", "initial\nmore\n");
    std::fs::remove_file(root.join("del.txt")).unwrap();
    std::fs::rename(root.join("ren_old.txt"), root.join("ren_new.txt")).unwrap();
    std::os::unix::fs::symlink("keep.txt", root.join("link")).unwrap();
    let odd = root.join(OsString::from_vec(b"odd\xff name".to_vec()));
    std::fs::write(&odd, "x").unwrap();
    write(".hg/dirstate", "changed");
    write(".hg/cache/x", "y");

    let result = client
        .query_since(&root, &SinceQuery::fsmonitor(&since, 2.0, false))
        .unwrap();
    assert!(!result.is_fresh_instance);
    assert_ne!(result.clock, since);
    assert_eq!(
        names(&result.files),
        [
            "del.txt",
            "link",
            "mod.txt",
            "new.txt",
            "odd\\xff name",
            "ren_new.txt",
            "ren_old.txt"
        ]
    );
    let by_name = changes(&result.files);
    let deleted = by_name[&b"del.txt"[..]];
    assert!(!deleted.exists);
    assert!(!by_name[&b"ren_old.txt"[..]].exists);
    let modified = by_name[&b"mod.txt"[..]];
    assert!(modified.exists);
    assert_eq!(modified.mode & S_IFMT, S_IFREG);
    assert_eq!(modified.size, 13);
    let meta = std::fs::metadata(root.join("mod.txt")).unwrap();
    assert_eq!(modified.mtime, std::os::unix::fs::MetadataExt::mtime(&meta));
    assert_eq!(by_name[&b"link"[..]].mode & S_IFMT, S_IFLNK);
    assert_eq!(by_name[&b"new.txt"[..]].size, 4);
    let odd_name = odd.strip_prefix(&root).unwrap().as_os_str().as_bytes();
    assert!(by_name[odd_name].exists);

    // Nothing since the answer's clock (watchman syncs with a cookie).
    let nothing = client
        .query_since(&root, &SinceQuery::fsmonitor(&result.clock, 2.0, false))
        .unwrap();
    assert!(!nothing.is_fresh_instance);
    assert_eq!(names(&nothing.files), Vec::<String>::new());

    // A new directory appears with its file.
    write("newdir/f", "f");
    let with_dir = client
        .query_since(&root, &SinceQuery::fsmonitor(&nothing.clock, 2.0, false))
        .unwrap();
    assert_eq!(names(&with_dir.files), ["newdir", "newdir/f"]);
    assert_eq!(
        changes(&with_dir.files)[&b"newdir"[..]].mode & S_IFMT,
        S_IFDIR
    );

    // A clock from another server instance: fresh instance, every
    // existing file; with empty_on_fresh_instance (walk_on_invalidate),
    // no files.
    let foreign = b"c:1:2:3:4";
    let unknown = client
        .query_since(&root, &SinceQuery::fsmonitor(foreign, 2.0, false))
        .unwrap();
    assert!(unknown.is_fresh_instance);
    assert!(unknown.files.iter().all(|f| f.exists));
    assert_eq!(
        names(&unknown.files),
        [
            "dir",
            "dir/sub.txt",
            "keep.txt",
            "link",
            "mod.txt",
            "new.txt",
            "newdir",
            "newdir/f",
            "odd\\xff name",
            "ren_new.txt"
        ]
    );
    let empty = client
        .query_since(&root, &SinceQuery::fsmonitor(foreign, 2.0, true))
        .unwrap();
    assert!(empty.is_fresh_instance);
    assert!(empty.files.is_empty());

    // A root that cannot be watched: watchman's error, typed.
    let missing = root.join("no-such-dir");
    let err = client.clock(&missing).unwrap_err();
    assert!(matches!(err, WatchmanError::Command(_)), "{err}");

    // The connection still works after an error answer.
    client.clock(&root).unwrap();
    drop(server);
}
