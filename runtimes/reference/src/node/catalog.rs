//! The one list of the FunctionGraph Node.js runtime ids fgref serves, and the exact Node.js
//! release each one runs on.

/// A runtime id and the Node.js release it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// FunctionGraph's runtime id, e.g. `Node.js20.15`.
    pub runtime_id: &'static str,
    /// The release, e.g. `20.15.1` (no leading `v`).
    pub version: &'static str,
}

const fn release(runtime_id: &'static str, version: &'static str) -> Release {
    Release {
        runtime_id,
        version,
    }
}

/// Every runtime id fgref serves, oldest first, each on the newest patch release of the minor
/// line FunctionGraph names.
pub const RELEASES: [Release; 8] = [
    release("Node.js6.10", "6.10.3"),
    release("Node.js8.10", "8.10.0"),
    release("Node.js10.16", "10.16.3"),
    release("Node.js12.13", "12.13.1"),
    release("Node.js14.18", "14.18.3"),
    release("Node.js16.17", "16.17.1"),
    release("Node.js18.15", "18.15.0"),
    release("Node.js20.15", "20.15.1"),
];

/// The Node.js release a runtime id runs on; `None` for an id fgref does not serve.
pub fn release_of(runtime_id: &str) -> Option<&'static str> {
    RELEASES
        .iter()
        .find(|release| release.runtime_id == runtime_id)
        .map(|release| release.version)
}

/// The runtime ids fgref serves, for messages: `Node.js6.10, Node.js8.10, …`.
pub(crate) fn runtime_ids() -> String {
    RELEASES
        .iter()
        .map(|release| release.runtime_id)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_maps_to_a_release_of_its_own_minor_line() {
        for Release {
            runtime_id,
            version,
        } in RELEASES
        {
            let minor_line = runtime_id.trim_start_matches("Node.js");
            assert!(
                version.starts_with(&format!("{minor_line}.")),
                "{runtime_id} → {version}"
            );
        }
        assert_eq!(release_of("Node.js20.15"), Some("20.15.1"));
        assert_eq!(release_of("Node.js22.1"), None);
        assert_eq!(release_of("Python3.9"), None);
    }

    #[test]
    fn releases_are_listed_oldest_first() {
        let numbers = |version: &str| -> Vec<u32> {
            version.split('.').map(|n| n.parse().unwrap()).collect()
        };
        for pair in RELEASES.windows(2) {
            assert!(
                numbers(pair[0].version) < numbers(pair[1].version),
                "{pair:?}"
            );
        }
    }
}
