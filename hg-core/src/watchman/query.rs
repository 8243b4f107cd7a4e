//! The since-query fsmonitor's `overridewalk` sends (hgext/fsmonitor/
//! `__init__.py`, "step 2: query Watchman") and its typed answer.

use std::path::Path;

use super::client::Client;
use super::protocol::Value;
use super::WatchmanError;

/// The fields fsmonitor asks for, in its order (`__init__.py` of
/// Mercurial 6.9.5 and 7.2.4, `overridewalk`: `b'fields': [b'mode',
/// b'mtime', b'size', b'exists', b'name']`). Not `new`: fsmonitor never
/// asks whether a file appeared since the clock (a file is added or
/// unknown by what the dirstate says), and the answer is only needed to
/// find the files to look at.
pub const FIELDS: [&[u8]; 5] = [b"mode", b"mtime", b"size", b"exists", b"name"];

/// The null clock fsmonitor queries with when it has no state or the
/// ignore rules changed: watchman answers with every file and
/// `is_fresh_instance` (`clock = b'c:0:0'` in `overridewalk`).
pub const NULL_CLOCK: &[u8] = b"c:0:0";

/// The parameters of fsmonitor's query that vary from call to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinceQuery {
    /// The clock from `.hg/fsmonitor.state`, or [`NULL_CLOCK`].
    pub since: Vec<u8>,
    /// `sync_timeout`: how long watchman may wait for its view of the
    /// file system to catch up with a cookie file, in milliseconds
    /// (fsmonitor: `int(state.timeout * 1000)`).
    pub sync_timeout_ms: i64,
    /// `empty_on_fresh_instance`: fsmonitor sets it to
    /// `walk_on_invalidate` (when it would walk anyway, no need for the
    /// full list).
    pub empty_on_fresh_instance: bool,
}

impl SinceQuery {
    /// The query fsmonitor sends for `since` with its `fsmonitor.timeout`
    /// (seconds, default 2) and `fsmonitor.walk_on_invalidate`.
    pub fn fsmonitor(since: &[u8], timeout_seconds: f64, walk_on_invalidate: bool) -> Self {
        SinceQuery {
            since: since.to_vec(),
            // Python's int() truncates towards zero; `as` saturates
            // instead of failing on NaN or infinity.
            sync_timeout_ms: (timeout_seconds * 1000.0).trunc() as i64,
            empty_on_fresh_instance: walk_on_invalidate,
        }
    }

    /// The query object, key for key what `overridewalk` sends: the
    /// expression excludes `.hg` and everything under it.
    pub fn to_value(&self) -> Value<'_> {
        Value::Object(vec![
            (
                b"fields",
                Value::Array(FIELDS.iter().map(|f| Value::String(f)).collect()),
            ),
            (b"since", Value::String(&self.since)),
            (
                b"expression",
                Value::Array(vec![
                    Value::String(b"not"),
                    Value::Array(vec![
                        Value::String(b"anyof"),
                        Value::Array(vec![Value::String(b"dirname"), Value::String(b".hg")]),
                        Value::Array(vec![
                            Value::String(b"name"),
                            Value::String(b".hg"),
                            Value::String(b"wholename"),
                        ]),
                    ]),
                ]),
            ),
            (b"sync_timeout", Value::Int(self.sync_timeout_ms)),
            (
                b"empty_on_fresh_instance",
                Value::Bool(self.empty_on_fresh_instance),
            ),
        ])
    }
}

/// One file watchman reports as changed since the clock (or every file,
/// on a fresh instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path relative to the root, `/`-separated, exactly the bytes
    /// the file system has (BSER carries them raw, UTF-8 or not; see the
    /// module doc of [`crate::watchman`] for how fsmonitor differs).
    pub name: Vec<u8>,
    /// False for a file deleted since the clock (its other fields are
    /// then the last ones watchman saw).
    pub exists: bool,
    /// `st_mode`: the file type decides what fsmonitor does with it.
    pub mode: u32,
    /// `st_mtime` in whole seconds (the `mtime` field; fsmonitor passes
    /// it on as the stat's `st_mtime`, so Mercurial compares seconds only).
    pub mtime: i64,
    /// `st_size`.
    pub size: u64,
}

/// The answer to a [`SinceQuery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryResult {
    /// The clock to store in `.hg/fsmonitor.state` for the next query
    /// (fsmonitor's `setlastclock`).
    pub clock: Vec<u8>,
    /// True when watchman cannot answer relative to `since` (null or
    /// unknown clock, server restarted, root re-watched): `files` is then
    /// every file (or nothing with `empty_on_fresh_instance`), and
    /// anything not listed must not be assumed unchanged.
    pub is_fresh_instance: bool,
    /// The changed files, in watchman's (unspecified) order.
    pub files: Vec<FileChange>,
}

