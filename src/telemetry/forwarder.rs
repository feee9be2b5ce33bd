//! The forwarder: the Node.js extension the harness deploys as a dependency of every function
//! whose case sets `telemetry`. It subscribes to the function's telemetry and passes each batch of
//! events on to the collector (its files are in `forwarder/`, zipped here).

use std::path::Path;

use crate::package::{self, Entry, PackageError};

/// The user_data key holding the collector URL of the trial (`…/telemetry/{token}`).
pub const COLLECTOR_URL_VAR: &str = "FGCONFORM_COLLECTOR_URL";
/// The user_data key holding the telemetry types to subscribe to, comma-separated.
pub const TYPES_VAR: &str = "FGCONFORM_TELEMETRY_TYPES";
/// Both, for a case that must leave them to the harness.
pub const USER_DATA_KEYS: [&str; 2] = [COLLECTOR_URL_VAR, TYPES_VAR];

/// The script FunctionGraph starts (`extension/extension*.sh`); its file name is the name the
/// forwarder registers with.
pub const SCRIPT: &str = include_str!("forwarder/extensionFgconformForwarder.sh");
pub const SCRIPT_PATH: &str = "extension/extensionFgconformForwarder.sh";
/// The forwarder itself, for Node.js 6.10 and later.
pub const JS: &str = include_str!("forwarder/forwarder.js");
pub const JS_PATH: &str = "extension/forwarder.js";

/// The dependency's zip: `extension/extensionFgconformForwarder.sh` (executable) and
/// `extension/forwarder.js`, the same bytes every time.
pub fn zip() -> Result<Vec<u8>, PackageError> {
    package::zip_entries(
        Path::new("the telemetry forwarder"),
        &[
            Entry {
                name: SCRIPT_PATH.into(),
                bytes: SCRIPT.as_bytes().to_vec(),
                executable: true,
            },
            Entry {
                name: JS_PATH.into(),
                bytes: JS.as_bytes().to_vec(),
                executable: false,
            },
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    #[test]
    fn the_zip_holds_the_script_and_the_js_under_extension() {
        let bytes = zip().unwrap();
        assert_eq!(bytes, zip().unwrap());
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<_> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        assert_eq!(names, [SCRIPT_PATH, JS_PATH]);
        let mut script = archive.by_name(SCRIPT_PATH).unwrap();
        assert_eq!(script.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut text = String::new();
        script.read_to_string(&mut text).unwrap();
        assert!(text.starts_with("#!/bin/bash\n"));
        assert!(text.contains("exec node \"$(dirname \"$0\")/forwarder.js\""));
    }

    /// The JS must parse on Node.js 6.10: none of the syntax it lacks, outside comments (the
    /// self-test `selftest::telemetry::forwarder-on-node-6.10` runs it there when it can).
    #[test]
    fn the_js_keeps_to_node_6_syntax() {
        let code: String = JS
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for newer in [
            "async ", "await ", "=>", "...", "`", "let ", "const ", "class ", "?.", "??",
        ] {
            assert!(!code.contains(newer), "forwarder.js uses `{newer}`");
        }
        for var in USER_DATA_KEYS {
            assert!(JS.contains(var), "forwarder.js does not read {var}");
        }
    }
}
