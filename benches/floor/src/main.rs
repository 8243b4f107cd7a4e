//! Command-line floor: `floor [--read] [--exclude NAME]... ROOT...` prints
//! `FILES DIRS BYTES` for all roots. `floor --listed LIST ROOT` instead
//! `lstat`s only the paths of LIST (NUL-separated, relative to ROOT, as
//! `benches/gen.py`'s `tracked.lst`), reading no directory, and also prints
//! on stderr the time that took without reading the list.
//!
//! `.hg` is always skipped; `--exclude` skips more top-level names (e.g. an
//! ignored `build/` tree that `hg status` never descends into); `--read`
//! also reads every regular file (the floor of a touched working copy, with
//! `.hg/store/data` as a second root).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut excluded = Vec::new();
    let mut roots = Vec::new();
    let mut read = false;
    let mut listed = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--listed" {
            match args.next() {
                Some(list) => listed = Some(list),
                None => {
                    eprintln!("floor: --listed needs a file");
                    return ExitCode::from(2);
                }
            }
        } else if arg == "--exclude" {
            match args.next().map(|v| CString::new(v.as_bytes())) {
                Some(Ok(name)) => excluded.push(name),
                _ => {
                    eprintln!("floor: --exclude needs a name");
                    return ExitCode::from(2);
                }
            }
        } else if arg == "--read" {
            read = true;
        } else {
            roots.push(arg);
        }
    }
    if roots.is_empty() {
        eprintln!("usage: floor [--read] [--exclude NAME]... ROOT...");
        return ExitCode::from(2);
    }
    if let Some(list) = listed {
        return lstat_listed(&list, &roots);
    }
    // The roots are walked one after the other, each on all cores.
    let mut total = floor::Counts::default();
    for root in roots {
        let Ok(root) = CString::new(root.as_bytes()) else {
            eprintln!("floor: root path contains a NUL byte");
            return ExitCode::from(2);
        };
        let walked = if read {
            floor::walk_reading(&root, &excluded)
        } else {
            floor::walk(&root, &excluded)
        };
        match walked {
            Ok(c) => total = total + c,
            Err(e) => {
                eprintln!("floor: {}: {e}", root.to_string_lossy());
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{} {} {}", total.files, total.dirs, total.bytes);
    ExitCode::SUCCESS
}

/// `floor --listed LIST ROOT`.
fn lstat_listed(list: &std::ffi::OsStr, roots: &[std::ffi::OsString]) -> ExitCode {
    let [root] = roots else {
        eprintln!("floor: --listed takes one root");
        return ExitCode::from(2);
    };
    let text = match std::fs::read(list) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("floor: {}: {e}", list.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let mut paths: Vec<&[u8]> = text.split(|&b| b == 0).filter(|p| !p.is_empty()).collect();
    let Ok(root) = CString::new(root.as_bytes()) else {
        eprintln!("floor: root path contains a NUL byte");
        return ExitCode::from(2);
    };
    let started = std::time::Instant::now();
    match floor::lstat_listed(&root, &mut paths) {
        Ok(c) => {
            // The process's time also counts reading the list: the floor
            // proper is this.
            let ms = started.elapsed().as_secs_f64() * 1e3;
            eprintln!("floor: sort and lstat of {} paths: {ms:.1} ms", paths.len());
            println!("{} {} {}", c.files, c.dirs, c.bytes);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("floor: {}: {e}", root.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
