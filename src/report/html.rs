//! The HTML report: one self-contained page (inline CSS and a little JavaScript, no network)
//! rendered from a run's JSON report (REPORT-FORMAT.md, `fgconform-report/1`). Everything a
//! reader needs is in the HTML itself (totals, the area × runtime grid, every trial with its
//! message, mismatches, diffs, log and rerun command), so the page works without JavaScript; the
//! script only filters. The JSON document rides along in `<script id="report-data">`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Every verdict name of the report, in the order the page shows them.
pub const VERDICTS: [&str; 8] = super::VERDICT_NAMES;

/// The verdicts a reader must act on: they count as failing in the grid and open no hint of "ok".
/// A flaky trial is one: certification counts it as a failure.
fn failing(verdict: &str) -> bool {
    matches!(
        verdict,
        "fail" | "error" | "case-invalid" | "unexpected-pass" | "flaky"
    )
}

/// The page for a run's report.
pub fn render(report: &super::json::Report) -> String {
    render_value(&serde_json::to_value(report).expect("a report's serde types always serialise"))
}

/// The page for a report document in the `fgconform-report/1` format. Missing fields render as
/// empty; nothing in the document can inject markup or script.
pub fn render_value(report: &Value) -> String {
    let info = &report["run_info"];
    let trials: &[Value] = report["trials"].as_array().map_or(&[], Vec::as_slice);
    let mut page = String::with_capacity(16 * 1024 + CSS.len() + JS.len());
    let title = format!("fgconform report: {}", text(&info["target"]["name"]));
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    header(&mut page, info, &title);
    page.push_str("<div class=\"overview\">\n");
    totals(&mut page, &report["totals"]);
    grid(&mut page, info, trials);
    page.push_str("</div>\n");
    statements(
        &mut page,
        report["statements"].as_array().map_or(&[], Vec::as_slice),
    );
    page.push_str("<section id=\"trials\">\n<h2>Trials</h2>\n");
    filters(&mut page, info, trials);
    for trial in trials {
        trial_row(&mut page, trial);
    }
    page.push_str("</section>\n");
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"report-data\">{}</script>\n<script>\n{JS}</script>\n\
         </body>\n</html>\n",
        embedded_json(report)
    );
    page
}

/// The document as JSON that cannot end its `<script>` element: every `<` becomes `\u003c`
/// (only strings can hold one, and the escape means the same string).
fn embedded_json(report: &Value) -> String {
    serde_json::to_string(report)
        .expect("a Value is always JSON")
        .replace('<', "\\u003c")
}

fn header(page: &mut String, info: &Value, title: &str) {
    let suite = &info["suite"];
    let mut suite_text = format!("{} {}", text(&suite["name"]), text(&suite["version"]));
    if let Some(revision) = suite["git_revision"].as_str() {
        let _ = write!(suite_text, " ({})", revision.get(..12).unwrap_or(revision));
    }
    let target = &info["target"];
    let mut target_text = format!("{} ({})", text(&target["name"]), text(&target["kind"]));
    if let Some(url) = target["url"].as_str() {
        let _ = write!(target_text, " at {url}");
    }
    let corpus = &info["corpus"];
    let corpus_text = format!(
        "{}, {} cases, {}",
        text(&corpus["root"]),
        text(&corpus["cases"]),
        text(&corpus["digest"])
    );
    let runtimes = info["runtimes"].as_object().map_or(String::new(), |map| {
        let each = map.iter().map(|(id, runtime)| {
            let versions = list(&runtime["node_versions"]);
            if versions.is_empty() {
                id.clone()
            } else {
                format!("{id} ({})", versions.join(", "))
            }
        });
        each.collect::<Vec<_>>().join(", ")
    });
    let selection = &info["selection"];
    let selection_text = format!(
        "levels: {}; features: {}",
        or_all(list(&selection["levels"])),
        or_all(list(&selection["features"]))
    );
    let host = format!(
        "{} {}",
        text(&info["host"]["os"]),
        text(&info["host"]["arch"])
    );
    let _ = write!(
        page,
        "<header>\n<h1>{}</h1>\n<dl class=\"run-info\">\n",
        esc(title)
    );
    for (term, value) in [
        ("suite", suite_text),
        ("target", target_text),
        ("runtimes", runtimes),
        ("selection", selection_text),
        ("host", host),
        ("started", text(&info["started_at"])),
        ("finished", text(&info["finished_at"])),
        ("corpus", corpus_text),
    ] {
        let _ = writeln!(
            page,
            "<dt>{term}</dt><dd data-info=\"{term}\">{}</dd>",
            esc(&value)
        );
    }
    page.push_str("</dl>\n</header>\n");
}

