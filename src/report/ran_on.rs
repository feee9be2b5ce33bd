//! The "ran on" block printed after libtest's summary: which node each runtime's trials ran on,
//! as the target reported it (`X-Fgref-Node-Version`), and whether that is the exact release.

use std::collections::BTreeMap;

use crate::record::TrialRecord;
use crate::reference::release_of;
use crate::runtime_id::RuntimeId;

/// The block; `None` when no trial reported a version (the target does not send the header, or
/// nothing ran).
pub fn render(records: &[TrialRecord]) -> Option<String> {
    let mut seen: BTreeMap<RuntimeId, BTreeMap<&str, usize>> = BTreeMap::new();
    for record in records {
        if let (Some(runtime), Some(version)) = (record.runtime, &record.node_version) {
            *seen
                .entry(runtime)
                .or_default()
                .entry(version.trim_start_matches('v'))
                .or_default() += 1;
        }
    }
    if seen.is_empty() {
        return None;
    }
    let mut rows = Vec::new();
    for (runtime, versions) in &seen {
        for (version, trials) in versions {
            let kind = match release_of(*runtime) {
                Some(release) if release == *version => "exact release".to_owned(),
                Some(release) => format!("system node v{version} standing in for {release}"),
                None => "not a release fgref knows".to_owned(),
            };
            let plural = if *trials == 1 { "" } else { "s" };
            rows.push([
                runtime.to_string(),
                format!("v{version}"),
                kind,
                format!("{trials} trial{plural}"),
            ]);
        }
    }
    let width = |column: usize| rows.iter().map(|r| r[column].len()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut text = String::from("ran on:\n");
    for [runtime, version, kind, trials] in &rows {
        text.push_str(&format!(
            "  {runtime:<w0$}  {version:<w1$}  {kind:<w2$}  {trials}\n"
        ));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    fn ran(runtime: &str, version: &str) -> TrialRecord {
        TrialRecord {
            id: format!("{runtime}::a::b"),
            case_dir: "a/b".into(),
            runtime: RuntimeId::parse(runtime),
            level: None,
            features: Vec::new(),
            statements: Vec::new(),
            verdict: Verdict::Pass,
            steps: Vec::new(),
            node_version: Some(version.into()),
            duration: std::time::Duration::ZERO,
            rerun: String::new(),
            expected_failure: None,
            failed_attempts: Vec::new(),
        }
    }

    #[test]
    fn marks_exact_releases_and_stand_ins() {
        assert_eq!(render(&[]), None);
        let records = [
            ran("Node.js20.15", "20.20.2"),
            ran("Node.js20.15", "20.20.2"),
            ran("Node.js6.10", "v6.10.3"),
        ];
        let text = render(&records).unwrap();
        let expected = [
            "ran on:",
            "  Node.js6.10   v6.10.3   exact release                                 1 trial",
            "  Node.js20.15  v20.20.2  system node v20.20.2 standing in for 20.15.1  2 trials",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected);
    }
}
