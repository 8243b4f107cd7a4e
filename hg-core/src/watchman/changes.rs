//! The question `hg status` asks watchman under fsmonitor: which paths
//! changed since the clock the last status recorded. One connection, one
//! query, fsmonitor's timeouts; the caller decides the paths
//! ([`crate::status::status_of_paths`]) or walks on a fresh instance.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::client::{resolve_sockname, Client};
use super::query::SinceQuery;
use super::WatchmanError;

/// What fsmonitor's settings and state say about the query to make.
#[derive(Debug, Clone)]
pub struct ChangesRequest {
    /// The clock from `.hg/fsmonitor.state`.
    pub since: Vec<u8>,
    /// The socket pywatchman already resolved in this process, if any
    /// (saves running `watchman get-sockname` a second time).
    pub socket: Option<PathBuf>,
    /// `fsmonitor.watchman_exe`, to resolve the socket otherwise.
    pub binary: OsString,
    /// `fsmonitor.timeout`, in seconds.
    pub timeout_seconds: f64,
    /// `fsmonitor.walk_on_invalidate`.
    pub walk_on_invalidate: bool,
}

/// Watchman's answer, reduced to what status needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The clock to record for the next status (fsmonitor's
    /// `setlastclock`).
    pub clock: Vec<u8>,
    /// Watchman cannot answer relative to the clock: the working copy
    /// must be walked.
    pub is_fresh_instance: bool,
    /// The paths reported, existing or deleted, in watchman's order.
    pub paths: Vec<Vec<u8>>,
}

/// The per-operation timeout fsmonitor sets for its query:
/// `fsmonitor.timeout + 0.1` seconds (a nonsensical setting gets the
/// default, 2 s, rather than an error: fsmonitor would fail on it first).
fn socket_timeout(timeout_seconds: f64) -> Duration {
    Duration::try_from_secs_f64(timeout_seconds + 0.1).unwrap_or(Duration::from_millis(2100))
}

/// Asks watchman which paths below `root` changed since `request.since`.
pub fn changes_since(root: &Path, request: &ChangesRequest) -> Result<Changes, WatchmanError> {
    let socket = match &request.socket {
        Some(path) => path.clone(),
        None => resolve_sockname(&request.binary)?,
    };
    let mut client = Client::connect(&socket, socket_timeout(request.timeout_seconds))?;
    let query = SinceQuery::fsmonitor(
        &request.since,
        request.timeout_seconds,
        request.walk_on_invalidate,
    );
    // Mercurial hands status its root with a trailing slash
    // (`dirstate._rootdir`); watchman knows roots without one.
    let root: PathBuf = root.components().collect();
    let answer = client.query_since(&root, &query)?;
    Ok(Changes {
        clock: answer.clock,
        is_fresh_instance: answer.is_fresh_instance,
        paths: answer.files.into_iter().map(|f| f.name).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_is_fsmonitors_plus_slack() {
        assert_eq!(socket_timeout(2.0), Duration::from_millis(2100));
        assert_eq!(socket_timeout(f64::NAN), Duration::from_millis(2100));
        assert_eq!(socket_timeout(-5.0), Duration::from_millis(2100));
    }

    #[test]
    fn unreachable_socket_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let request = ChangesRequest {
            since: b"c:0:0".to_vec(),
            socket: Some(dir.path().join("no-such-socket")),
            binary: "watchman".into(),
            timeout_seconds: 0.2,
            walk_on_invalidate: false,
        };
        let err = changes_since(dir.path(), &request).unwrap_err();
        assert!(matches!(err, WatchmanError::Connect { .. }), "{err:?}");
    }
}
