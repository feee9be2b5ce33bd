//! The statement registry holds: every statement of the sources is checked by a case or says why
//! none checks it (the ones not yet checked are listed here, so the list changes only on purpose),
//! each contradiction it names is in CONTRADICTIONS.md, README quotes its totals and the corpus's,
//! and `fgconform statements` prints them.

use libtest_mimic::{Failed, Trial};

use fgconform::case::Case;
use fgconform::coverage::StatementCoverage;
use fgconform::statements::Registry;

use crate::support::{fgconform, project_root, selftest, text};

/// Observable statements no case checks yet. Adding a case that checks one fails this test until
/// the id leaves the list; a new statement no case checks fails it until the id joins it.
const NOT_YET_CHECKED: &[&str] = &[
    "environment.runtime-code-root-default",
    "environment.runtime-cpu-proportional",
    "environment.runtime-log-dir-default",
    "environment.runtime-root-default",
    "extensions.any-language",
    "extensions.node-paths-16-to-20-observed",
    "extensions.node-paths-6-to-14",
    "functions-api.dependency-merged-with-code",
    "functions-api.fss-1072-inline-over-10-kb",
    "instances.excess-requests-discarded",
    "instances.max-instances-default-400",
    "invoke.async-failure-notification-500",
    "invoke.async-no-retry-by-default",
    "invoke.async-notification-fields",
    "invoke.async-notification-invoke-count",
    "invoke.async-notification-non-200-system-error",
    "invoke.async-retry-policy-range",
    "invoke.cancel-async-invocation",
    "invoke.instance-memory-header",
    "limits.async-result-over-256kb-empty",
    "limits.log-billing-ceil-observed",
];

pub fn trials() -> Vec<Trial> {
    vec![
        selftest(
            "selftest::statements::every-statement-is-checked-or-excused",
            every_statement_is_checked_or_excused,
        ),
        selftest(
            "selftest::statements::contradictions-named-are-recorded",
            contradictions_named_are_recorded,
        ),
        selftest(
            "selftest::statements::readme-quotes-the-totals",
            readme_quotes_the_totals,
        ),
        selftest(
            "selftest::statements::the-command-lists-every-statement",
            the_command_lists_every_statement,
        ),
    ]
}

/// The project's registry and every case (all must load: a case citing an unknown statement
/// does not).
fn corpus() -> Result<(Registry, Vec<Case>), Failed> {
    let corpus = fgconform::corpus::load_corpus(&project_root().join("cases"))?;
    let (registry, cases) = corpus.every_case().map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let registry = registry.ok_or("cases/ has no statements/ registry")?;
    Ok((registry, cases))
}

fn every_statement_is_checked_or_excused() -> Result<(), Failed> {
    let (registry, cases) = corpus()?;
    let coverage = StatementCoverage::of(&registry, &cases);
    let unchecked: Vec<&str> = coverage
        .unchecked()
        .map(|statement| statement.id.as_str())
        .collect();
    let newly_unchecked: Vec<&&str> = unchecked
        .iter()
        .filter(|id| !NOT_YET_CHECKED.contains(id))
        .collect();
    let now_checked: Vec<&&str> = NOT_YET_CHECKED
        .iter()
        .filter(|id| !unchecked.contains(id))
        .collect();
    if newly_unchecked.is_empty() && now_checked.is_empty() {
        return Ok(());
    }
    Err(format!(
        "NOT_YET_CHECKED (tests/it/statements.rs) is out of date: no case checks {newly_unchecked:?} \
         (write one, or excuse it in the registry: `unobservable`, `out_of_scope`, `set_aside`); {now_checked:?} are \
         checked or gone now (take them off the list)"
    )
    .into())
}

fn contradictions_named_are_recorded() -> Result<(), Failed> {
    let (registry, _) = corpus()?;
    let contradictions = std::fs::read_to_string(project_root().join("CONTRADICTIONS.md"))?;
    let missing: Vec<String> = registry
        .iter()
        .filter_map(|statement| {
            let entry = statement.contradiction?;
            (!contradictions.contains(&format!("\n| {entry} |")))
                .then(|| format!("{} names #{entry}", statement.id))
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("CONTRADICTIONS.md has no such entry: {missing:?}").into())
    }
}

/// README's corpus section states its counts as the commands print them, so they cannot drift.
fn readme_quotes_the_totals() -> Result<(), Failed> {
    let (registry, cases) = corpus()?;
    let statements = StatementCoverage::of(&registry, &cases).summary();
    let counts = fgconform::coverage::report(&cases);
    let cases_line = counts.lines().next().unwrap_or_default();
    let readme = std::fs::read_to_string(project_root().join("README.md"))?;
    // README wraps its lines; the words are what must match.
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let readme = words(&readme);
    let opening = format!("{} cases, one observable behaviour each", cases.len());
    let missing: Vec<&str> = [statements.as_str(), cases_line, opening.as_str()]
        .into_iter()
        .filter(|quote| !readme.contains(&words(quote)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "README.md's corpus section must say, as `fgconform statements` and `--coverage` \
             print them: {missing:?}"
        )
        .into())
    }
}

fn the_command_lists_every_statement() -> Result<(), Failed> {
    let (registry, cases) = corpus()?;
    let output = fgconform(&["statements"], &[]);
    let printed = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("fgconform statements failed: {}", text(&output)).into());
    }
    let summary = StatementCoverage::of(&registry, &cases).summary();
    if printed.lines().next() != Some(summary.as_str()) {
        return Err(format!("the first line is not the totals ({summary}):\n{printed}").into());
    }
    if let Some(missing) = registry
        .iter()
        .find(|statement| !printed.contains(&format!("\n{} ", statement.id)))
    {
        return Err(format!("{} is not listed:\n{printed}", missing.id).into());
    }

    let bare = tempfile::tempdir()?;
    let output = fgconform(
        &["statements", "--cases", &bare.path().to_string_lossy()],
        &[],
    );
    if output.status.code() != Some(2) || !text(&output).contains("no statements/ folder") {
        return Err(format!(
            "a corpus without a registry: want exit 2 naming the folder, got {:?}: {}",
            output.status.code(),
            text(&output)
        )
        .into());
    }
    Ok(())
}
