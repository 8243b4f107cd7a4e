//! Inputs shared by the micro-benchmarks: deterministic source-tree-like
//! paths (the shape `benches/gen.py` commits), so every benchmark measures
//! the same kind of working copy without a random-number crate.

/// `n` repo-relative paths: 8-40 files per directory, up to six levels deep,
/// directories expanded breadth-first. `exts` picks the file extensions
/// (include ignored ones to exercise ignore matching).
pub fn tree_paths(n: usize, exts: &[&str]) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    const WORDS: &[&str] = &[
        "core", "net", "util", "io", "fs", "db", "ui", "api", "lib", "src",
    ];
    let mut dirs: Vec<String> = vec![String::new()];
    let mut head = 0;
    let mut paths = Vec::with_capacity(n);
    while paths.len() < n {
        if head == dirs.len() {
            dirs.push(format!("top{head}"));
        }
        let dir = dirs[head].clone();
        head += 1;
        for i in 0..(8 + next(33)) {
            if paths.len() == n {
                break;
            }
            let word = WORDS[next(WORDS.len() as u64) as usize];
            let ext = exts[next(exts.len() as u64) as usize];
            let name = format!("{word}_{i}{ext}");
            paths.push(
                if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                }
                .into_bytes(),
            );
        }
        if dir.matches('/').count() < 5 {
            for k in 0..(1 + next(6)) {
                let name = format!("{}{k}", WORDS[next(WORDS.len() as u64) as usize]);
                dirs.push(if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    paths
}

/// Extensions of tracked source files.
#[allow(dead_code)] // not every benchmark binary uses every input
pub const SOURCE_EXTS: &[&str] = &[".c", ".h", ".py", ".rs", ".txt"];

/// A dirstate-v1 file as Mercurial writes it after a clean `hg status`:
/// every entry normal, mode 0644, the given size and a recorded mtime.
#[allow(dead_code)]
pub fn v1_bytes(paths: &[Vec<u8>], size_of: impl Fn(usize) -> u32, mtime: u32) -> Vec<u8> {
    let mut out = vec![0x11u8; 20];
    out.extend_from_slice(&[0u8; 20]);
    for (i, path) in paths.iter().enumerate() {
        out.push(b'n');
        out.extend_from_slice(&0o100644u32.to_be_bytes());
        out.extend_from_slice(&size_of(i).to_be_bytes());
        out.extend_from_slice(&mtime.to_be_bytes());
        out.extend_from_slice(&(path.len() as u32).to_be_bytes());
        out.extend_from_slice(path);
    }
    out
}
