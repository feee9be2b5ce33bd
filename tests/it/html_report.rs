//! The HTML report in a real browser: a page rendered from a fixture report, opened in headless
//! Chromium after its script ran (`--dump-dom`), shows the document's totals and the failing
//! trial's diff, and a filter in the URL fragment hides exactly the rows it should. A screenshot
//! of a realistic page proves it renders; `FGCONFORM_REPORT_PNG=docs/report.png` keeps it (the
//! README's picture).

use crate::support::selftest;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fgconform::report::html::{VERDICTS, render_value};
use libtest_mimic::{Completion, Failed, Trial};
use regex::Regex;
use serde_json::{Map, Value, json};

/// How long Chromium may take to load, run and dump one page.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

const INSTALL: &str = "`apt-get install -y chromium` installs it";

type Check = fn(&Path) -> Result<(), Failed>;

pub fn trials() -> Vec<Trial> {
    let checks: [(&str, Check); 3] = [
        (
            "selftest::html_report::chromium-shows-totals-and-diff",
            shows_totals_and_diff,
        ),
        (
            "selftest::html_report::chromium-filters-from-the-fragment",
            filters_from_fragment,
        ),
        ("selftest::html_report::chromium-screenshot", screenshot),
    ];
    let browser = chromium();
    checks
        .into_iter()
        .map(|(name, check)| match browser.clone() {
            Some(browser) => selftest(name, move || check(&browser)),
            None => Trial::ignorable_test(name, || {
                Ok(Completion::ignored_with(format!(
                    "skipped: no chromium (FGCONFORM_CHROMIUM, /usr/bin/chromium, PATH); {INSTALL}"
                )))
            }),
        })
        .collect()
}

/// `FGCONFORM_CHROMIUM` when set, else `/usr/bin/chromium`, else a `chromium` or
/// `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FGCONFORM_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|path| path.is_file())
}

/// Chromium headless on `page` (with `fragment`), with `extra` flags, in a fresh profile; its
/// stdout once it exits, within `BROWSER_TIMEOUT`.
fn run_chromium(
    browser: &Path,
    page: &Path,
    fragment: &str,
    extra: &[&str],
) -> Result<String, Failed> {
    let profile = tempfile::tempdir()?;
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}{fragment}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("chromium did not finish within {BROWSER_TIMEOUT:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().expect("reader thread")?;
    if !status.success() {
        return Err(format!("chromium exited with {status}").into());
    }
    Ok(out)
}

/// The page for `report`, written into `dir`.
fn write_page(dir: &Path, report: &Value) -> Result<PathBuf, Failed> {
    let path = dir.join("report.html");
    std::fs::write(&path, render_value(report))?;
    Ok(path)
}

fn shows_totals_and_diff(browser: &Path) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let report = small_report();
    let dom = run_chromium(
        browser,
        &write_page(dir.path(), &report)?,
        "",
        &["--dump-dom"],
    )?;
    if !dom.contains("data-shown=\"2\"") {
        return Err(format!("the script did not run (no data-shown=\"2\") in:\n{dom}").into());
    }
    let shown = Regex::new(r#"data-total="([a-z-]+)">(\d+)<"#).unwrap();
    let totals: Map<String, Value> = shown
        .captures_iter(&dom)
        .map(|c| (c[1].to_owned(), json!(c[2].parse::<u64>().unwrap())))
        .collect();
    if Value::Object(totals.clone()) != report["totals"] {
        return Err(format!(
            "shown totals {totals:?}, the document's {}",
            report["totals"]
        )
        .into());
    }
    for line in [
        "<span class=\"del\">-  \"greeting\": \"hello\"\n</span>",
        "<span class=\"add\">+  \"greeting\": \"GREETING\"\n</span>",
    ] {
        if !dom.contains(line) {
            return Err(
                format!("the failing trial's diff line {line} is not shown in:\n{dom}").into(),
            );
        }
    }
    Ok(())
}

