//! Placeholder for the HTML report (`--html`), replaced by the HTML work at merge: a minimal
//! page that embeds the JSON report.

use super::json::{self, Report};

/// The page for `report`.
pub fn render(report: &Report) -> String {
    let data = json::render(report).replace("</", "<\\/");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fgconform report</title></head>\n<body><h1>fgconform report</h1><p>{} trials</p>\n<script type=\"application/json\" id=\"report\">{data}</script>\n</body></html>\n",
        report.totals.total
    )
}
