//! Finding watchman's socket, connecting to it with a timeout, and
//! running one command at a time on the connection, the way pywatchman's
//! `client` (Mercurial's `hgext/fsmonitor/pywatchman/__init__.py`) and
//! fsmonitor's `watchmanclient.client` do.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::protocol::{decode_pdu, encode_pdu, pdu_extent, Value};
use super::WatchmanError;

/// The watchman executable pywatchman runs when given none
/// (`_default_binpath`): `$WATCHMAN_BINARY`, else `watchman` from `PATH`.
/// fsmonitor always passes its `fsmonitor.watchman_exe` setting (default
/// `watchman`), so under fsmonitor the variable is not looked at: pass
/// that setting as `configured` to get the same binary.
pub fn default_binary(configured: Option<&OsStr>) -> OsString {
    match configured {
        Some(binary) if !binary.is_empty() => binary.to_owned(),
        _ => std::env::var_os("WATCHMAN_BINARY")
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "watchman".into()),
    }
}

/// The socket path of the user's watchman, found as pywatchman's
/// `_resolvesockname` finds it: `$WATCHMAN_SOCK` if set and not empty
/// (watchman sets it for the triggers it runs), else the `sockname` of
/// `BINARY --output-encoding=bser get-sockname`, which also starts the
/// server when none runs. No timeout, like pywatchman's.
pub fn resolve_sockname(binary: &OsStr) -> Result<PathBuf, WatchmanError> {
    if let Some(path) = std::env::var_os("WATCHMAN_SOCK").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let output = Command::new(binary)
        .args(["--output-encoding=bser", "get-sockname"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| WatchmanError::Spawn {
            binary: binary.to_owned(),
            source,
        })?;
    if !output.status.success() {
        return Err(WatchmanError::GetSockname(format!(
            "watchman exited with {}",
            output.status
        )));
    }
    sockname_from_answer(&output.stdout)
}

/// The `sockname` of a `get-sockname` answer (its `error` is an error).
pub(crate) fn sockname_from_answer(answer: &[u8]) -> Result<PathBuf, WatchmanError> {
    let value = decode_pdu(answer)?;
    if let Some(error) = value.get(b"error") {
        return Err(WatchmanError::GetSockname(lossy(error)));
    }
    match value.get(b"sockname").and_then(Value::as_bytes) {
        Some(path) if !path.is_empty() => Ok(PathBuf::from(OsString::from_vec(path.to_vec()))),
        _ => Err(WatchmanError::Unexpected(
            "get-sockname answer without a sockname".into(),
        )),
    }
}

fn lossy(value: &Value<'_>) -> String {
    match value.as_bytes() {
        Some(s) => String::from_utf8_lossy(s).into_owned(),
        None => value.to_string(),
    }
}

/// Whether a PDU is unilateral, i.e. not the answer to our command, as
/// pywatchman's `isUnilateralResponse` decides: a true `unilateral`, or a
/// `log` or `subscription` key.
pub(crate) fn is_unilateral(value: &Value<'_>) -> bool {
    value.get(b"unilateral").and_then(Value::as_bool) == Some(true)
        || value.get(b"log").is_some()
        || value.get(b"subscription").is_some()
}

/// One connection to the watchman server. Commands are answered in the
/// order they are sent, so one is sent and its answer read before the
/// next; unilateral PDUs that arrive in between are dropped (pywatchman
/// keeps them for subscribers; we have none).
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
    /// Bytes read past the end of the last PDU.
    pending: Vec<u8>,
}

/// The smallest timeout we hand to the socket: a zero `Duration` means
/// "no timeout" to some APIs and is refused by others; pywatchman's
/// `settimeout(0)` would make every read fail at once, which this
/// approximates.
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