fn filters_from_fragment(browser: &Path) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let page = write_page(dir.path(), &small_report())?;
    let dom = run_chromium(browser, &page, "#verdict=fail", &["--dump-dom"])?;
    let row = Regex::new(r#"<(?:div|details) class="trial"([^>]*)>"#).unwrap();
    let verdict = Regex::new(r#"data-verdict="([a-z-]+)""#).unwrap();
    let rows: Vec<(String, bool)> = row
        .captures_iter(&dom)
        .map(|c| {
            let attributes = &c[1];
            let hidden = Regex::new(r#"(^|\s)hidden(=""|\s|$)"#)
                .unwrap()
                .is_match(attributes);
            (
                verdict
                    .captures(attributes)
                    .map_or(String::new(), |v| v[1].to_owned()),
                hidden,
            )
        })
        .collect();
    let visible: Vec<&str> = rows
        .iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(v, _)| v.as_str())
        .collect();
    if rows.len() != 2 || visible != ["fail"] || !dom.contains("showing 1 of 2 trials") {
        return Err(format!("with #verdict=fail, rows (verdict, hidden) {rows:?}").into());
    }
    Ok(())
}

fn screenshot(browser: &Path) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let page = write_page(dir.path(), &realistic_report())?;
    let png = dir.path().join("report.png");
    let flag = format!("--screenshot={}", png.display());
    run_chromium(
        browser,
        &page,
        // The problems, expanded: what a reader opens the report for.
        "#problems=1&open=1",
        &[&flag, "--window-size=1280,900", "--hide-scrollbars"],
    )?;
    let bytes = std::fs::read(&png)?;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.len() < 10_000 {
        return Err(format!(
            "the screenshot is not a picture of a page ({} bytes)",
            bytes.len()
        )
        .into());
    }
    if let Some(keep) = std::env::var_os("FGCONFORM_REPORT_PNG") {
        std::fs::write(keep, bytes)?;
    }
    Ok(())
}

fn trial(id: &str, verdict: &str, level: &str, features: &[&str], ms: f64) -> Value {
    let (runtime, case) = id.split_once("::").unwrap();
    let area = case.split("::").next().unwrap();
    json!({
        "id": id, "case": case, "area": area, "case_path": format!("cases/{}", case.replace("::", "/")),
        "runtime": runtime, "level": level, "features": features,
        "verdict": verdict, "expected": "pass", "expected_reason": null,
        "duration_ms": ms, "node_version": runtime.strip_prefix("Node.js").map(|v| format!("{v}.1")),
        "steps": [{"label": "event.json", "request_ids": ["0b9c4f4e-5d0c-4f7a-9d53-6f5d2c1e8a10"]}],
        "message": null, "failure": null,
        "rerun": format!("cargo run --release -- --runtime {runtime} --exact {id}")
    })
}

/// `trial` failing on a result diff.
fn failing(id: &str, expected: &str, actual: &str) -> Value {
    let mut t = trial(id, "fail", "documented", &["callback"], 41.2);
    let request = "208f0790-96ef-4af2-bdaf-1d3f0c0df5dd";
    t["message"] = json!(format!(
        "FAIL at step 1 of 1 (event.json → expected.json, request {request}):\n  \
         result.greeting: expected \"{expected}\", got \"{actual}\""
    ));
    t["failure"] = json!({
        "step": 1, "steps": 1, "step_label": "event.json → expected.json", "request_id": request,
        "mismatches": [{"path": "result.greeting", "expected": format!("\"{expected}\""), "actual": format!("\"{actual}\"")}],
        "diffs": [{"field": "result", "unified": format!(
            "--- expected result\n+++ actual result\n@@ -1,3 +1,3 @@\n {{\n-  \"greeting\": \"{expected}\"\n+  \"greeting\": \"{actual}\"\n }}\n")}],
        "log": format!("2026-11-21T05:37:52Z Start invoke request '{request}', version: latest\n\
                        2026-11-21T05:37:52Z Finish invoke request '{request}', duration: 4.385ms")
    });
    t
}

