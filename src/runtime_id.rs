//! FunctionGraph's Node.js runtime ids (`Node.js20.15`), in release order, and the ranges cases use
//! to name them. The ids themselves are fgref's catalog (`fgref::node::RELEASES`): one list for the
//! platform that serves them and the harness that selects them.

use std::fmt;

use fgref::node::RELEASES;

/// A known runtime id; ordered by release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuntimeId(usize);

impl RuntimeId {
    pub fn parse(text: &str) -> Option<RuntimeId> {
        RELEASES
            .iter()
            .position(|release| release.runtime_id == text)
            .map(RuntimeId)
    }

    /// Every runtime id, oldest first.
    pub fn all() -> impl Iterator<Item = RuntimeId> {
        (0..RELEASES.len()).map(RuntimeId)
    }

    pub fn as_str(self) -> &'static str {
        RELEASES[self.0].runtime_id
    }

    /// Every runtime id, oldest first, comma-separated, for messages.
    pub fn list() -> String {
        let ids: Vec<_> = RuntimeId::all().map(RuntimeId::as_str).collect();
        ids.join(", ")
    }

    /// Why `text` is not a runtime id, naming every id.
    pub fn unknown(text: &str) -> String {
        format!(
            "unknown runtime id `{text}`; expected one of {}",
            RuntimeId::list()
        )
    }
}

impl fmt::Display for RuntimeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which runtimes a case applies to: `"Node.js8.10+"`, one id, or a list of ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeRange {
    All,
    From(RuntimeId),
    Only(Vec<RuntimeId>),
}

impl RuntimeRange {
    /// Parses one range expression (`"Node.js8.10+"` or `"Node.js18.15"`).
    pub fn parse(text: &str) -> Result<RuntimeRange, String> {
        let (id, open) = match text.strip_suffix('+') {
            Some(id) => (id, true),
            None => (text, false),
        };
        let runtime = RuntimeId::parse(id).ok_or_else(|| RuntimeId::unknown(id))?;
        Ok(if open {
            RuntimeRange::From(runtime)
        } else {
            RuntimeRange::Only(vec![runtime])
        })
    }

    pub fn parse_list<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<RuntimeRange, String> {
        ids.into_iter()
            .map(|id| RuntimeId::parse(id).ok_or_else(|| RuntimeId::unknown(id)))
            .collect::<Result<Vec<_>, _>>()
            .map(RuntimeRange::Only)
    }

    pub fn contains(&self, runtime: RuntimeId) -> bool {
        match self {
            RuntimeRange::All => true,
            RuntimeRange::From(first) => runtime >= *first,
            RuntimeRange::Only(ids) => ids.contains(&runtime),
        }
    }
}

impl fmt::Display for RuntimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeRange::All => f.write_str("every runtime"),
            RuntimeRange::From(first) => write!(f, "{first}+"),
            RuntimeRange::Only(ids) => {
                let names: Vec<_> = ids.iter().map(|id| id.as_str()).collect();
                f.write_str(&names.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_range_includes_later_runtimes_only() {
        let range = RuntimeRange::parse("Node.js8.10+").unwrap();
        assert!(!range.contains(RuntimeId::parse("Node.js6.10").unwrap()));
        assert!(range.contains(RuntimeId::parse("Node.js8.10").unwrap()));
        assert!(range.contains(RuntimeId::parse("Node.js20.15").unwrap()));
    }

    #[test]
    fn unknown_ids_are_rejected_with_the_list() {
        let err = RuntimeRange::parse("Node.js22.1+").unwrap_err();
        assert!(
            err.contains("Node.js22.1") && err.contains("Node.js6.10"),
            "{err}"
        );
        assert!(RuntimeRange::parse_list(["Node.js12.13", "nodejs"]).is_err());
    }
}
