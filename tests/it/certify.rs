//! Certification end to end on a tiny corpus against fgref: `certify` writes a bundle that
//! `verify` accepts once PRODUCT.toml is filled in, and each tampering (a verdict flipped in
//! report.json or junit.xml, a trial made flaky, a trial removed with and without re-hashing, a changed case, an
//! empty PRODUCT.toml, a missing bundle) makes `verify` fail, naming the file and the trial.

use crate::support::selftest;
use std::path::Path;
use std::process::Output;

use libtest_mimic::{Failed, Trial};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, text};

const TRIAL: &str = "Node.js20.15::area::passes";

type Test = fn() -> Result<(), Failed>;

pub fn trials() -> Vec<Trial> {
    let tests: [(&str, Test); 9] = [
        ("verifies", verifies),
        ("flaky-trial", flaky_trial),
        ("json-verdict-flipped", json_verdict_flipped),
        ("junit-verdict-flipped", junit_verdict_flipped),
        ("trial-removed", trial_removed),
        ("trial-removed-rehashed", trial_removed_rehashed),
        ("case-changed", case_changed),
        ("product-empty", product_empty),
        ("unreadable", unreadable),
    ];
    tests
        .into_iter()
        .map(|(name, test)| selftest(format!("selftest::certify::{name}"), test))
        .collect()
}

const PRODUCT: &str = "vendor = \"Example\"\nproduct = \"Example Functions\"\nversion = \"1.0\"\n\
website = \"https://example.com\"\ndocumentation = \"https://example.com/docs\"\n\
contact = \"conformance@example.com\"\n";

/// A corpus of two documented cases (one outside Node.js20.15, so skipped) and its bundle, with
/// PRODUCT.toml filled in before `certify` (which keeps it).
struct Bundle {
    cases: tempfile::TempDir,
    out: tempfile::TempDir,
}

