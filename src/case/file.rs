//! Reading a case's files (`case.toml`, events, `expected.json`), with errors that name the
//! file, the key and the line.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::expect::{ExpectError, Expected};
use crate::observe::CallKind;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", file.display())]
    Toml { file: PathBuf, message: String },
    #[error("{}:{line}: `{key}`: {message}", file.display())]
    Invalid {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{}:{line}:{column}: not valid JSON: {message}", file.display())]
    Json {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The largest file of a case the loader reads (an event, a body, an expectation).
pub const MAX_FILE: u64 = 64 * 1024 * 1024;

pub fn read(file: &Path) -> Result<String, CaseError> {
    let bytes = read_bytes(file)?;
    String::from_utf8(bytes).map_err(|e| CaseError::Read {
        file: file.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
    })
}

/// The bytes of `file`, a regular file of at most `MAX_FILE` bytes: a device, a FIFO or a
/// directory is refused before it is read (`/dev/zero` never ends).
pub fn read_bytes(file: &Path) -> Result<Vec<u8>, CaseError> {
    let error = |source| CaseError::Read {
        file: file.to_owned(),
        source,
    };
    let meta = std::fs::metadata(file).map_err(error)?;
    if !meta.is_file() {
        return Err(error(std::io::Error::other(
            "not a regular file (a directory, a device or a FIFO); a case reads only files",
        )));
    }
    if meta.len() > MAX_FILE {
        return Err(error(std::io::Error::other(format!(
            "{} bytes, more than the {MAX_FILE} a case file may have",
            meta.len()
        ))));
    }
    std::fs::read(file).map_err(error)
}

/// The file `name` (what a key of `case.toml` says) of the case folder `dir`: a relative path
/// without `..` that no symbolic link leads out of the folder; a file that is not there is for
/// the read to report. The error is the message for the key.
pub fn inside(dir: &Path, name: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    let relative = Path::new(name);
    if relative.is_absolute() {
        return Err(format!(
            "`{name}` is an absolute path; name a file inside the case folder, relative to it"
        ));
    }
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "`{name}` leaves the case folder (`..`); name a file inside it"
        ));
    }
    let path = dir.join(relative);
    let real = match std::fs::canonicalize(&path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path),
        Err(e) => return Err(format!("cannot resolve `{name}`: {e}")),
    };
    let root = std::fs::canonicalize(dir)
        .map_err(|e| format!("cannot resolve the case folder {}: {e}", dir.display()))?;
    if !real.starts_with(&root) {
        return Err(format!(
            "`{name}` leads out of the case folder through a symbolic link (to {}); name a file inside it",
            real.display()
        ));
    }
    Ok(path)
}

/// The file `name` of the case folder `dir`, as [`inside`], and there: for a key that names a
/// file, so that a name of no file is reported at the key and its line in `case.toml` rather
/// than as an unreadable file of that name.
pub fn named_file(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let path = inside(dir, name)?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(format!(
            "`{name}` is not a file of the case folder; name one that is (relative to it)"
        ));
    }
    Ok(path)
}

pub fn parse_json(file: &Path, text: &str) -> Result<Value, CaseError> {
    serde_json::from_str(text).map_err(|e| CaseError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// The expectation in `file` for a call of `kind`.
pub fn load_expected(file: &Path, kind: CallKind) -> Result<Expected, CaseError> {
    let text = read(file)?;
    let Value::Object(map) = parse_json(file, &text)? else {
        return Err(CaseError::Invalid {
            file: file.to_owned(),
            line: 1,
            key: "(top level)".into(),
            message: "expected.json holds one JSON object".into(),
        });
    };
    Expected::load(&map, kind).map_err(|error| expect_error(file, &text, error))
}

/// An expectation error, located at the first `"key"` of the file's `text`.
pub fn expect_error(file: &Path, text: &str, error: ExpectError) -> CaseError {
    CaseError::Invalid {
        file: file.to_owned(),
        line: find_string_line(text, &error.key),
        key: error.key,
        message: error.message,
    }
}

/// The line of the first string in the JSON `text` that reads `value` once its escapes are
/// decoded (a key written `"a\"b"` is the key `a"b`); 0 when there is none.
pub fn find_string_line(text: &str, value: &str) -> usize {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'"' {
            let start = at;
            at += 1;
            while at < bytes.len() && bytes[at] != b'"' {
                at += if bytes[at] == b'\\' { 2 } else { 1 };
            }
            let end = (at + 1).min(bytes.len());
            if text
                .get(start..end)
                .and_then(|token| serde_json::from_str::<String>(token).ok())
                .is_some_and(|decoded| decoded == value)
            {
                return line_of(text, start);
            }
        }
        at += 1;
    }
    0
}

/// The 1-based line of byte `offset`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of the first occurrence of `needle`; 0 when it is not there.
pub fn find_line(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(0, |offset| line_of(text, offset))
}
