//! A target's expectations file, end to end on fgref: a listed failing trial passes the run, a
//! listed passing one fails it naming the entry's line, an entry listing nothing is a failing
//! trial of its own, and `--bless-expectations` writes the file that makes the run pass.

use crate::support::selftest;
use std::path::Path;
use std::process::Output;

use libtest_mimic::{Failed, Trial};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, outcomes, text};

pub fn trials() -> Vec<Trial> {
    vec![selftest(
        "selftest::expectations::listed-passes-unexpected-fails-bless-writes",
        listed_and_blessed,
    )]
}

const PASSES: &str = r#"{"result": {}}"#;
const FAILS: &str = r#"{"result": {"never": true}}"#;

fn run(cases: &Path, target: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--cases",
        cases.to_str().unwrap(),
        "--target",
        target.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    fgconform(&args, &[])
}

fn listed_and_blessed() -> Result<(), Failed> {
    let cases = corpus(&[
        ("area/passes", CASE_TOML, ECHO_JS, PASSES),
        ("area/fails", CASE_TOML, ECHO_JS, FAILS),
        ("area/also-fails", CASE_TOML, ECHO_JS, FAILS),
    ]);
    let dir = tempfile::tempdir()?;
    let descriptor = "name = \"fgref\"\nembedded = \"fgref\"\nruntimes = [\"Node.js20.15\"]\nfeatures = \"all\"\nidle_timeout = 2\n";
    let target = dir.path().join("mine.toml");
    std::fs::write(
        &target,
        format!("{descriptor}expectations = \"mine.expectations.toml\"\n"),
    )?;
    let file = dir.path().join("mine.expectations.toml");
    std::fs::write(
        &file,
        "[[expected_failure]]\nid = \"area::fails\"\nreason = \"kept\"\n\n\
         [[expected_failure]]\nid = \"Node.js20.15::area::passes\"\nreason = \"fixed since\"\n\n\
         [[expected_failure]]\nid = \"*::nowhere::*\"\nreason = \"lists nothing\"\n",
    )?;

    // Listed failure ok, listed pass failed at line 5, the glob at line 9 a trial of its own, the
    // unlisted failure failed.
    let output = run(cases.path(), &target, &[]);
    let found = outcomes(&output);
    let at = |line: usize| format!("{}:{line}", file.display());
    let expect = |name: &str, outcome: &str, needle: &str| -> Result<(), Failed> {
        match found.get(name) {
            Some((o, message)) if o == outcome && message.contains(needle) => Ok(()),
            other => Err(format!(
                "{name}: expected {outcome} with {needle:?}, got {other:?}\n{}",
                text(&output)
            )
            .into()),
        }
    };
    expect("Node.js20.15::area::fails", "ok", "")?;
    expect(
        "Node.js20.15::area::passes",
        "failed",
        &format!("passes now: remove the entry at {}", at(5)),
    )?;
    expect("Node.js20.15::area::also-fails", "failed", "FAIL at step 1")?;
    expect(
        &format!("expectations::{}", at(9)),
        "failed",
        &format!("{}: `id`: `*::nowhere::*` matches no trial", at(9)),
    )?;
    if output.status.code() != Some(101) || found.len() != 4 {
        return Err(format!("expected four trials and exit 101\n{}", text(&output)).into());
    }

    // Blessing keeps the reason of the listed failure, adds the unlisted one, drops the rest.
    let output = run(cases.path(), &target, &["--bless-expectations"]);
    let blessed = std::fs::read_to_string(&file)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.contains("with 2 expected failure(s), 1 of them with reason TODO")
        || !blessed.contains("id = \"Node.js20.15::area::also-fails\"\nreason = \"TODO: say why\"")
        || !blessed.contains("id = \"Node.js20.15::area::fails\"\nreason = \"kept\"")
        || blessed.contains("area::passes")
        || blessed.contains("nowhere")
    {
        return Err(format!("blessing wrote:\n{blessed}\n{}", text(&output)).into());
    }
    let output = run(cases.path(), &target, &[]);
    if !output.status.success() {
        return Err(format!("the blessed file does not pass the run\n{}", text(&output)).into());
    }

    // A descriptor naming no file: blessing writes the default one and says to name it.
    let bare = dir.path().join("bare.toml");
    std::fs::write(&bare, descriptor)?;
    let output = run(cases.path(), &bare, &["--bless-expectations"]);
    let default = dir.path().join("bare.expectations.toml");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !default.exists()
        || !stderr.contains(&format!(
            "add `expectations = \"bare.expectations.toml\"` to {}",
            bare.display()
        ))
    {
        return Err(format!("no default file or hint\n{}", text(&output)).into());
    }
    std::fs::write(
        &bare,
        format!("{descriptor}expectations = \"bare.expectations.toml\"\n"),
    )?;
    let output = run(cases.path(), &bare, &[]);
    if !output.status.success() {
        return Err(format!("the new file does not pass the run\n{}", text(&output)).into());
    }
    Ok(())
}