impl QueryResult {
    /// Reads a query answer; any missing or ill-typed field is
    /// [`WatchmanError::Unexpected`], so that the caller falls back to
    /// walking rather than trusting a partial list.
    pub fn from_value(answer: &Value<'_>) -> Result<Self, WatchmanError> {
        let unexpected = |what: &str| WatchmanError::Unexpected(format!("query answer: {what}"));
        let clock = answer
            .get(b"clock")
            .and_then(Value::as_bytes)
            .ok_or_else(|| unexpected("no clock"))?
            .to_vec();
        let is_fresh_instance = answer
            .get(b"is_fresh_instance")
            .and_then(Value::as_bool)
            .ok_or_else(|| unexpected("no is_fresh_instance"))?;
        let files = match answer.get(b"files") {
            // What watchman sends: one column lookup for the whole list.
            Some(Value::Template(table)) => {
                let columns = FIELDS.map(|key| table.column(key));
                let mut files = Vec::with_capacity(table.len());
                table.try_for_each_row(|row| {
                    let cell = |c: Option<usize>| c.and_then(|c| row.get(c)?.as_ref());
                    files.push(file_change(columns.map(cell))?);
                    Ok::<_, WatchmanError>(())
                })?;
                files
            }
            Some(Value::Array(entries)) => entries
                .iter()
                .map(|entry| file_change(FIELDS.map(|key| entry.get(key))))
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(unexpected("no files")),
        };
        Ok(QueryResult {
            clock,
            is_fresh_instance,
            files,
        })
    }
}

/// One file from its [`FIELDS`], in that order.
fn file_change(fields: [Option<&Value<'_>>; 5]) -> Result<FileChange, WatchmanError> {
    let unexpected = |what: &str| WatchmanError::Unexpected(format!("query answer: a file {what}"));
    let [mode, mtime, size, exists, name] = fields;
    Ok(FileChange {
        name: name
            .and_then(Value::as_bytes)
            .ok_or_else(|| unexpected("without a name"))?
            .to_vec(),
        exists: exists
            .and_then(Value::as_bool)
            .ok_or_else(|| unexpected("without exists"))?,
        mode: mode
            .and_then(Value::as_int)
            .and_then(|m| u32::try_from(m).ok())
            .ok_or_else(|| unexpected("without a valid mode"))?,
        mtime: mtime
            .and_then(Value::as_int)
            .ok_or_else(|| unexpected("without an mtime"))?,
        size: size
            .and_then(Value::as_int)
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| unexpected("without a valid size"))?,
    })
}

