//! What the corpus covers: how many cases check each feature, each area and each runtime, split
//! by level, so a reader sees at a glance how much of a verdict rests on documentation and how much
//! on observed or implementation-only behaviour.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::case::{Case, Level};
use crate::feature::FEATURES;
use crate::runtime_id::RuntimeId;

/// Case counts per level for one row of the table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts([usize; 3]);

impl Counts {
    fn add(&mut self, level: Level) {
        self.0[Level::ALL.iter().position(|l| *l == level).unwrap_or(0)] += 1;
    }

    fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

/// The coverage table of `cases`, as `fgconform --coverage` prints it.
pub fn report(cases: &[Case]) -> String {
    let mut total = Counts::default();
    let mut by_feature: BTreeMap<&str, Counts> = FEATURES
        .iter()
        .map(|feature| (feature.name, Counts::default()))
        .collect();
    let mut by_area: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut by_runtime: Vec<(RuntimeId, Counts)> =
        RuntimeId::all().map(|id| (id, Counts::default())).collect();
    for case in cases {
        total.add(case.level);
        for feature in &case.features {
            by_feature.entry(feature).or_default().add(case.level);
        }
        by_area.entry(case.area()).or_default().add(case.level);
        for (runtime, counts) in &mut by_runtime {
            if case.runtimes.contains(*runtime) {
                counts.add(case.level);
            }
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} cases: {} documented, {} observed, {} implementation",
        total.total(),
        total.0[0],
        total.0[1],
        total.0[2]
    );
    table(
        &mut out,
        "feature",
        by_feature.iter().map(|(k, v)| (k.to_string(), *v)),
    );
    table(
        &mut out,
        "area",
        by_area.iter().map(|(k, v)| (k.to_string(), *v)),
    );
    table(
        &mut out,
        "runtime",
        by_runtime.iter().map(|(k, v)| (k.to_string(), *v)),
    );
    out
}

fn table(out: &mut String, heading: &str, rows: impl Iterator<Item = (String, Counts)>) {
    let _ = writeln!(
        out,
        "\n{heading:<14} {:>10} {:>8} {:>14} {:>5}",
        "documented", "observed", "implementation", "total"
    );
    for (name, counts) in rows {
        let [documented, observed, implementation] = counts.0;
        let _ = writeln!(
            out,
            "{name:<14} {documented:>10} {observed:>8} {implementation:>14} {:>5}",
            counts.total()
        );
    }
}
