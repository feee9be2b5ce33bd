use serde_json::{Value, json};

use super::*;

fn trial(id: &str, verdict: &str) -> Value {
    let (runtime, case) = id.split_once("::").unwrap();
    let area = case.split("::").next().unwrap();
    json!({
        "id": id, "case": case, "area": area, "case_path": format!("cases/{}", case.replace("::", "/")),
        "runtime": runtime, "level": "documented", "features": ["callback"],
        "verdict": verdict, "expected": "pass", "expected_reason": null,
        "duration_ms": 12.5, "node_version": "20.15.1",
        "steps": [{"label": "event.json", "request_ids": ["r-1"]}],
        "message": null, "failure": null,
        "rerun": format!("cargo run -- --exact {id}")
    })
}

fn report(trials: Vec<Value>) -> Value {
    let mut totals = serde_json::Map::new();
    for verdict in VERDICTS {
        let n = trials.iter().filter(|t| t["verdict"] == verdict).count();
        totals.insert(verdict.into(), n.into());
    }
    totals.insert("total".into(), trials.len().into());
    json!({
        "format": "fgconform-report/1",
        "run_info": {
            "suite": {"name": "fgconform", "version": "0.1.0", "git_revision": null},
            "corpus": {"root": "cases", "digest": "sha256:00", "cases": 3},
            "target": {"name": "fgref", "kind": "embedded", "url": null},
            "runtimes": {"Node.js20.15": {"node_versions": ["20.15.1"]}},
            "selection": {"runtimes": ["Node.js20.15"], "levels": [], "features": []},
            "host": {"os": "linux", "arch": "x86_64"},
            "started_at": "2026-11-29T14:00:00Z", "finished_at": "2026-11-29T14:01:00Z"
        },
        "totals": totals,
        "trials": trials
    })
}

fn failing_trial() -> Value {
    let mut t = trial("Node.js20.15::context::user-data", "fail");
    t["message"] = json!("FAIL at step 1 of 1: result.greeting: expected \"hello\"");
    t["failure"] = json!({
        "step": 1, "steps": 1, "step_label": "event.json", "request_id": "r-1",
        "mismatches": [{"path": "result.greeting", "expected": "\"hello\"", "actual": "\"GREETING\""}],
        "diffs": [{"field": "result", "unified":
            "--- expected result\n+++ actual result\n@@ -1,3 +1,3 @@\n {\n-  \"greeting\": \"hello\"\n+  \"greeting\": \"GREETING\"\n }\n"}],
        "log": "Start invoke request 'r-1'"
    });
    t
}

#[test]
fn every_string_is_escaped() {
    let mut evil = failing_trial();
    evil["message"] = json!("<script>alert(1)</script> & \"quoted\" 'single'");
    evil["features"] = json!(["a\"><img src=x>"]);
    let page = render_value(&report(vec![evil]));
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;"
    ));
    // The embedded document cannot close its own element, and still reads back as the same JSON.
    let start = page.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    let embedded: Value = serde_json::from_str(&page[start..end]).unwrap();
    assert_eq!(embedded["trials"][0]["message"], evil_message());
    assert!(!page[start..end].contains('<'));
}

fn evil_message() -> Value {
    json!("<script>alert(1)</script> & \"quoted\" 'single'")
}

#[test]
fn totals_are_the_documents() {
    let page = render_value(&report(vec![
        trial("Node.js20.15::handler::a", "pass"),
        trial("Node.js20.15::handler::b", "pass"),
        failing_trial(),
    ]));
    for (verdict, n) in [
        ("pass", 2),
        ("fail", 1),
        ("error", 0),
        ("unexpected-pass", 0),
        ("total", 3),
    ] {
        let needle = format!("data-total=\"{verdict}\">{n}</span>");
        assert!(page.contains(&needle), "{needle} missing");
    }
}

#[test]
fn a_flaky_trial_shows_its_failed_attempts_and_counts_as_failing() {
    let mut flaky = trial("Node.js20.15::handler::f", "flaky");
    flaky["failed_attempts"] = json!([{"verdict": "fail", "duration_ms": 700.0,
        "message": "FAIL at step 1 of 1 <first>"}]);
    let page = render_value(&report(vec![flaky.clone()]));
    assert!(page.contains("data-total=\"flaky\">1</span>"));
    assert!(page.contains("<option value=\"flaky\">flaky</option>"));
    assert!(page.contains("passed on attempt 2 of 2"), "{page}");
    assert!(page.contains("attempt 1: fail · 700 ms"), "{page}");
    assert!(page.contains("FAIL at step 1 of 1 &lt;first&gt;"), "{page}");
    assert_eq!(grid_counts(&[flaky])["handler"]["Node.js20.15"].fail, 1);
}

