//! How Mercurial names a repository path relative to the current directory
//! (`dirstate.getcwd` + `util.pathto`), for the unreadable-directory warnings
//! Python passes through `matcher.bad`: reproducing the name lets those
//! warnings stay native when `hg` runs from a subdirectory or from outside
//! the working copy (`-R`).

/// `dirstate.getcwd()`: `cwd` relative to `root`, `""` at the root, and the
/// absolute `cwd` when it lies outside the working copy.
fn repo_cwd<'a>(root: &[u8], cwd: &'a [u8]) -> &'a [u8] {
    if cwd == root {
        return b"";
    }
    let rel = if root.ends_with(b"/") {
        cwd.strip_prefix(root)
    } else {
        cwd.strip_prefix(root)
            .and_then(|r| r.strip_prefix(b"/".as_slice()))
    };
    rel.unwrap_or(cwd)
}

/// `dirstate.pathto(f)` on POSIX: the path of repository file `f` as seen
/// from `cwd` (both absolute, as Python's `os.getcwdb()` and `repo.root`;
/// a trailing `/` on `root`, as in the `root_dir` status receives, is
/// ignored).
pub fn path_to(root: &[u8], cwd: &[u8], f: &[u8]) -> Vec<u8> {
    let root = match root.strip_suffix(b"/") {
        Some(r) if !r.is_empty() => r,
        _ => root,
    };
    let n1 = repo_cwd(root, cwd);
    if n1.is_empty() {
        return f.to_vec();
    }
    let joined;
    let n2: &[u8] = if n1.starts_with(b"/") {
        joined = [root, b"/", f].concat();
        &joined
    } else {
        f
    };
    let a: Vec<&[u8]> = n1.split(|&c| c == b'/').collect();
    let b: Vec<&[u8]> = n2.split(|&c| c == b'/').collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&[u8]> = vec![b"..".as_slice(); a.len() - common];
    parts.extend_from_slice(&b[common..]);
    let out = parts.join(b"/".as_slice());
    if out.is_empty() {
        b".".to_vec()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::path_to;

    /// Expected values printed by Mercurial 6.9.5's own functions:
    /// `util.pathto(root, dirstate.getcwd(), f)` with `_cwd` set to `cwd`.
    #[test]
    fn matches_mercurial_pathto() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("/r", "/r", "d1", "d1"),
            ("/r", "/r/sub", "d1", "../d1"),
            ("/r", "/r/d1", "d1", "."),
            ("/r", "/r/d1/x", "d1", ".."),
            ("/r", "/r/a/b", "a/c/d", "../c/d"),
            ("/r", "/tmp", "d1", "../r/d1"),
            ("/r", "/", "d1", "../r/d1"),
            ("/r", "/rr", "d1", "../r/d1"),
            ("/", "/x", "d1", "../d1"),
            ("/r/", "/r", "d1", "d1"),
            ("/r/", "/r/sub", "d1", "../d1"),
            ("/r/", "/tmp", "d1", "../r/d1"),
        ];
        for (root, cwd, f, want) in cases {
            let got = path_to(root.as_bytes(), cwd.as_bytes(), f.as_bytes());
            assert_eq!(
                String::from_utf8_lossy(&got),
                *want,
                "root {root} cwd {cwd} f {f}"
            );
        }
    }
}
