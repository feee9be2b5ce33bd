//! What a run prints besides libtest's lines: which node each runtime's trials ran on, as the
//! target reported it in `X-Fgref-Node-Version`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::install::release_of;
use crate::runtime_id::RuntimeId;

/// The header fgref answers every invoke with (PROTOCOL.md §4).
pub const NODE_VERSION_HEADER: &str = "X-Fgref-Node-Version";

/// Per runtime, the node versions its trials ran on and how many trials ran on each.
#[derive(Debug, Default)]
pub struct RanOn {
    seen: Mutex<BTreeMap<RuntimeId, BTreeMap<String, usize>>>,
}

impl RanOn {
    pub fn record(&self, runtime: RuntimeId, node_version: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        *seen
            .entry(runtime)
            .or_default()
            .entry(node_version.trim_start_matches('v').to_owned())
            .or_default() += 1;
    }

    /// The block printed after libtest's summary; `None` when no trial reported a version (the
    /// target does not send the header, or nothing ran).
    pub fn render(&self) -> Option<String> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.is_empty() {
            return None;
        }
        let mut rows = Vec::new();
        for (runtime, versions) in seen.iter() {
            for (version, trials) in versions {
                let kind = match release_of(*runtime) {
                    Some(release) if release == version => "exact release".to_owned(),
                    Some(release) => format!("system node v{version} standing in for {release}"),
                    None => "not a release fgref knows".to_owned(),
                };
                let plural = if *trials == 1 { "" } else { "s" };
                rows.push((
                    runtime.to_string(),
                    format!("v{version}"),
                    kind,
                    format!("{trials} trial{plural}"),
                ));
            }
        }
        let width = |column: fn(&(String, String, String, String)) -> &String| {
            rows.iter().map(|r| column(r).len()).max().unwrap_or(0)
        };
        let (w0, w1, w2) = (width(|r| &r.0), width(|r| &r.1), width(|r| &r.2));
        let mut text = String::from("ran on:\n");
        for (runtime, version, kind, trials) in &rows {
            text.push_str(&format!(
                "  {runtime:<w0$}  {version:<w1$}  {kind:<w2$}  {trials}\n"
            ));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_exact_releases_and_stand_ins() {
        let ran_on = RanOn::default();
        assert_eq!(ran_on.render(), None);
        let node20 = RuntimeId::parse("Node.js20.15").unwrap();
        let node6 = RuntimeId::parse("Node.js6.10").unwrap();
        for _ in 0..2 {
            ran_on.record(node20, "20.20.2");
        }
        ran_on.record(node6, "v6.10.3");
        let text = ran_on.render().unwrap();
        let expected = [
            "ran on:",
            "  Node.js6.10   v6.10.3   exact release                                 1 trial",
            "  Node.js20.15  v20.20.2  system node v20.20.2 standing in for 20.15.1  2 trials",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected);
    }
}
