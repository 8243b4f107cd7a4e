//! JSON vs BSER for fsmonitor's since-query from the null clock (every
//! file: what a first status, a restarted server or changed ignore rules
//! get), on a private watchman watching a generated tree.
//!
//! For each size: bytes on the wire, round trip (send to last byte
//! read: includes watchman's encoding), and decoding into the typed
//! result: serde_json, serde_bser, and hg-core's decoder. Median of 7.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hg_core::watchman::protocol::{decode_pdu, encode_pdu, pdu_extent};
use hg_core::watchman::{Client, QueryResult, SinceQuery};

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Answer {
    clock: String,
    is_fresh_instance: bool,
    files: Vec<File>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct File {
    name: String,
    mode: u32,
    mtime: i64,
    size: u64,
    exists: bool,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct BserAnswer {
    clock: String,
    is_fresh_instance: bool,
    files: Vec<BserFile>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct BserFile {
    name: serde_bser::bytestring::ByteString,
    mode: u32,
    mtime: i64,
    size: u64,
    exists: bool,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn make_tree(root: &Path, n: usize) {
    for i in 0..n {
        let dir = root.join(format!("src/module_{:04}/component", i / 500));
        if i % 500 == 0 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        std::fs::write(dir.join(format!("file_{:06}_name.rs", i)), b"").unwrap();
    }
}

fn json_round_trip(sock: &Path, command: &str) -> (Vec<u8>, Duration) {
    let mut stream = UnixStream::connect(sock).unwrap();
    let start = Instant::now();
    stream.write_all(command.as_bytes()).unwrap();
    stream.write_all(b"\n").unwrap();
    let mut line = Vec::new();
    BufReader::with_capacity(1 << 20, &mut stream)
        .read_until(b'\n', &mut line)
        .unwrap();
    (line, start.elapsed())
}

fn bser_round_trip(sock: &Path, command: &[u8]) -> (Vec<u8>, Duration) {
    let mut stream = UnixStream::connect(sock).unwrap();
    let start = Instant::now();
    stream.write_all(command).unwrap();
    let mut buf = vec![0u8; 64];
    let mut filled = 0;
    loop {
        if let Some(extent) = pdu_extent(&buf[..filled]).unwrap() {
            buf.resize(extent.total, 0);
            if filled == extent.total {
                break;
            }
        }
        filled += stream.read(&mut buf[filled..]).unwrap();
    }
    (buf, start.elapsed())
}

fn measure(wrapper: &Path, sock: &Path, n: usize) {
    let tree = tempfile_dir(&format!("tree-{n}"));
    let t = Instant::now();
    make_tree(&tree, n);
    eprintln!("{n}: tree made in {}", ms(t.elapsed()));
    let mut client = Client::connect(sock, Duration::from_secs(120)).unwrap();
    client.watch(&tree).unwrap();
    client.clock(&tree).unwrap(); // waits for the crawl
    let query = SinceQuery::fsmonitor(b"c:0:0", 60.0, false);
    let root = tree.to_str().unwrap();
    let json_command = format!(
        r#"["query", "{root}", {{"fields": ["mode", "mtime", "size", "exists", "name"], "since": "c:0:0", "expression": ["not", ["anyof", ["dirname", ".hg"], ["name", ".hg", "wholename"]]], "sync_timeout": 60000, "empty_on_fresh_instance": false}}]"#
    );
    // serde_bser only reads BSER v2 PDUs, and watchman answers in the
    // version it is asked in: send v2 (hg-core reads both).
    let v1 = encode_pdu(&hg_core::watchman::Value::Array(vec![
        hg_core::watchman::Value::String(b"query"),
        hg_core::watchman::Value::String(root.as_bytes()),
        query.to_value(),
    ]));
    let value_start = pdu_extent(&v1).unwrap().unwrap().value_start;
    let mut bser_command = vec![0, 2, 0, 0, 0, 0];
    bser_command.extend_from_slice(&v1[2..]);
    let _ = value_start;
    let (mut json_rt, mut bser_rt) = (vec![], vec![]);
    let (mut json_de, mut serde_bser_de, mut ours_de, mut ours_tree) =
        (vec![], vec![], vec![], vec![]);
    let (mut json_len, mut bser_len) = (0, 0);
    for _ in 0..7 {
        let (line, d) = json_round_trip(sock, &json_command);
        json_rt.push(d);
        json_len = line.len();
        let t = Instant::now();
        let a: Answer = serde_json::from_slice(&line).unwrap();
        json_de.push(t.elapsed());
        assert!(a.files.len() >= n);

        let (pdu, d) = bser_round_trip(sock, &bser_command);
        bser_rt.push(d);
        bser_len = pdu.len();
        let t = Instant::now();
        let a: BserAnswer = serde_bser::from_slice(&pdu).unwrap();
        serde_bser_de.push(t.elapsed());
        assert!(a.files.len() >= n);
        let t = Instant::now();
        let v = decode_pdu(&pdu).unwrap();
        ours_tree.push(t.elapsed());
        let r = QueryResult::from_value(&v).unwrap();
        ours_de.push(t.elapsed());
        drop(v);
        assert!(r.files.len() >= n);
    }
    println!(
        "{n} files: JSON {json_len} bytes, round trip {}, serde_json {} | BSER {bser_len} bytes, round trip {}, serde_bser {}, hg-core {} (of which BSER to value tree {})",
        ms(median(json_rt)),
        ms(median(json_de)),
        ms(median(bser_rt)),
        ms(median(serde_bser_de)),
        ms(median(ours_de)),
        ms(median(ours_tree)),
    );
    let _ = Command::new(wrapper)
        .args(["watch-del", tree.to_str().unwrap()])
        .output();
    std::fs::remove_dir_all(&tree).unwrap();
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("watchman-encoding-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let state = tempfile_dir("server");
    let s = state.display();
    let wrapper = state.join("watchman-private");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nexec watchman --sockname={s}/sock --logfile={s}/log --pidfile={s}/pid --statefile={s}/state --no-save-state \"$@\"\n"),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&wrapper).unwrap().permissions(),
        0o755,
    );
    Command::new("chmod")
        .arg("755")
        .arg(&wrapper)
        .status()
        .unwrap();
    let sock = hg_core::watchman::resolve_sockname(wrapper.as_os_str()).unwrap();
    for n in sizes {
        measure(&wrapper, &sock, n);
    }
    let _ = Command::new(&wrapper).arg("shutdown-server").output();
    let _ = std::fs::remove_dir_all(&state);
}