fn totals(page: &mut String, totals: &Value) {
    page.push_str("<section id=\"totals\">\n<h2>Totals</h2>\n<ul class=\"totals\">\n");
    for verdict in VERDICTS.iter().chain(&["total"]) {
        let n = totals[*verdict].as_u64().unwrap_or(0);
        let _ = writeln!(
            page,
            "<li class=\"v-{verdict}{}\"><span class=\"count\" data-total=\"{verdict}\">{n}</span> \
             <span class=\"label\">{verdict}</span></li>",
            if n == 0 { " zero" } else { "" }
        );
    }
    page.push_str("</ul>\n</section>\n");
}

/// Per area and runtime: how many trials passed and how many are failing (`failing`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub pass: usize,
    pub fail: usize,
    pub other: usize,
}

/// The grid's counts: area → runtime → cell (a trial without a runtime counts under `""`).
pub fn grid_counts(trials: &[Value]) -> BTreeMap<String, BTreeMap<String, Cell>> {
    let mut grid: BTreeMap<String, BTreeMap<String, Cell>> = BTreeMap::new();
    for trial in trials {
        let cell = grid
            .entry(text(&trial["area"]))
            .or_default()
            .entry(text(&trial["runtime"]))
            .or_default();
        match trial["verdict"].as_str().unwrap_or("") {
            "pass" => cell.pass += 1,
            verdict if failing(verdict) => cell.fail += 1,
            _ => cell.other += 1,
        }
    }
    grid
}

/// The runtimes as columns: those the run selected, in its order, then any other a trial names.
/// The statements of the sources a failing trial cites (or an erring one), each with those trials:
/// which promises to look at, beside which cases failed.
fn statements(page: &mut String, outcomes: &[Value]) {
    if outcomes.is_empty() {
        return;
    }
    let count = |verdict: &str| {
        outcomes
            .iter()
            .filter(|outcome| outcome["verdict"] == verdict)
            .count()
    };
    let _ = write!(
        page,
        "<section id=\"statements\">\n<h2>Statements</h2>\n<p>{} statements of the sources \
         checked: {} failing (a trial citing it failed), {} unsure (one erred), {} held, {} not \
         run.</p>\n",
        outcomes.len(),
        count("failing"),
        count("unsure"),
        count("held"),
        count("not-run"),
    );
    let shown: Vec<&Value> = outcomes
        .iter()
        .filter(|outcome| outcome["verdict"] == "failing" || outcome["verdict"] == "unsure")
        .collect();
    if !shown.is_empty() {
        page.push_str(
            "<table class=\"statements\">\n<thead><tr><th>statement</th><th>verdict</th>\
             <th>failing trials</th></tr></thead>\n<tbody>\n",
        );
        for outcome in shown {
            let failing: Vec<String> = list(&outcome["failing"])
                .iter()
                .map(|id| format!("<code>{}</code>", esc(id)))
                .collect();
            let _ = writeln!(
                page,
                "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&text(&outcome["verdict"])),
                esc(&text(&outcome["id"])),
                esc(&text(&outcome["verdict"])),
                failing.join(", ")
            );
        }
        page.push_str("</tbody>\n</table>\n");
    }
    page.push_str("</section>\n");
}

fn runtime_columns(info: &Value, trials: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = info["runtimes"]
        .as_object()
        .map_or(Vec::new(), |map| map.keys().cloned().collect());
    for trial in trials {
        let runtime = text(&trial["runtime"]);
        if !columns.contains(&runtime) {
            columns.push(runtime);
        }
    }
    columns
}

