//! Command-line floor: `floor [--read] [--exclude NAME]... ROOT...` prints
//! `FILES DIRS BYTES` for all roots. `.hg` is always skipped; `--exclude`
//! skips more top-level names (e.g. an ignored `build/` tree that `hg status`
//! never descends into); `--read` also reads every regular file (the floor
//! of a touched working copy, with `.hg/store/data` as a second root).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut excluded = Vec::new();
    let mut roots = Vec::new();
    let mut read = false;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--exclude" {
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