impl Bundle {
    fn new(product: Option<&str>) -> Result<Bundle, Failed> {
        let old = format!("{CASE_TOML}runtimes = \"Node.js6.10\"\n");
        let cases = corpus(&[
            ("area/passes", CASE_TOML, ECHO_JS, r#"{"result": {}}"#),
            ("area/old", &old, ECHO_JS, r#"{"result": {}}"#),
        ]);
        let out = tempfile::tempdir()?;
        if let Some(product) = product {
            std::fs::write(out.path().join("PRODUCT.toml"), product)?;
        }
        let output = fgconform(
            &[
                "certify",
                "--cases",
                path(cases.path()),
                "--runtime",
                "Node.js20.15",
                "--out",
                path(out.path()),
            ],
            &[],
        );
        if output.status.code() != Some(0) {
            return Err(format!("certify failed:\n{}", text(&output)).into());
        }
        Ok(Bundle { cases, out })
    }

    fn file(&self, name: &str) -> std::path::PathBuf {
        self.out.path().join(name)
    }

    fn verify(&self) -> Output {
        self.verify_against(self.cases.path())
    }

    fn verify_against(&self, cases: &Path) -> Output {
        fgconform(
            &["verify", path(self.out.path()), "--cases", path(cases)],
            &[],
        )
    }

    fn rehash(&self) -> Result<(), Failed> {
        let output = fgconform(
            &[
                "certify",
                "--rehash",
                "--cases",
                path(self.cases.path()),
                "--out",
                path(self.out.path()),
            ],
            &[],
        );
        match output.status.code() {
            Some(0) => Ok(()),
            _ => Err(format!("certify --rehash failed:\n{}", text(&output)).into()),
        }
    }

    fn edit_json(&self, edit: impl FnOnce(&mut serde_json::Value)) -> Result<(), Failed> {
        let file = self.file("report.json");
        let mut report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        edit(&mut report);
        std::fs::write(&file, serde_json::to_string_pretty(&report)?)?;
        Ok(())
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// `verify` exited `code` and printed a FAIL line holding every one of `words`.
fn fails_with(output: &Output, code: i32, words: &[&str]) -> Result<(), Failed> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let named = stdout
        .lines()
        .any(|line| line.starts_with("FAIL ") && words.iter().all(|w| line.contains(w)));
    if output.status.code() != Some(code) || !named {
        return Err(format!(
            "expected exit {code} and a FAIL line naming {words:?}:\n{}",
            text(output)
        )
        .into());
    }
    Ok(())
}

fn verifies() -> Result<(), Failed> {
    let bundle = Bundle::new(Some(PRODUCT))?;
    if std::fs::read_to_string(bundle.file("PRODUCT.toml"))? != PRODUCT {
        return Err("certify replaced the vendor's PRODUCT.toml".into());
    }
    let log = std::fs::read_to_string(bundle.file("run.log"))?;
    if !log.contains("test result: ok. 1 passed; 0 failed; 1 ignored") {
        return Err(format!("run.log lacks the summary line:\n{log}").into());
    }
    let output = bundle.verify();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.code() != Some(0) || stdout.contains("FAIL") || !stdout.contains("ok   totals")
    {
        return Err(format!("a sound bundle does not verify:\n{}", text(&output)).into());
    }
    Ok(())
}

fn json_verdict_flipped() -> Result<(), Failed> {
    let bundle = Bundle::new(Some(PRODUCT))?;
    bundle.edit_json(|report| {
        for trial in report["trials"].as_array_mut().unwrap() {
            if trial["id"] == TRIAL {
                trial["verdict"] = "fail".into();
            }
        }
    })?;
    fails_with(&bundle.verify(), 1, &["report.json", "sha256"])?;
    bundle.rehash()?;
    let output = bundle.verify();
    fails_with(&output, 1, &["report.json", "junit.xml", TRIAL])?;
    fails_with(&output, 1, &["verdicts", "report.json", TRIAL])?;
    fails_with(&output, 1, &["totals", "report.json"])
}

fn junit_verdict_flipped() -> Result<(), Failed> {
    let bundle = Bundle::new(Some(PRODUCT))?;
    let file = bundle.file("junit.xml");
    let xml = std::fs::read_to_string(&file)?;
    let start = xml
        .find("<testcase name=\"area::passes\"")
        .ok_or("no testcase area::passes")?;
    let end = start + xml[start..].find("/>").ok_or("the testcase is not empty")?;
    let flipped = format!(
        "{}><failure type=\"fail\" message=\"x\">x</failure></testcase>{}",
        &xml[..end],
        &xml[end + 2..]
    );
    std::fs::write(&file, flipped)?;
    fails_with(&bundle.verify(), 1, &["junit.xml", "sha256"])?;
    bundle.rehash()?;
    fails_with(&bundle.verify(), 1, &["junit.xml", "report.json", TRIAL])
}

/// A trial that passed only on a retry (`--retries`) is no pass for certification, even when
/// every other check agrees (JUnit shows a flaky trial as a success, run.log counts it passed).
fn flaky_trial() -> Result<(), Failed> {
    let bundle = Bundle::new(Some(PRODUCT))?;
    bundle.edit_json(|report| {
        for trial in report["trials"].as_array_mut().unwrap() {
            if trial["id"] == TRIAL {
                trial["verdict"] = "flaky".into();
                trial["failed_attempts"] = serde_json::json!([
                    {"verdict": "fail", "duration_ms": 10.0, "message": "FAIL at step 1 of 1"}
                ]);
            }
        }
        let totals = &mut report["totals"];
        totals["pass"] = (totals["pass"].as_u64().unwrap() - 1).into();
        totals["flaky"] = 1.into();
    })?;
    bundle.rehash()?;
    let output = bundle.verify();
    fails_with(&output, 1, &["verdicts", "report.json", TRIAL, "flaky"])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let others: Vec<_> = stdout
        .lines()
        .filter(|line| line.starts_with("FAIL ") && !line.starts_with("FAIL verdicts"))
        .collect();
    if !others.is_empty() {
        return Err(format!("only the verdicts check may fail:\n{stdout}").into());
    }
    Ok(())
}

fn remove_trial(bundle: &Bundle) -> Result<(), Failed> {
    bundle.edit_json(|report| {
        report["trials"]
            .as_array_mut()
            .unwrap()
            .retain(|trial| trial["id"] != TRIAL);
    })
}

fn trial_removed() -> Result<(), Failed> {
    let bundle = Bundle::new(Some(PRODUCT))?;
    remove_trial(&bundle)?;
    fails_with(
        &bundle.verify(),
        1,
        &["files match MANIFEST.toml", "report.json"],
    )
}

fn trial_removed_rehashed() -> Result<(), Failed> {
    let bundle = Bundle::new(Some(PRODUCT))?;
    remove_trial(&bundle)?;
    bundle.rehash()?;
    let output = bundle.verify();
    if String::from_utf8_lossy(&output.stdout).contains("FAIL files") {
        return Err(format!("the re-hashed manifest does not match:\n{}", text(&output)).into());
    }
    fails_with(&output, 1, &["report.json", "missing", TRIAL])?;
    fails_with(&output, 1, &["in junit.xml, not in report.json", TRIAL])?;
    fails_with(&output, 1, &["run.log", "report.json"])
}

fn case_changed() -> Result<(), Failed> {
    let bundle = Bundle::new(Some(PRODUCT))?;
    let copy = tempfile::tempdir()?;
    for case in ["passes", "old"] {
        let from = bundle.cases.path().join("area").join(case);
        let to = copy.path().join("area").join(case);
        std::fs::create_dir_all(to.join("code"))?;
        for file in ["case.toml", "expected.json", "code/index.js"] {
            std::fs::copy(from.join(file), to.join(file))?;
        }
    }
    std::fs::write(
        copy.path().join("area/passes/expected.json"),
        r#"{"result": {"changed": true}}"#,
    )?;
    fails_with(
        &bundle.verify_against(copy.path()),
        1,
        &["corpus digest", "MANIFEST.toml"],
    )
}

fn product_empty() -> Result<(), Failed> {
    let bundle = Bundle::new(None)?;
    let output = bundle.verify();
    fails_with(&output, 1, &["PRODUCT.toml", "`vendor` is empty"])?;
    fails_with(&output, 1, &["PRODUCT.toml", "`contact` is empty"])
}

fn unreadable() -> Result<(), Failed> {
    let empty = tempfile::tempdir()?;
    let output = fgconform(&["verify", path(empty.path())], &[]);
    fails_with(&output, 2, &["MANIFEST.toml"])
}
