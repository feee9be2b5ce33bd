//! `--partition` and `fgconform merge`: the shards of the real corpus (`--list`, every runtime,
//! with and without a name filter) are disjoint and cover the selection; the merge of a small
//! run's shards equals the unsharded run's report (JSON and JUnit) apart from times; `merge`
//! refuses shards of different corpora, suite versions or targets and overlapping shards, naming
//! the files.

use crate::support::selftest;
use std::collections::BTreeSet;
use std::path::Path;

use libtest_mimic::{Failed, Trial};
use serde_json::Value;

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, text};

type Test = fn() -> Result<(), Failed>;

pub fn trials() -> Vec<Trial> {
    let tests: [(&str, Test); 3] = [
        ("shards-cover-the-selection", shards_cover_the_selection),
        ("merged-equals-unsharded", merged_equals_unsharded),
        ("merge-refuses", merge_refuses),
    ];
    tests
        .into_iter()
        .map(|(name, test)| selftest(format!("selftest::partition::{name}"), test))
        .collect()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// The trial names `--list` prints for `args`.
fn listed(args: &[&str]) -> Result<Vec<String>, Failed> {
    let mut all = vec!["--list"];
    all.extend(args);
    let output = fgconform(&all, &[]);
    if output.status.code() != Some(0) {
        return Err(format!("--list {args:?} failed:\n{}", text(&output)).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect())
}

fn shards_cover_the_selection() -> Result<(), Failed> {
    for filter in [&[][..], &["handler", "--skip", "callback"][..]] {
        let mut base = vec!["--runtime", "all"];
        base.extend(filter);
        let whole = listed(&base)?;
        if whole.len() < 10 {
            return Err(format!("too few trials listed for {filter:?}: {whole:?}").into());
        }
        let whole: BTreeSet<String> = whole.into_iter().collect();
        for kind in ["hash", "slice"] {
            let mut union = BTreeSet::new();
            let mut sizes = Vec::new();
            for k in 1..=3 {
                let partition = format!("{kind}:{k}/3");
                let mut args = base.clone();
                args.extend(["--partition", &partition]);
                let shard = listed(&args)?;
                sizes.push(shard.len());
                for id in shard {
                    if !union.insert(id.clone()) {
                        return Err(format!("{id} is in two {kind} shards").into());
                    }
                }
            }
            if union != whole {
                let missing: Vec<_> = whole.difference(&union).collect();
                let extra: Vec<_> = union.difference(&whole).collect();
                return Err(format!(
                    "{kind} shards of {filter:?}: missing {missing:?}, extra {extra:?}"
                )
                .into());
            }
            // Round robin over what the filters left: the shards differ by one trial at most.
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            if kind == "slice" && max.zip(min).is_none_or(|(max, min)| max - min > 1) {
                return Err(format!("slice shards of {filter:?} are unbalanced: {sizes:?}").into());
            }
        }
    }
    let output = fgconform(&["--list", "--partition", "hash:4/3"], &[]);
    let said = text(&output);
    if output.status.code() != Some(2) || !said.contains("K must be between 1 and N") {
        return Err(format!("hash:4/3 must be refused (exit 2):\n{said}").into());
    }
    Ok(())
}

/// The report without what differs between runs: times, durations and request ids.
fn timeless(mut report: Value) -> Value {
    for key in ["started_at", "finished_at"] {
        report["run_info"][key] = Value::Null;
    }
    for trial in report["trials"].as_array_mut().into_iter().flatten() {
        trial["duration_ms"] = Value::Null;
        for step in trial["steps"].as_array_mut().into_iter().flatten() {
            step["request_ids"] = Value::Null;
        }
    }
    report
}

fn read_json(file: &Path) -> Result<Value, Failed> {
    Ok(serde_json::from_str(&std::fs::read_to_string(file)?)?)
}

fn merged_equals_unsharded() -> Result<(), Failed> {
    // Passing, skipped and broken trials: their reports hold nothing else that differs between
    // runs (a failure's log holds durations).
    let old = format!("{CASE_TOML}runtimes = \"Node.js6.10\"\n");
    let cases = corpus(&[
        ("area/one", CASE_TOML, ECHO_JS, r#"{"result": {}}"#),
        ("area/two", CASE_TOML, ECHO_JS, r#"{"result": {}}"#),
        ("area/three", CASE_TOML, ECHO_JS, r#"{"result": {}}"#),
        ("area/old", &old, ECHO_JS, r#"{"result": {}}"#),
        ("other/broken", "level = 1\n", ECHO_JS, "{}"),
    ]);
    let out = tempfile::tempdir()?;
    let run = |name: &str, partition: Option<&str>| {
        let json = out.path().join(format!("{name}.json"));
        let junit = out.path().join(format!("{name}.xml"));
        let mut args = vec![
            "--cases",
            path(cases.path()),
            "--runtime",
            "Node.js20.15",
            "--json",
            path(&json),
            "--junit",
            path(&junit),
        ];
        if let Some(partition) = partition {
            args.extend(["--partition", partition]);
        }
        let output = fgconform(&args, &[]);
        match output.status.code() {
            Some(0 | 101) => Ok(json),
            _ => Err(format!("the run {name} did not finish:\n{}", text(&output))),
        }
    };
    let whole = run("whole", None)?;
    let shards = [run("1", Some("slice:1/2"))?, run("2", Some("slice:2/2"))?];
    for shard in &shards {
        let report = read_json(shard)?;
        let n = report["trials"].as_array().map_or(0, Vec::len);
        if n == 0 || n == 5 {
            return Err(format!("a shard of 5 trials holds {n}:\n{report:#}").into());
        }
    }
    let merged_json = out.path().join("merged/report.json");
    let merged_junit = out.path().join("merged/junit.xml");
    let merged_html = out.path().join("merged/report.html");
    let output = fgconform(
        &[
            "merge",
            path(&shards[0]),
            path(&shards[1]),
            "--json",
            path(&merged_json),
            "--junit",
            path(&merged_junit),
            "--html",
            path(&merged_html),
        ],
        &[],
    );
    if output.status.code() != Some(0) || !text(&output).contains("merged 2 shard(s): 5 trials") {
        return Err(format!("merge failed:\n{}", text(&output)).into());
    }
    let (merged, whole_report) = (
        timeless(read_json(&merged_json)?),
        timeless(read_json(&whole)?),
    );
    if merged != whole_report {
        return Err(format!(
            "the merged report differs from the unsharded one:\nmerged {merged:#}\nwhole {whole_report:#}"
        )
        .into());
    }
    let totals = &whole_report["totals"];
    if (
        totals["pass"].as_u64(),
        totals["skipped"].as_u64(),
        totals["case-invalid"].as_u64(),
    ) != (Some(3), Some(1), Some(1))
    {
        return Err(format!("unexpected totals: {}", whole_report["totals"]).into());
    }
    // JUnit: the same XML once times are gone.
    let times = regex::Regex::new(r#" (time|timestamp)="[^"]*""#)?;
    let xml = |file: &Path| -> Result<String, Failed> {
        Ok(times
            .replace_all(&std::fs::read_to_string(file)?, "")
            .into_owned())
    };
    let whole_xml = xml(&out.path().join("whole.xml"))?;
    if xml(&merged_junit)? != whole_xml {
        return Err(format!(
            "the merged JUnit differs:\n{}\nwhole:\n{whole_xml}",
            xml(&merged_junit)?
        )
        .into());
    }
    if !std::fs::read_to_string(&merged_html)?.contains("Node.js20.15::area::old") {
        return Err("the merged HTML lacks a trial".into());
    }
    Ok(())
}

/// `merge` exited 2 and said every one of `words`.
fn refused(args: &[&str], words: &[&str]) -> Result<(), Failed> {
    let mut all = vec!["merge"];
    all.extend(args);
    let output = fgconform(&all, &[]);
    let said = text(&output);
    if output.status.code() != Some(2) || !words.iter().all(|w| said.contains(w)) {
        return Err(format!("expected exit 2 naming {words:?}:\n{said}").into());
    }
    Ok(())
}

fn merge_refuses() -> Result<(), Failed> {
    // Cases that do not load make a run that needs no target: two shards in milliseconds.
    let cases = corpus(&[
        ("area/a", "level = 1\n", ECHO_JS, "{}"),
        ("area/b", "level = 1\n", ECHO_JS, "{}"),
        ("area/c", "level = 1\n", ECHO_JS, "{}"),
    ]);
    let out = tempfile::tempdir()?;
    let mut shards = Vec::new();
    for k in 1..=2 {
        let json = out.path().join(format!("shard-{k}.json"));
        let partition = format!("slice:{k}/2");
        let output = fgconform(
            &[
                "--cases",
                path(cases.path()),
                "--partition",
                &partition,
                "--json",
                path(&json),
            ],
            &[],
        );
        if output.status.code() != Some(101) {
            return Err(format!("the shard run failed:\n{}", text(&output)).into());
        }
        shards.push(json);
    }
    let [one, two] = [path(&shards[0]), path(&shards[1])];
    let output = fgconform(&["merge", one, two], &[]);
    if output.status.code() != Some(0) {
        return Err(format!("sound shards do not merge:\n{}", text(&output)).into());
    }
    let first = read_json(&shards[0])?;
    let edited = |name: &str, edit: &dyn Fn(&mut Value)| -> Result<String, Failed> {
        let mut report = read_json(&shards[1])?;
        edit(&mut report);
        let file = out.path().join(name);
        std::fs::write(&file, serde_json::to_string_pretty(&report)?)?;
        Ok(path(&file).to_owned())
    };
    let digest = edited("digest.json", &|r| {
        r["run_info"]["corpus"]["digest"] = "sha256:00".into();
    })?;
    refused(&[one, &digest], &["the corpus digest", one, &digest])?;
    let version = edited("version.json", &|r| {
        r["run_info"]["suite"]["version"] = "0.0.0-other".into();
    })?;
    refused(&[one, &version], &["the suite version", one, &version])?;
    let target = edited("target.json", &|r| {
        r["run_info"]["target"]["name"] = "another".into();
    })?;
    refused(&[one, &target], &["the target", one, &target])?;
    let copy = out.path().join("copy.json");
    std::fs::copy(&shards[0], &copy)?;
    let trial = first["trials"][0]["id"]
        .as_str()
        .ok_or("no trial in shard 1")?;
    refused(
        &[one, two, path(&copy)],
        &["overlap", trial, one, path(&copy)],
    )
}
