//! Command-line floor: `floor [--exclude NAME]... ROOT` prints `FILES DIRS`.
//! `.hg` is always skipped; `--exclude` skips more top-level names (e.g. an
//! ignored `build/` tree that `hg status` never descends into).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut excluded = Vec::new();
    let mut root = None;
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
        } else {
            root = Some(arg);
        }
    }
    let Some(root) = root else {
        eprintln!("usage: floor [--exclude NAME]... ROOT");
        return ExitCode::from(2);
    };
    let Ok(root) = CString::new(root.as_bytes()) else {
        eprintln!("floor: root path contains a NUL byte");
        return ExitCode::from(2);
    };
    match floor::walk(&root, &excluded) {
        Ok(c) => {
            println!("{} {}", c.files, c.dirs);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("floor: {}: {e}", root.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