impl Client {
    /// Runs fsmonitor's since-query on `root` (watching it first if
    /// watchman does not know it, as fsmonitor's client does). Set the
    /// timeout first, as fsmonitor does: `fsmonitor.timeout + 0.1` s.
    pub fn query_since(
        &mut self,
        root: &Path,
        query: &SinceQuery,
    ) -> Result<QueryResult, WatchmanError> {
        self.command_in_root(b"query", root, &[query.to_value()], QueryResult::from_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchman::protocol::{decode_pdu, encode_pdu, Template};

    #[test]
    fn query_is_fsmonitors() {
        let q = SinceQuery::fsmonitor(b"c:1:2:3:4", 2.0, false);
        assert_eq!(q.sync_timeout_ms, 2000);
        assert_eq!(
            q.to_value().to_string(),
            "{\"fields\": [\"mode\", \"mtime\", \"size\", \"exists\", \"name\"], \
             \"since\": \"c:1:2:3:4\", \
             \"expression\": [\"not\", [\"anyof\", [\"dirname\", \".hg\"], \
             [\"name\", \".hg\", \"wholename\"]]], \
             \"sync_timeout\": 2000, \"empty_on_fresh_instance\": false}"
        );
        assert_eq!(SinceQuery::fsmonitor(b"", 0.0015, true).sync_timeout_ms, 1);
        assert_eq!(
            SinceQuery::fsmonitor(b"", f64::NAN, true).sync_timeout_ms,
            0
        );
    }

    /// An answer with `rows` as a template, the way watchman sends it.
    fn templated(rows: &[(&[u8], bool, i64)]) -> Vec<u8> {
        let cells = rows
            .iter()
            .flat_map(|(name, exists, mode)| {
                [
                    Some(Value::String(name)),
                    Some(Value::Int(*mode)),
                    Some(Value::Bool(*exists)),
                    None, // a key the row skips
                    Some(Value::Int(1_700_000_000)),
                    Some(Value::Int(12)),
                ]
            })
            .collect();
        let keys = vec![&b"name"[..], b"mode", b"exists", b"new", b"mtime", b"size"];
        let files = Template::new(keys, rows.len(), cells).unwrap();
        encode_pdu(&Value::Object(vec![
            (b"is_fresh_instance", Value::Bool(false)),
            (b"clock", Value::String(b"c:1:2:3:5")),
            (b"files", Value::Template(Box::new(files))),
        ]))
    }

    /// The same answer with the files as an array of objects.
    fn plain(rows: &[(&[u8], bool, i64)]) -> Vec<u8> {
        let files = rows
            .iter()
            .map(|(name, exists, mode)| {
                Value::Object(vec![
                    (b"mode", Value::Int(*mode)),
                    (b"mtime", Value::Int(1_700_000_000)),
                    (b"size", Value::Int(12)),
                    (b"exists", Value::Bool(*exists)),
                    (b"name", Value::String(name)),
                ])
            })
            .collect();
        encode_pdu(&Value::Object(vec![
            (b"version", Value::String(b"4.9.0")),
            (b"is_fresh_instance", Value::Bool(false)),
            (b"clock", Value::String(b"c:1:2:3:5")),
            (b"files", Value::Array(files)),
        ]))
    }

    #[test]
    fn parses_answers() {
        let rows: [(&[u8], bool, i64); 2] = [(b"a/b", true, 0o100644), (b"gone\xff", false, 0)];
        let pdu = templated(&rows);
        let result = QueryResult::from_value(&decode_pdu(&pdu).unwrap()).unwrap();
        let from_plain = QueryResult::from_value(&decode_pdu(&plain(&rows)).unwrap()).unwrap();
        assert_eq!(result, from_plain);
        assert_eq!(result.clock, b"c:1:2:3:5");
        assert!(!result.is_fresh_instance);
        assert_eq!(
            result.files,
            vec![
                FileChange {
                    name: b"a/b".to_vec(),
                    exists: true,
                    mode: 0o100644,
                    mtime: 1_700_000_000,
                    size: 12
                },
                FileChange {
                    name: b"gone\xff".to_vec(),
                    exists: false,
                    mode: 0,
                    mtime: 1_700_000_000,
                    size: 12
                },
            ]
        );
    }

    #[test]
    fn refuses_partial_answers() {
        let ok = plain(&[(b"a", true, 0o100644)]);
        let value = decode_pdu(&ok).unwrap();
        let Value::Object(top) = &value else {
            unreachable!()
        };
        for skip in 0..top.len() {
            let partial = Value::Object(
                top.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip && top[*i].0 != b"version")
                    .map(|(_, f)| f.clone())
                    .collect(),
            );
            if top[skip].0 == b"version" {
                continue;
            }
            assert!(QueryResult::from_value(&partial).is_err(), "{partial}");
        }
        let Value::Array(files) = value.get(b"files").unwrap() else {
            unreachable!()
        };
        let Value::Object(fields) = &files[0] else {
            unreachable!()
        };
        for skip in 0..fields.len() {
            let file = Value::Object(
                fields
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, f)| f.clone())
                    .collect(),
            );
            let answer = Value::Object(vec![
                (b"clock", Value::String(b"c")),
                (b"is_fresh_instance", Value::Bool(false)),
                (b"files", Value::Array(vec![file])),
            ]);
            assert!(QueryResult::from_value(&answer).is_err(), "{answer}");
        }
        // A negative size or mode.
        for pdu in [templated(&[(b"a", true, -1)]), plain(&[(b"a", true, -1)])] {
            let answer = decode_pdu(&pdu).unwrap();
            assert!(QueryResult::from_value(&answer).is_err());
        }
        // A template without one of the fields.
        let files = Template::new(
            vec![&b"name"[..], b"mode", b"exists", b"mtime"],
            1,
            vec![
                Some(Value::String(b"a")),
                Some(Value::Int(0o100644)),
                Some(Value::Bool(true)),
                Some(Value::Int(1)),
            ],
        )
        .unwrap();
        let answer = Value::Object(vec![
            (b"clock", Value::String(b"c")),
            (b"is_fresh_instance", Value::Bool(false)),
            (b"files", Value::Template(Box::new(files))),
        ]);
        assert!(QueryResult::from_value(&answer).is_err());
    }
}