impl Client {
    /// Connects to the socket at `path`, waiting at most `timeout`; the
    /// same `timeout` then bounds each read and write, as pywatchman's
    /// `sock.settimeout(timeout)` does (it is not a deadline for a whole
    /// answer: watchman computes the answer before sending anything, so
    /// the first read is the one that waits).
    ///
    /// The connect is non-blocking so that a server whose listen backlog
    /// is full cannot hold us past the timeout.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Self, WatchmanError> {
        let connect_error = |source: io::Error| WatchmanError::Connect {
            path: path.to_owned(),
            source,
        };
        let timeout = timeout.max(MIN_TIMEOUT);
        let addr = rustix::net::SocketAddrUnix::new(path).map_err(|e| connect_error(e.into()))?;
        let fd = rustix::net::socket_with(
            rustix::net::AddressFamily::UNIX,
            rustix::net::SocketType::STREAM,
            rustix::net::SocketFlags::CLOEXEC | rustix::net::SocketFlags::NONBLOCK,
            None,
        )
        .map_err(|e| connect_error(e.into()))?;
        let deadline = Instant::now() + timeout;
        loop {
            match rustix::net::connect(&fd, &addr) {
                Ok(()) => break,
                Err(rustix::io::Errno::INTR) => continue,
                // Unix sockets answer EAGAIN when the backlog is full and
                // do not complete the connect later: try again until the
                // deadline.
                Err(rustix::io::Errno::AGAIN) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(rustix::io::Errno::AGAIN) => {
                    return Err(connect_error(io::ErrorKind::TimedOut.into()))
                }
                Err(e) => return Err(connect_error(e.into())),
            }
        }
        let stream = UnixStream::from(fd);
        stream.set_nonblocking(false).map_err(connect_error)?;
        let mut client = Client {
            stream,
            pending: Vec::new(),
        };
        client.set_timeout(timeout).map_err(connect_error)?;
        Ok(client)
    }

    /// Changes the per-read and per-write timeout, as fsmonitor does
    /// before each command (`settimeout`): `fsmonitor.timeout + 0.1` s for
    /// the query, 0.1 s for the first clock when `walk_on_invalidate`.
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        let timeout = Some(timeout.max(MIN_TIMEOUT));
        self.stream.set_read_timeout(timeout)?;
        self.stream.set_write_timeout(timeout)
    }

    /// Sends `command` (a BSER array such as `["clock", root]`) and hands
    /// its answer to `parse`, skipping unilateral PDUs. An answer or
    /// unilateral PDU with an `error` key is [`WatchmanError::Command`]
    /// (pywatchman checks `error` first too). After any error the
    /// connection should be dropped: an answer may be half read.
    pub fn command<T>(
        &mut self,
        command: &Value<'_>,
        parse: impl FnOnce(&Value<'_>) -> Result<T, WatchmanError>,
    ) -> Result<T, WatchmanError> {
        let pdu = encode_pdu(command);
        self.stream.write_all(&pdu).map_err(io_error)?;
        loop {
            let pdu = self.read_pdu()?;
            let value = decode_pdu(&pdu)?;
            if let Some(error) = value.get(b"error") {
                return Err(WatchmanError::Command(lossy(error)));
            }
            if !is_unilateral(&value) {
                return parse(&value);
            }
        }
    }

    /// Runs `[name, root, args...]` the way fsmonitor's
    /// `watchmanclient.command` does: if watchman answers that it cannot
    /// resolve the root (not watched yet), sends `["watch", root]` and
    /// tries once more.
    pub fn command_in_root<T>(
        &mut self,
        name: &[u8],
        root: &Path,
        args: &[Value<'_>],
        parse: impl Fn(&Value<'_>) -> Result<T, WatchmanError>,
    ) -> Result<T, WatchmanError> {
        let root = root.as_os_str().as_bytes();
        let mut items = vec![Value::String(name), Value::String(root)];
        items.extend_from_slice(args);
        let command = Value::Array(items);
        match self.command(&command, &parse) {
            Err(e) if e.is_unresolved_root() => {
                self.command(
                    &Value::Array(vec![Value::String(b"watch"), Value::String(root)]),
                    |_| Ok(()),
                )?;
                self.command(&command, &parse)
            }
            other => other,
        }
    }

    /// `["watch", root]`, the command fsmonitor sends when watchman does
    /// not know the root (`watchmanclient.command`: `watch`, not
    /// `watch-project`, so the root watched is the repository itself).
    pub fn watch(&mut self, root: &Path) -> Result<(), WatchmanError> {
        let root = root.as_os_str().as_bytes();
        self.command(
            &Value::Array(vec![Value::String(b"watch"), Value::String(root)]),
            |_| Ok(()),
        )
    }

    /// The root's current clock (`getcurrentclock`: `["clock", root]`,
    /// watching the root first if needed). A missing clock is
    /// [`WatchmanError::Unexpected`]; fsmonitor then invalidates its state.
    pub fn clock(&mut self, root: &Path) -> Result<Vec<u8>, WatchmanError> {
        self.command_in_root(b"clock", root, &[], |answer| {
            answer
                .get(b"clock")
                .and_then(Value::as_bytes)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| {
                    WatchmanError::Unexpected("clock result is missing clock value".into())
                })
        })
    }

    /// Reads one whole PDU, keeping any bytes after it for the next.
    fn read_pdu(&mut self) -> Result<Vec<u8>, WatchmanError> {
        const CHUNK: usize = 64 * 1024;
        let mut buf = std::mem::take(&mut self.pending);
        let mut filled = buf.len();
        let total = loop {
            if let Some(extent) = pdu_extent(&buf[..filled])? {
                if filled >= extent.total {
                    break extent.total;
                }
                // Read the rest of a big answer in few calls, but grow
                // with what actually arrives (doubling), never straight
                // to an announced length that may be absurd.
                let want = extent
                    .total
                    .min(filled.saturating_mul(2).max(filled + CHUNK));
                buf.resize(want, 0);
            } else {
                buf.resize(filled + CHUNK, 0);
            }
            match self.stream.read(&mut buf[filled..]) {
                Ok(0) => return Err(WatchmanError::Closed),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        };
        buf.truncate(filled);
        self.pending = buf.split_off(total);
        Ok(buf)
    }
}

/// Timeouts become [`WatchmanError::Timeout`] (`SO_RCVTIMEO` reports
/// `EAGAIN`), other failures [`WatchmanError::Io`].
fn io_error(e: io::Error) -> WatchmanError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => WatchmanError::Timeout,
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => WatchmanError::Closed,
        _ => WatchmanError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    fn answer(value: &Value<'_>) -> Vec<u8> {
        encode_pdu(value)
    }

    #[test]
    fn sockname_answers() {
        let ok = answer(&Value::Object(vec![
            (b"version", Value::String(b"4.9.0")),
            (b"sockname", Value::String(b"/tmp/s")),
        ]));
        assert_eq!(sockname_from_answer(&ok).unwrap(), PathBuf::from("/tmp/s"));
        let err = answer(&Value::Object(vec![(b"error", Value::String(b"nope"))]));
        assert!(matches!(
            sockname_from_answer(&err),
            Err(WatchmanError::GetSockname(m)) if m == "nope"
        ));
        let missing = answer(&Value::Object(vec![]));
        assert!(matches!(
            sockname_from_answer(&missing),
            Err(WatchmanError::Unexpected(_))
        ));
        assert!(matches!(
            sockname_from_answer(b"{\"sockname\": \"/tmp/s\"}"),
            Err(WatchmanError::Decode(_))
        ));
    }

    #[test]
    fn binary_choice() {
        assert_eq!(default_binary(Some(OsStr::new("/opt/wm"))), "/opt/wm");
    }

    /// A fake server on a socket pair: answers are written in advance,
    /// split across writes to exercise the reader.
    fn fake(answers: Vec<Vec<u8>>, split: usize) -> (Client, std::thread::JoinHandle<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let _dir = dir;
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = vec![0u8; 4096];
            let n = conn.read(&mut request).unwrap();
            request.truncate(n);
            let all: Vec<u8> = answers.concat();
            for chunk in all.chunks(split) {
                conn.write_all(chunk).unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
            request
        });
        let client = Client::connect(&path, Duration::from_secs(5)).unwrap();
        (client, server)
    }

    #[test]
    fn skips_unilateral_pdus_and_keeps_what_follows() {
        let answers = vec![
            answer(&Value::Object(vec![
                (b"log", Value::String(b"hello")),
                (b"unilateral", Value::Bool(true)),
            ])),
            answer(&Value::Object(vec![(b"subscription", Value::String(b"s"))])),
            answer(&Value::Object(vec![(
                b"clock",
                Value::String(b"c:1:2:3:4"),
            )])),
            answer(&Value::Object(vec![(b"clock", Value::String(b"second"))])),
        ];
        let (mut client, server) = fake(answers, 5);
        let clock = client.clock(Path::new("/r")).unwrap();
        assert_eq!(clock, b"c:1:2:3:4");
        let request = server.join().unwrap();
        assert_eq!(
            request,
            encode_pdu(&Value::Array(vec![
                Value::String(b"clock"),
                Value::String(b"/r")
            ]))
        );
        // The next PDU, already read, is kept for the next read.
        let next = client.read_pdu().unwrap();
        assert_eq!(
            decode_pdu(&next).unwrap().get(b"clock").unwrap().as_bytes(),
            Some(&b"second"[..])
        );
        // Then the server is gone.
        assert!(matches!(client.read_pdu(), Err(WatchmanError::Closed)));
    }

    #[test]
    fn error_field_is_a_typed_error() {
        let answers = vec![answer(&Value::Object(vec![(
            b"error",
            Value::String(b"unable to resolve root /r: directory /r is not watched"),
        )]))];
        let (mut client, _server) = fake(answers, 1000);
        let err = client
            .command(&Value::Array(vec![Value::String(b"clock")]), |_| Ok(()))
            .unwrap_err();
        assert!(err.is_unresolved_root(), "{err}");
    }

    #[test]
    fn truncated_answer_then_close() {
        let mut pdu = answer(&Value::Object(vec![(b"clock", Value::String(b"c:1"))]));
        pdu.truncate(pdu.len() - 2);
        let (mut client, _server) = fake(vec![pdu], 3);
        let err = client.clock(Path::new("/r")).unwrap_err();
        assert!(matches!(err, WatchmanError::Closed), "{err}");
    }

    #[test]
    fn absurd_announced_length_then_close() {
        // A header announcing 2^62 bytes, then the server goes away: an
        // error, not an attempt to allocate that much.
        let mut pdu = vec![0u8, 1, 0x06];
        pdu.extend_from_slice(&(1i64 << 62).to_ne_bytes());
        pdu.extend_from_slice(&[0x0a; 100]);
        let (mut client, _server) = fake(vec![pdu], 1000);
        let err = client.clock(Path::new("/r")).unwrap_err();
        assert!(matches!(err, WatchmanError::Closed), "{err}");
    }

    #[test]
    fn garbage_answer() {
        let (mut client, _server) = fake(vec![b"{\"clock\": 1}\n".to_vec()], 100);
        let err = client.clock(Path::new("/r")).unwrap_err();
        assert!(matches!(err, WatchmanError::Decode(_)), "{err}");
    }

    #[test]
    fn timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sock");
        let _listener = UnixListener::bind(&path).unwrap();
        // Connected (the backlog accepts it) but never answered.
        let mut client = Client::connect(&path, Duration::from_millis(50)).unwrap();
        let start = Instant::now();
        let err = client.clock(Path::new("/r")).unwrap_err();
        assert!(matches!(err, WatchmanError::Timeout), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn connect_failures() {
        let dir = tempfile::tempdir().unwrap();
        let err = Client::connect(&dir.path().join("none"), Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, WatchmanError::Connect { .. }), "{err}");
    }
}
