//! Step 1 (`dirstate._walkexplicit`) and the orchestration of steps 2 and 3.

use rayon::prelude::*;

use crate::dirstate::dirs::ancestors;

use super::fs::{self, OpenMode, Stat, S_IFDIR};
use super::outcome::{BadReason, StatusOutcome};
use super::tree;
use super::walk::Walker;
use super::StatusError;

/// Runs the whole walk and returns the walker holding the results.
pub(super) fn run<'s, 'a>(mut w: Walker<'s, 'a>) -> Result<Walker<'s, 'a>, StatusError> {
    let opts = w.opts;
    let mut files: Vec<Vec<u8>> = w
        .matcher
        .file_set()
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    files.sort_unstable();
    let root_walk = files.is_empty() || files.iter().any(|f| f.is_empty());
    let exact = w.matcher.is_exact();
    w.explicit.insert(b".hg".to_vec());

    let mut work: Vec<Vec<u8>> = Vec::new();
    let mut notfound: Vec<Vec<u8>> = Vec::new();
    let mut results: Vec<(Vec<u8>, Option<Stat>)> = Vec::new();
    let mut local = StatusOutcome::default();
    if root_walk {
        work.push(Vec::new());
    } else {
        for ff in files {
            if w.explicit.contains(&ff) || results.iter().any(|(p, _)| *p == ff) {
                continue;
            }
            let in_dmap = tree::find(w.at, w.all, &ff).is_some();
            match fs::stat_at(w.root.raw(), &ff, false) {
                Ok(st) if st.kind() == S_IFDIR => {
                    if in_dmap {
                        results.push((ff.clone(), None));
                    }
                    work.push(ff);
                }
                Ok(st) if st.is_file_or_link() => results.push((ff, Some(st))),
                Ok(st) => {
                    local.bad.push((ff.clone(), BadReason::BadType(st.kind())));
                    if in_dmap {
                        results.push((ff, None));
                    }
                }
                Err(e) => {
                    if in_dmap {
                        results.push((ff, None));
                    } else if !tree::subtree(w.at, w.all, &ff).is_empty() {
                        notfound.push(ff);
                    } else {
                        local.bad.push((
                            ff,
                            BadReason::OsError(e.raw_os_error().unwrap_or(libc::ENOENT)),
                        ));
                    }
                }
            }
        }
    }
    // `match.anypats()`: explicit results must still match the patterns.
    results.retain(|(p, _)| w.matcher.matches(p));
    for (p, st) in &results {
        match tree::find(w.at, w.all, p) {
            Some(item) => w.decide(&mut local, item, st.as_ref()),
            None => {
                if st.is_some() {
                    let ign = w.dir_ignore_ancestors(p);
                    w.decide_untracked(&mut local, p.clone(), ign);
                }
            }
        }
    }
    for (p, _) in results {
        let parent = ancestors(&p).next().unwrap_or(b"");
        w.explicit_parents.insert(parent.to_vec());
        w.explicit.insert(p);
    }
    if opts.collect_traversed_dirs {
        local.traversed.extend(work.iter().cloned());
        local.traversed.extend(notfound.iter().cloned());
    }

    let skip_step3 = exact || (opts.matcher_is_prefix && work.is_empty() && notfound.is_empty());
    let mut roots: Vec<Vec<u8>> = if !exact && (opts.list_unknown || opts.list_ignored) {
        work.into_iter()
            .filter(|d| opts.list_ignored || !w.dir_ignore(d))
            .collect()
    } else {
        Vec::new()
    };
    // A directory inside another one is walked as part of it.
    roots.sort_unstable();
    roots.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for r in roots {
        let nested = kept
            .iter()
            .any(|k| k.is_empty() || (r.starts_with(k) && r.get(k.len()) == Some(&b'/')));
        if !nested {
            kept.push(r);
        }
    }
    w.starts = kept.iter().cloned().collect();
    w.flush(local);

    let walk_root = kept.iter().any(|r| r.is_empty());
    let traversals = kept.par_iter().map(|r| {
        let sub = tree::subtree(w.at, w.all, r);
        let ign = opts.list_ignored && w.dir_ignore(r);
        match fs::open_dir_at(w.root.raw(), r, OpenMode::Read) {
            Ok(fd) => w.traverse(r, &fd, sub, ign),
            Err(e) => w.unreadable_dir(r, e, sub),
        }
    });
    let step3 = rayon::iter::once(())
        .filter(|_| !skip_step3 && !walk_root)
        .map(|_| w.step3_root());
    traversals
        .chain(step3)
        .collect::<Result<Vec<()>, StatusError>>()?;
    Ok(w)
}