fn document(trials: Vec<Value>, runtimes: &[&str]) -> Value {
    let mut totals = Map::new();
    for verdict in VERDICTS {
        let n = trials.iter().filter(|t| t["verdict"] == verdict).count();
        totals.insert(verdict.into(), n.into());
    }
    totals.insert("total".into(), trials.len().into());
    let selected: Map<String, Value> = runtimes
        .iter()
        .map(|r| {
            (
                r.to_string(),
                json!({"node_versions": [format!("{}.1", &r[7..])]}),
            )
        })
        .collect();
    json!({
        "format": "fgconform-report/1",
        "run_info": {
            "suite": {"name": "fgconform", "version": "0.1.0", "git_revision": "f557616c0d1e2b3a4f5e6d7c8b9a0f1e2d3c4b5a"},
            "corpus": {"root": "cases", "digest": "sha256:9f2c41d07be3a1c5e8d6b4a2f0e9d7c5b3a1f8e6d4c2b0a9f7e5d3c1b9a7f5e3", "cases": 238},
            "target": {"name": "fgref", "kind": "embedded", "url": "http://127.0.0.1:41235"},
            "runtimes": selected,
            "selection": {"runtimes": runtimes, "levels": [], "features": []},
            "host": {"os": "linux", "arch": "x86_64"},
            "started_at": "2026-11-29T14:00:02Z", "finished_at": "2026-11-29T14:00:36Z"
        },
        "totals": totals,
        "trials": trials
    })
}

/// One passing and one failing trial, the failure with a diff.
fn small_report() -> Value {
    document(
        vec![
            failing("Node.js20.15::context::user-data", "hello", "GREETING"),
            trial(
                "Node.js20.15::handler::async-return",
                "pass",
                "documented",
                &["async"],
                8.0,
            ),
        ],
        &["Node.js20.15"],
    )
}

/// A run on two runtimes over several areas with a few of each kind of verdict.
fn realistic_report() -> Value {
    let cases = [
        ("api", "create-function-bad-handler", "documented", "api"),
        ("context", "get-request-id", "documented", "context"),
        ("context", "user-data", "documented", "context"),
        ("handler", "async-return", "documented", "async"),
        ("handler", "callback-error", "documented", "callback"),
        ("initializer", "runs-once", "documented", "initializer"),
        ("logger", "warn-line", "observed", "logger"),
        ("logs", "finish-line", "observed", "logs"),
        ("summary", "billing-duration", "documented", "summary"),
        ("telemetry", "platform-report", "documented", "telemetry"),
        ("timeout", "handler-timeout", "documented", "timeout"),
    ];
    let mut trials = Vec::new();
    for runtime in ["Node.js18.15", "Node.js20.15"] {
        for (i, (area, case, level, feature)) in cases.iter().enumerate() {
            let id = format!("{runtime}::{area}::{case}");
            let ms = 6.0 + (i * 37 % 90) as f64;
            trials.push(match (runtime, *case) {
                ("Node.js20.15", "user-data") => failing(&id, "hello", "GREETING"),
                ("Node.js18.15", "warn-line") => failing(&id, "[WARN] careful", "careful"),
                ("Node.js20.15", "platform-report") => {
                    let mut t = trial(&id, "error", level, &[feature], 5012.0);
                    t["message"] =
                        json!("ERROR: the target broke the protocol: no X-Cff-Request-Id header");
                    t
                }
                ("Node.js18.15", "billing-duration") => {
                    let mut t = trial(&id, "expected-failure", level, &[feature], 120.0);
                    t["expected"] = json!("fail");
                    t["expected_reason"] = json!("billing rounds to 100 ms on this target");
                    t["message"] =
                        json!("FAIL at step 1 of 1: summary.billingDuration: expected 1, got 100");
                    t
                }
                ("Node.js18.15", "handler-timeout") => {
                    let mut t = trial(&id, "skipped", level, &[feature], 0.0);
                    t["message"] = json!("skipped: the case needs Node.js20.15+");
                    t
                }
                _ => trial(&id, "pass", level, &[feature], ms),
            });
        }
    }
    let mut invalid = trial(
        "case-format::handler::bad-case",
        "case-invalid",
        "documented",
        &[],
        0.0,
    );
    invalid["runtime"] = Value::Null;
    invalid["level"] = Value::Null;
    invalid["area"] = json!("handler");
    invalid["message"] = json!("cases/handler/bad-case/case.toml: line 3: unknown key `levle`");
    trials.push(invalid);
    trials.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    document(trials, &["Node.js18.15", "Node.js20.15"])
}