#[test]
fn grid_counts_per_area_and_runtime() {
    let trials = vec![
        trial("Node.js20.15::handler::a", "pass"),
        trial("Node.js20.15::handler::b", "error"),
        trial("Node.js18.15::handler::a", "pass"),
        trial("Node.js20.15::logger::a", "skipped"),
        failing_trial(),
    ];
    let grid = grid_counts(&trials);
    assert_eq!(
        grid["handler"]["Node.js20.15"],
        Cell {
            pass: 1,
            fail: 1,
            other: 0
        }
    );
    assert_eq!(
        grid["handler"]["Node.js18.15"],
        Cell {
            pass: 1,
            fail: 0,
            other: 0
        }
    );
    assert_eq!(
        grid["logger"]["Node.js20.15"],
        Cell {
            pass: 0,
            fail: 0,
            other: 1
        }
    );
    assert_eq!(
        grid["context"]["Node.js20.15"],
        Cell {
            pass: 0,
            fail: 1,
            other: 0
        }
    );
    let page = render_value(&report(trials));
    assert!(page.contains(
        "data-area=\"handler\" data-runtime=\"Node.js20.15\" data-pass=\"1\" data-fail=\"1\""
    ));
    // Each filter's one empty option is "all", even with a trial that has no runtime.
    let mut invalid = trial("Node.js20.15::handler::bad", "case-invalid");
    invalid["runtime"] = Value::Null;
    let with_invalid = render_value(&report(vec![invalid]));
    assert_eq!(with_invalid.matches("<option value=\"\">").count(), 5);
    assert!(with_invalid.contains("<th>(none)</th>"));
    // A runtime the run did not select but a trial names still gets its column.
    assert!(page.contains("<th>Node.js18.15</th>"));
}

#[test]
fn a_failing_trial_shows_its_diff_log_and_rerun() {
    let page = render_value(&report(vec![
        trial("Node.js20.15::handler::a", "pass"),
        failing_trial(),
    ]));
    assert!(page.contains("<details class=\"trial\" data-id=\"Node.js20.15::context::user-data\" data-verdict=\"fail\""));
    assert!(
        page.contains("<span class=\"del\">-  &quot;greeting&quot;: &quot;hello&quot;\n</span>")
    );
    assert!(
        page.contains("<span class=\"add\">+  &quot;greeting&quot;: &quot;GREETING&quot;\n</span>")
    );
    assert!(page.contains("<span class=\"head\">--- expected result\n</span>"));
    assert!(page.contains("<td><code>result.greeting</code></td>"));
    assert!(page.contains("Start invoke request &#39;r-1&#39;"));
    assert!(page.contains("cargo run -- --exact Node.js20.15::context::user-data"));
    // A passing trial is one line, nothing to expand.
    assert!(page.contains(
        "<div class=\"trial\" data-id=\"Node.js20.15::handler::a\" data-verdict=\"pass\""
    ));
}

#[test]
fn a_sparse_document_still_renders() {
    let page = render_value(&json!({}));
    assert!(page.contains("data-total=\"total\">0</span>"));
    assert!(page.ends_with("</html>\n"));
}

#[test]
fn a_failing_statement_is_named_with_its_failing_trials() {
    let mut page_report = report(vec![failing_trial()]);
    page_report["statements"] = json!([
        {"id": "context.user-data", "verdict": "failing", "trials": 2,
         "failing": ["Node.js20.15::context::user-data"]},
        {"id": "context.<b>", "verdict": "held", "trials": 1, "failing": []}
    ]);
    page_report["trials"][0]["statements"] = json!(["context.user-data"]);
    let page = render_value(&page_report);
    assert!(page.contains(
        "2 statements of the sources checked: 1 failing (a trial citing it failed), 0 unsure (one erred), 1 held, 0 not run."
    ), "{page}");
    assert!(
        page.contains(
            "<tr class=\"failing\"><td><code>context.user-data</code></td><td>failing</td>\
         <td><code>Node.js20.15::context::user-data</code></td></tr>"
        ),
        "{page}"
    );
    // A statement that held is counted, not listed.
    assert!(!page.contains("context.&lt;b&gt;"), "{page}");
    assert!(
        page.contains("checks: <code>context.user-data</code>"),
        "{page}"
    );
    // A report without statements (an older one) has no section.
    assert!(!render_value(&report(vec![failing_trial()])).contains("id=\"statements\""));
}
