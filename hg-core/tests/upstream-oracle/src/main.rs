//! `empty-dirs-oracle`: upstream Mercurial 7.2.4's own Rust status, run on
//! a working copy, printing its `empty_dirs` (the `hg purge` list), one
//! path per line, sorted. The differential test
//! `hg-core/tests/status_empty_dirs_upstream.rs` compares our list with
//! this one; `build.sh` builds it against a copy of the sdist's `rust/`.
//!
//! Usage: `empty-dirs-oracle ROOT DIRSTATE_V1 OPTIONS [ARG...]` where
//! OPTIONS is `u`, `i`, `k` letters (list unknown, list ignored, keep
//! files; `-` for none) and each ARG is `pat=KIND:PAT`, `inc=KIND:PAT`,
//! `exc=KIND:PAT` or `exact=PATH`. The matcher is built the way
//! Mercurial's `match.match` builds it: exact files alone, else the
//! patterns (or always), intersected with the includes, minus the
//! excludes. The ignore file is `ROOT/.hgignore` when it exists.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hg::dirstate::owning::OwningDirstateMap;
use hg::dirstate::status::StatusOptions;
use hg::file_patterns::{parse_pattern_syntax_kind, FilePattern};
use hg::matchers::{
    AlwaysMatcher, DifferenceMatcher, FileMatcher, IncludeMatcher, IntersectionMatcher, Matcher,
    PatternMatcher,
};
use hg::utils::hg_path::HgPathBuf;

fn pattern(spec: &str) -> Result<FilePattern, String> {
    let (kind, pat) = spec.split_once(':').ok_or(format!("no kind in {spec}"))?;
    let syntax = parse_pattern_syntax_kind(kind.as_bytes()).map_err(|e| e.to_string())?;
    Ok(FilePattern::new(syntax, pat.as_bytes(), Path::new("")))
}

fn run() -> Result<Vec<Vec<u8>>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, dirstate, opts, rest @ ..] = args.as_slice() else {
        return Err("usage: empty-dirs-oracle ROOT DIRSTATE_V1 OPTIONS [ARG...]".into());
    };
    let (mut pats, mut incs, mut excs, mut exact) = (vec![], vec![], vec![], vec![]);
    for a in rest {
        match a.split_once('=') {
            Some(("pat", p)) => pats.push(pattern(p)?),
            Some(("inc", p)) => incs.push(pattern(p)?),
            Some(("exc", p)) => excs.push(pattern(p)?),
            Some(("exact", p)) => exact.push(HgPathBuf::from_bytes(p.as_bytes())),
            _ => return Err(format!("bad argument {a}")),
        }
    }
    let matcher: Box<dyn Matcher + Send> = if !exact.is_empty() {
        Box::new(FileMatcher::new(exact).map_err(|e| e.to_string())?)
    } else {
        let base: Option<Box<dyn Matcher + Send>> = if pats.is_empty() {
            None
        } else {
            Some(Box::new(
                PatternMatcher::new(pats).map_err(|e| e.to_string())?,
            ))
        };
        let inc: Option<Box<dyn Matcher + Send>> = if incs.is_empty() {
            None
        } else {
            Some(Box::new(
                IncludeMatcher::new(incs).map_err(|e| e.to_string())?,
            ))
        };
        // `match.intersectmatchers`: "always" drops out.
        let with_inc: Box<dyn Matcher + Send> = match (base, inc) {
            (None, None) => Box::new(AlwaysMatcher),
            (Some(m), None) | (None, Some(m)) => m,
            (Some(b), Some(i)) => Box::new(IntersectionMatcher::new(b, i)),
        };
        if excs.is_empty() {
            with_inc
        } else {
            let exc = Box::new(IncludeMatcher::new(excs).map_err(|e| e.to_string())?);
            Box::new(DifferenceMatcher::new(with_inc, exc))
        }
    };
    let data = std::fs::read(dirstate).map_err(|e| format!("{dirstate}: {e}"))?;
    let (mut map, _) = OwningDirstateMap::new_v1(data, None).map_err(|e| format!("{e:?}"))?;
    let root = PathBuf::from(root);
    let hgignore = root.join(".hgignore");
    let ignore_files = if hgignore.exists() {
        vec![hgignore]
    } else {
        vec![]
    };
    let options = StatusOptions {
        check_exec: true,
        list_clean: false,
        list_unknown: opts.contains('u'),
        list_ignored: opts.contains('i'),
        list_copies: false,
        collect_traversed_dirs: true,
        empty_dirs_keep_files: opts.contains('k'),
    };
    map.with_status(&matcher, root, ignore_files, options, |res, _warnings| {
        let st = res.map_err(|e| e.to_string())?;
        let mut dirs: Vec<Vec<u8>> = st
            .empty_dirs
            .iter()
            .map(|d| d.as_bytes().to_vec())
            .collect();
        dirs.sort();
        Ok(dirs)
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(dirs) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for d in dirs {
                let _ = out.write_all(&d);
                let _ = out.write_all(b"\n");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("empty-dirs-oracle: {e}");
            ExitCode::from(2)
        }
    }
}