fn grid(page: &mut String, info: &Value, trials: &[Value]) {
    let columns = runtime_columns(info, trials);
    page.push_str(
        "<section id=\"grid\">\n<h2>Areas × runtimes</h2>\n<table class=\"grid\">\n<thead><tr><th>area</th>",
    );
    for runtime in &columns {
        let _ = write!(page, "<th>{}</th>", esc(or_none(runtime)));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for (area, row) in grid_counts(trials) {
        let _ = write!(page, "<tr><th scope=\"row\">{}</th>", esc(&area));
        for runtime in &columns {
            let Some(cell) = row.get(runtime) else {
                page.push_str("<td class=\"empty\"></td>");
                continue;
            };
            let (class, zero) = if cell.fail > 0 {
                ("bad", "")
            } else {
                ("good", " zero")
            };
            let (pass, fail, other) = (cell.pass, cell.fail, cell.other);
            let _ = write!(
                page,
                "<td class=\"{class}\" data-area=\"{}\" data-runtime=\"{}\" data-pass=\"{pass}\" \
                 data-fail=\"{fail}\" title=\"{pass} passed, {fail} failing, {other} other\">\
                 <span class=\"pass\">{pass}</span> / <span class=\"fail{zero}\">{fail}</span></td>",
                esc(&area),
                esc(runtime),
            );
        }
        page.push_str("</tr>\n");
    }
    page.push_str(
        "</tbody>\n</table>\n<p class=\"note\">passed / failing (fail, error, case-invalid, \
         unexpected-pass, flaky) trials per cell.</p>\n</section>\n",
    );
}

fn filters(page: &mut String, info: &Value, trials: &[Value]) {
    let mut areas: Vec<String> = trials.iter().map(|t| text(&t["area"])).collect();
    let mut levels: Vec<String> = trials.iter().map(|t| text(&t["level"])).collect();
    let mut features: Vec<String> = trials.iter().flat_map(|t| list(&t["features"])).collect();
    // Runtime ids keep the grid's order; a trial without one is found by "all" alone.
    let mut runtimes = runtime_columns(info, trials);
    runtimes.retain(|runtime| !runtime.is_empty());
    for values in [&mut areas, &mut levels, &mut features] {
        values.retain(|value| !value.is_empty());
        values.sort();
        values.dedup();
    }
    let verdicts: Vec<String> = VERDICTS.iter().map(|v| v.to_string()).collect();
    page.push_str("<form class=\"filters\" id=\"filters\">\n");
    for (name, values) in [
        ("verdict", verdicts),
        ("area", areas),
        ("runtime", runtimes),
        ("level", levels),
        ("feature", features),
    ] {
        let _ = write!(
            page,
            "<label>{name} <select name=\"{name}\" data-filter=\"{name}\"><option value=\"\">all</option>"
        );
        for value in values {
            let _ = write!(
                page,
                "<option value=\"{}\">{}</option>",
                esc(&value),
                esc(or_none(&value))
            );
        }
        page.push_str("</select></label>\n");
    }
    page.push_str(
        "<label><input type=\"checkbox\" name=\"problems\" data-filter=\"problems\"> only failing</label>\n\
         <label><input type=\"checkbox\" name=\"open\" data-filter=\"open\"> expand all</label>\n\
         <output id=\"shown\"></output>\n</form>\n",
    );
}

fn trial_row(page: &mut String, trial: &Value) {
    let verdict = text(&trial["verdict"]);
    let features = list(&trial["features"]).join(" ");
    let attributes = format!(
        "data-id=\"{}\" data-verdict=\"{}\" data-area=\"{}\" data-runtime=\"{}\" data-level=\"{}\" \
         data-features=\"{}\"",
        esc(&text(&trial["id"])),
        esc(&verdict),
        esc(&text(&trial["area"])),
        esc(&text(&trial["runtime"])),
        esc(&text(&trial["level"])),
        esc(&features)
    );
    let mut line = format!(
        "<span class=\"badge v-{0}\">{0}</span> <span class=\"id\">{1}</span> \
         <span class=\"meta\">{2}",
        esc(&verdict),
        esc(&text(&trial["id"])),
        esc(&text(&trial["level"]))
    );
    if let Some(ms) = trial["duration_ms"].as_f64() {
        let _ = write!(line, " · {}", duration(ms));
    }
    line.push_str("</span>");
    if verdict == "pass" {
        let _ = writeln!(page, "<div class=\"trial\" {attributes}>{line}</div>");
        return;
    }
    let _ = write!(
        page,
        "<details class=\"trial\" {attributes}>\n<summary>{line}</summary>\n<div class=\"body\">\n"
    );
    if let Some(reason) = trial["expected_reason"].as_str() {
        let _ = writeln!(
            page,
            "<p class=\"reason\">expected to fail: {}</p>",
            esc(reason)
        );
    }
    let statements = list(&trial["statements"]);
    if !statements.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"statements\">checks: {}</p>",
            statements
                .iter()
                .map(|id| format!("<code>{}</code>", esc(id)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    attempts(page, trial);
    let failure = &trial["failure"];
    // A failure's message is the text report's whole account (diffs, log, rerun), shown below
    // piece by piece; the text itself waits at the end, behind a toggle.
    let message = trial["message"].as_str().map(esc);
    if let (Some(message), false) = (&message, failure.is_object()) {
        let _ = writeln!(page, "<pre class=\"message\">{message}</pre>");
    }
    if failure.is_object() {
        let mut at = format!(
            "at step {} of {}: {}",
            text(&failure["step"]),
            text(&failure["steps"]),
            text(&failure["step_label"])
        );
        if let Some(request) = failure["request_id"].as_str() {
            let _ = write!(at, ", request {request}");
        }
        let _ = writeln!(page, "<p class=\"step\">{}</p>", esc(&at));
    }
    let mismatches = failure["mismatches"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if !mismatches.is_empty() {
        page.push_str(
            "<table class=\"mismatches\"><thead><tr><th>path</th><th>expected</th><th>actual</th>\
             </tr></thead><tbody>\n",
        );
        for m in mismatches {
            let _ = writeln!(
                page,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(&text(&m["path"])),
                esc(&text(&m["expected"])),
                esc(&text(&m["actual"]))
            );
        }
        page.push_str("</tbody></table>\n");
    }
    for diff in failure["diffs"].as_array().map_or(&[][..], Vec::as_slice) {
        let _ = writeln!(
            page,
            "<h4>diff of {}</h4>\n<pre class=\"diff\">{}</pre>",
            esc(&text(&diff["field"])),
            diff_lines(&text(&diff["unified"]))
        );
    }
    if let Some(log) = failure["log"].as_str().filter(|log| !log.is_empty()) {
        let _ = writeln!(
            page,
            "<h4>log of the call</h4>\n<pre class=\"log\">{}</pre>",
            esc(log)
        );
    }
    if let Some(rerun) = trial["rerun"].as_str() {
        let _ = writeln!(
            page,
            "<h4>rerun</h4>\n<pre class=\"rerun\"><code>{}</code></pre>",
            esc(rerun)
        );
    }
    if let (Some(message), true) = (&message, failure.is_object()) {
        let _ = writeln!(
            page,
            "<details class=\"text\"><summary>as the text report says it</summary>\
             <pre class=\"message\">{message}</pre></details>"
        );
    }
    page.push_str("</div>\n</details>\n");
}

/// The attempts `--retries` ran before the last, each with the text the run printed for it.
fn attempts(page: &mut String, trial: &Value) {
    let attempts = trial["failed_attempts"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if attempts.is_empty() {
        return;
    }
    let last = attempts.len() + 1;
    let outcome = if text(&trial["verdict"]) == "flaky" {
        "passed"
    } else {
        "did not pass"
    };
    let _ = writeln!(
        page,
        "<p class=\"attempts\">{outcome} on attempt {last} of {last}; the earlier ones did not:</p>"
    );
    for (n, attempt) in attempts.iter().enumerate() {
        let mut at = format!("attempt {}: {}", n + 1, text(&attempt["verdict"]));
        if let Some(ms) = attempt["duration_ms"].as_f64() {
            let _ = write!(at, " · {}", duration(ms));
        }
        let _ = writeln!(
            page,
            "<details class=\"text attempt\"><summary>{}</summary><pre class=\"message\">{}</pre>\
             </details>",
            esc(&at),
            esc(&text(&attempt["message"]))
        );
    }
}

/// A unified diff, one `<span>` a line: headers, hunks, removed (`-`, red) and added (`+`, green).
fn diff_lines(unified: &str) -> String {
    let mut out = String::new();
    let mut in_hunk = false;
    for line in unified.lines() {
        let class = if line.starts_with("@@") {
            in_hunk = true;
            "hunk"
        } else if !in_hunk && (line.starts_with("--- ") || line.starts_with("+++ ")) {
            "head"
        } else if line.starts_with('-') {
            "del"
        } else if line.starts_with('+') {
            "add"
        } else {
            "ctx"
        };
        // The newline inside the block-level span: one line each, with or without the CSS.
        let _ = write!(out, "<span class=\"{class}\">{}\n</span>", esc(line));
    }
    out
}

fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// A scalar as text: a string as it is, null or absent as empty, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map_or(Vec::new(), |items| items.iter().map(text).collect())
}

fn or_all(values: Vec<String>) -> String {
    if values.is_empty() {
        "all".into()
    } else {
        values.join(", ")
    }
}

fn or_none(value: &str) -> &str {
    if value.is_empty() { "(none)" } else { value }
}

/// Text safe in an element and in a quoted attribute.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
