//! What the corpus covers: how many cases check each feature, each area and each runtime, split
//! by level, so a reader sees at a glance how much of a verdict rests on documentation and how much
//! on observed or implementation-only behaviour; and which cases check each registered statement.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::case::{Case, Level};
use crate::feature::FEATURES;
use crate::runtime_id::RuntimeId;
use crate::statements::{Excuse, Registry, Statement};

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

/// Which cases check each statement of a registry.
pub struct StatementCoverage<'a> {
    /// Every statement, by id, with the cases that cite it.
    pub rows: Vec<(&'a Statement, Vec<&'a Case>)>,
}

impl<'a> StatementCoverage<'a> {
    pub fn of(registry: &'a Registry, cases: &'a [Case]) -> StatementCoverage<'a> {
        let rows = registry
            .iter()
            .map(|statement| {
                let citing = cases
                    .iter()
                    .filter(|case| case.statements.cites(&statement.id))
                    .collect();
                (statement, citing)
            })
            .collect();
        StatementCoverage { rows }
    }

    /// The statements no case checks and nothing excuses.
    pub fn unchecked(&self) -> impl Iterator<Item = &'a Statement> + '_ {
        self.rows
            .iter()
            .filter(|(statement, cases)| cases.is_empty() && statement.excuse().is_none())
            .map(|(statement, _)| *statement)
    }

    /// The totals, one line, as README's corpus section quotes it.
    pub fn summary(&self) -> String {
        let mut by_level = Counts::default();
        let (mut checked, mut unobservable, mut out_of_scope, mut set_aside) = (0, 0, 0, 0);
        for (statement, cases) in &self.rows {
            by_level.add(statement.level);
            if !cases.is_empty() {
                checked += 1;
                continue;
            }
            match statement.excuse {
                Some(Excuse::Unobservable(_)) => unobservable += 1,
                Some(Excuse::OutOfScope(_)) => out_of_scope += 1,
                Some(Excuse::SetAside(_)) => set_aside += 1,
                None => {}
            }
        }
        let [documented, observed, implementation] = by_level.0;
        format!(
            "{} statements ({documented} documented, {observed} observed, {implementation} \
             implementation): {checked} checked by a case, {unobservable} unobservable from \
             outside, {out_of_scope} out of the suite's scope, {set_aside} set aside by \
             CONTRADICTIONS.md, {} not yet checked",
            self.rows.len(),
            self.unchecked().count()
        )
    }

    /// `fgconform statements`: the totals, each statement with the cases that check it, then the
    /// unchecked statements with what they say, and the excused ones with why.
    pub fn report(&self) -> String {
        let mut out = self.summary();
        out.push('\n');
        let width = self
            .rows
            .iter()
            .map(|(statement, _)| statement.id.len())
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "\n{:<width$}  {:<14} cases", "statement", "level");
        for (statement, cases) in &self.rows {
            let checked_by = if !cases.is_empty() {
                cases
                    .iter()
                    .map(|case| format!("{} ({})", case.id, case.level))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else if let Some(excuse) = &statement.excuse {
                format!("({})", excuse.key())
            } else {
                "NOT YET CHECKED".to_string()
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:<14} {checked_by}",
                statement.id,
                statement.level.name()
            );
        }
        let mut unchecked = self.unchecked().peekable();
        if unchecked.peek().is_some() {
            let _ = writeln!(out, "\nnot yet checked by any case:");
            for statement in unchecked {
                let _ = writeln!(out, "  {}: {}", statement.id, statement.says);
            }
        }
        let excused: Vec<_> = self
            .rows
            .iter()
            .filter_map(|(statement, _)| statement.excuse.as_ref().map(|e| (&statement.id, e)))
            .collect();
        if !excused.is_empty() {
            let _ = writeln!(
                out,
                "\nexcused: unobservable from outside, out of the suite's scope, or set aside:"
            );
            for (id, excuse) in excused {
                let _ = writeln!(out, "  {id} ({}): {}", excuse.key(), excuse.why());
            }
        }
        out
    }
}
