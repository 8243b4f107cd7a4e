//! `measure OUT ARGV...`: runs ARGV (same stdio, directory and environment),
//! waits for it with `wait4` and writes `ELAPSED_NS MAXRSS_KB UTIME_US
//! STIME_US` to the file OUT; exits with ARGV's exit code (128 + signal when
//! killed).
//!
//! Why: Linux charges a process, at `execve`, with the peak RSS of the memory
//! it had before (`exec_mmap` → `setmax_mm_hiwater_rss`). A command forked or
//! vforked straight from the benchmark harness, a Python process holding
//! dirstate copies, reports at least the harness's own peak as its
//! `ru_maxrss`. Spawned from this small process instead, a command's peak RSS
//! is its own (or this process's couple of MB, whichever is higher).

use std::io::Write;
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), Some(program)) = (args.next(), args.next()) else {
        eprintln!("usage: measure OUT PROGRAM [ARGS]...");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let child = match Command::new(&program).args(args).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("measure: cannot run {:?}: {}", program, e);
            return ExitCode::from(127);
        }
    };
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            eprintln!("measure: wait4: {}", std::io::Error::last_os_error());
            return ExitCode::from(125);
        }
    }
    let elapsed = start.elapsed();
    let us = |tv: libc::timeval| tv.tv_sec * 1_000_000 + tv.tv_usec;
    let line = format!(
        "{} {} {} {}\n",
        elapsed.as_nanos(),
        usage.ru_maxrss,
        us(usage.ru_utime),
        us(usage.ru_stime)
    );
    if let Err(e) = std::fs::File::create(&out).and_then(|mut f| f.write_all(line.as_bytes())) {
        eprintln!("measure: cannot write {:?}: {}", out, e);
        return ExitCode::from(125);
    }
    if libc::WIFEXITED(status) {
        ExitCode::from(libc::WEXITSTATUS(status) as u8)
    } else {
        ExitCode::from(128u8.wrapping_add(libc::WTERMSIG(status) as u8))
    }
}
