//! The telemetry expectation, `{"events": [m…], "exhaustive": false, "in_order": false,
//! "absent": [m…]}`: how it loads and how it holds against the events filed for a call.

use serde_json::Value;

use super::error::ExpectError;
use crate::matcher::{Assignment, Captures, Matcher, Mismatch};

#[derive(Debug, Default)]
pub struct TelemetryExpectation {
    /// Each matched by an event of its own among the call's events.
    pub events: Vec<Matcher>,
    /// Whether the call's events must be exactly these.
    pub exhaustive: bool,
    /// Whether the events must have arrived in the listed order (an ordered subsequence). Off
    /// unless a case asks: the documents fix no order of delivery.
    pub in_order: bool,
    /// Events that must not be among the call's: no event may match any of these.
    pub absent: Vec<Matcher>,
}

impl TelemetryExpectation {
    /// The expectation under `key` (`telemetry`).
    pub fn load(key: &str, value: &Value) -> Result<TelemetryExpectation, ExpectError> {
        let shape = || {
            ExpectError::new(
                key,
                format!(
                    "`{key}` takes {{\"events\": [matchers…], \"exhaustive\": false, \"in_order\": false}}"
                ),
            )
        };
        let Value::Object(fields) = value else {
            return Err(shape());
        };
        let mut expectation = TelemetryExpectation::default();
        let mut has_events = false;
        for (field, item) in fields {
            match field.as_str() {
                "events" | "absent" => {
                    let Value::Array(items) = item else {
                        return Err(ExpectError::new(
                            field,
                            format!("`{key}.{field}` takes an array of matchers, one per event"),
                        ));
                    };
                    let matchers = items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            Matcher::compile(item, &format!("{key}.{field}[{i}]"))
                                .map_err(ExpectError::from)
                        })
                        .collect::<Result<_, _>>()?;
                    if field == "events" {
                        expectation.events = matchers;
                        has_events = true;
                    } else {
                        expectation.absent = matchers;
                    }
                }
                "exhaustive" => {
                    expectation.exhaustive = item.as_bool().ok_or_else(|| {
                        ExpectError::new(field, format!("`{key}.exhaustive` takes true or false"))
                    })?;
                }
                "in_order" => {
                    expectation.in_order = item.as_bool().ok_or_else(|| {
                        ExpectError::new(field, format!("`{key}.in_order` takes true or false"))
                    })?;
                }
                _ => {
                    return Err(ExpectError::new(
                        field,
                        format!(
                            "unknown key `{key}.{field}`; expected events, exhaustive, in_order or absent"
                        ),
                    ));
                }
            }
        }
        if !has_events {
            return Err(shape());
        }
        Ok(expectation)
    }

    pub fn matchers(&self) -> impl Iterator<Item = &Matcher> {
        self.events.iter().chain(&self.absent)
    }

    /// Checks `events`, reporting under `field`; answers the expected events reconciled with the
    /// actual ones (an event that matched, or that a non-exhaustive expectation lets pass, stands
    /// as it arrived; a missing one as the case wrote it, where it was looked for), for the diff.
    pub fn check(
        &self,
        field: &str,
        events: &[Value],
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
    ) -> Value {
        for (i, matcher) in self.absent.iter().enumerate() {
            // Tried on a copy: an event that must be absent binds nothing.
            if let Some(at) = (0..events.len())
                .find(|&at| matcher.is_satisfied(Some(&events[at]), &mut captures.clone()))
            {
                mismatches.push(Mismatch {
                    path: format!("{field}.absent[{i}]"),
                    expected: format!("no event matching {}", matcher.to_value()),
                    actual: format!("event {}, {}", at + 1, brief(&events[at])),
                });
            }
        }
        if self.in_order {
            self.check_in_order(field, events, captures, mismatches)
        } else {
            self.check_any_order(field, events, captures, mismatches)
        }
    }

    /// Each matcher an event of its own, wherever it arrived (as `$contains`: the matchers see
    /// the captures bound before the telemetry, not each other's). The diff shows the events as
    /// they arrived, then the matchers no event was left for.
    fn check_any_order(
        &self,
        field: &str,
        events: &[Value],
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
    ) -> Value {
        let assignment = Assignment::of(&self.events, events, captures);
        let mut reconciled = Vec::new();
        for (at, event) in events.iter().enumerate() {
            if assignment.owner[at].is_some() || !self.exhaustive {
                reconciled.push(event.clone());
            } else {
                mismatches.push(self.extra(field, at, event));
            }
        }
        for (i, matcher) in self.events.iter().enumerate() {
            let path = format!("{field}.events[{i}]");
            match assignment.element_of(i) {
                Some(at) => {
                    matcher.check(Some(&events[at]), &path, captures, mismatches);
                }
                None => {
                    let fits = &assignment.fits[i];
                    let actual = if fits.is_empty() {
                        format!("none among the {} events", events.len())
                    } else {
                        let taken: Vec<String> =
                            fits.iter().map(|at| format!("{}", at + 1)).collect();
                        format!(
                            "the events that match it (event {}) match other entries of the list",
                            taken.join(", ")
                        )
                    };
                    mismatches.push(Mismatch {
                        path,
                        expected: format!("an event matching {}", matcher.to_value()),
                        actual,
                    });
                    reconciled.push(matcher.to_value());
                }
            }
        }
        Value::Array(reconciled)
    }

    /// An event the exhaustive list has no entry for.
    fn extra(&self, field: &str, at: usize, event: &Value) -> Mismatch {
        Mismatch {
            path: format!("{field}.exhaustive"),
            expected: format!("only the {} events listed", self.events.len()),
            actual: format!("an extra event {}, {}", at + 1, brief(event)),
        }
    }

    /// The matchers as an ordered subsequence of the events (`in_order`); an event that matches
    /// but arrived before the previous match is reported as out of order, not as missing.
    fn check_in_order(
        &self,
        field: &str,
        events: &[Value],
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
    ) -> Value {
        let mut reconciled = Vec::new();
        let mut next = 0;
        for (i, matcher) in self.events.iter().enumerate() {
            match (next..events.len()).find(|&at| matcher.is_satisfied(Some(&events[at]), captures))
            {
                Some(at) => {
                    self.pass_over(field, events, next..at, &mut reconciled, mismatches);
                    reconciled.push(events[at].clone());
                    next = at + 1;
                }
                None => {
                    // Not found: later matchers are still looked for from the same place, so
                    // one missing event does not hide the others.
                    let after = if next == 0 {
                        String::new()
                    } else {
                        format!(" after event {next}")
                    };
                    let early = (0..next)
                        .find(|&at| matcher.is_satisfied(Some(&events[at]), &mut captures.clone()));
                    let actual = match early {
                        Some(at) => format!(
                            "out of order: event {} ({}) matches it but arrived before event {next}",
                            at + 1,
                            brief(&events[at])
                        ),
                        None => format!(
                            "none among the {} events{}",
                            events.len() - next,
                            if next == 0 { "" } else { " after it" }
                        ),
                    };
                    mismatches.push(Mismatch {
                        path: format!("{field}.events[{i}]"),
                        expected: format!("an event matching {}{after}", matcher.to_value()),
                        actual,
                    });
                    reconciled.push(matcher.to_value());
                }
            }
        }
        self.pass_over(
            field,
            events,
            next..events.len(),
            &mut reconciled,
            mismatches,
        );
        Value::Array(reconciled)
    }

    /// Events no matcher claimed: allowed unless the expectation is exhaustive.
    fn pass_over(
        &self,
        field: &str,
        events: &[Value],
        range: std::ops::Range<usize>,
        reconciled: &mut Vec<Value>,
        mismatches: &mut Vec<Mismatch>,
    ) {
        for at in range {
            if self.exhaustive {
                mismatches.push(self.extra(field, at, &events[at]));
                // Left out of the expected side, so the diff shows it as an addition.
            } else {
                reconciled.push(events[at].clone());
            }
        }
    }
}

/// An event in a mismatch line: its name when it has one, else the JSON.
/// An event in a few words: its name, and its `logs` line for a log event.
fn brief(event: &Value) -> String {
    match (event.get("name"), event.get("logs")) {
        (Some(Value::String(name)), Some(Value::String(logs))) => {
            let mut logs = logs.clone();
            if logs.chars().count() > 80 {
                logs = logs.chars().take(77).collect::<String>() + "...";
            }
            format!("{name:?} with logs {logs:?}")
        }
        (Some(Value::String(name)), _) => format!("{name:?}"),
        _ => event.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expectation: Value, events: &Value) -> (Vec<Mismatch>, Value) {
        let mut captures = Captures::default();
        captures.bind("rid", json!("r-1"));
        let mut out = Vec::new();
        let reconciled = TelemetryExpectation::load("telemetry", &expectation)
            .unwrap()
            .check(
                "telemetry",
                events.as_array().unwrap(),
                &mut captures,
                &mut out,
            );
        (out, reconciled)
    }

    /// An exhaustive expectation of events with these names.
    fn exactly(names: &[&str], in_order: bool) -> Value {
        let events: Vec<Value> = names.iter().map(|name| json!({"name": name})).collect();
        json!({"exhaustive": true, "in_order": in_order, "events": events})
    }

    fn call() -> Value {
        json!([
            {"name": "platform.initStart", "traceId": "r-1"},
            {"name": "platform.start", "traceId": "r-1"},
            {"name": "function", "logs": "[Function]hello"},
            {"name": "platform.RuntimeDone", "traceId": "r-1", "status": "success"},
            {"name": "platform.report", "traceId": "r-1", "status": "success"}
        ])
    }

    #[test]
    fn in_order_events_are_an_ordered_subsequence_and_a_late_match_is_out_of_order() {
        let ordered = json!({"in_order": true, "events": [
            {"name": "platform.start", "traceId": {"$same": "rid"}},
            {"name": "function", "logs": {"$regex": "hello$"}},
            {"name": "platform.report"}
        ]});
        let (mismatches, reconciled) = check(ordered, &call());
        assert_eq!(mismatches, []);
        assert_eq!(reconciled, call());

        let reversed = json!({"in_order": true, "events": [{"name": "platform.report"}, {"name": "platform.start"}]});
        let (mismatches, _) = check(reversed.clone(), &call());
        assert_eq!(mismatches.len(), 1);
        assert_eq!(mismatches[0].path, "telemetry.events[1]");
        assert_eq!(
            mismatches[0].actual,
            "out of order: event 2 (\"platform.start\") matches it but arrived before event 5",
            "{mismatches:?}"
        );
        let absent = json!({"in_order": true, "events": [{"name": "platform.report"}, {"name": "platform.restore"}]});
        let (mismatches, _) = check(absent, &call());
        assert_eq!(mismatches[0].actual, "none among the 0 events after it");
    }

    #[test]
    fn without_in_order_each_entry_needs_an_event_of_its_own_wherever_it_arrived() {
        let reversed = json!({"events": [{"name": "platform.report"}, {"name": "platform.start"}]});
        let (mismatches, reconciled) = check(reversed, &call());
        assert_eq!(mismatches, []);
        assert_eq!(reconciled, call());

        // Two entries cannot share one event; a loose entry leaves the strict one its event.
        let shared = json!({"events": [{"traceId": "r-1"}, {"name": "platform.start"}, {"name": "platform.start"}]});
        let (mismatches, reconciled) = check(shared, &call());
        assert_eq!(mismatches.len(), 1, "{mismatches:?}");
        assert_eq!(mismatches[0].path, "telemetry.events[2]");
        assert_eq!(
            mismatches[0].actual,
            "the events that match it (event 2) match other entries of the list"
        );
        assert_eq!(reconciled.as_array().unwrap().len(), 6);

        let exhaustive = |names: &[&str]| exactly(names, false);
        let shuffled = [
            "platform.report",
            "function",
            "platform.initStart",
            "platform.RuntimeDone",
            "platform.start",
        ];
        assert_eq!(check(exhaustive(&shuffled), &call()).0, []);
        let (mismatches, _) = check(exhaustive(&shuffled[1..]), &call());
        assert_eq!(mismatches.len(), 1, "{mismatches:?}");
        assert_eq!(
            mismatches[0].actual,
            "an extra event 5, \"platform.report\""
        );
    }

    #[test]
    fn exhaustive_in_order_means_exactly_these_events_in_this_order() {
        let names = |names: &[&str]| exactly(names, true);
        let all = [
            "platform.initStart",
            "platform.start",
            "function",
            "platform.RuntimeDone",
            "platform.report",
        ];
        assert_eq!(check(names(&all), &call()).0, []);
        let (mismatches, reconciled) = check(names(&all[1..]), &call());
        assert_eq!(mismatches.len(), 1, "{mismatches:?}");
        assert_eq!(mismatches[0].path, "telemetry.exhaustive");
        assert_eq!(
            mismatches[0].actual,
            "an extra event 1, \"platform.initStart\""
        );
        // The extra event is left out of the expected side, so the diff adds it.
        assert_eq!(reconciled.as_array().unwrap().len(), 4);
        let (mismatches, _) = check(names(&["platform.start", "platform.initStart"]), &call());
        let paths: Vec<_> = mismatches.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "telemetry.exhaustive",
                "telemetry.events[1]",
                "telemetry.exhaustive",
                "telemetry.exhaustive",
                "telemetry.exhaustive"
            ]
        );
    }

    #[test]
    fn a_missing_event_stands_where_it_was_looked_for() {
        let expected = json!({"in_order": true, "events": [
            {"name": "platform.start"},
            {"name": "platform.RuntimeDone", "status": "failure"},
            {"name": "platform.report"}
        ]});
        let (mismatches, reconciled) = check(expected, &call());
        assert_eq!(mismatches.len(), 1, "{mismatches:?}");
        assert_eq!(
            mismatches[0].expected,
            r#"an event matching {"name":"platform.RuntimeDone","status":"failure"} after event 2"#
        );
        assert_eq!(mismatches[0].actual, "none among the 3 events after it");
        let names: Vec<_> = reconciled
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "platform.initStart",
                "platform.start",
                "platform.RuntimeDone",
                "function",
                "platform.RuntimeDone",
                "platform.report"
            ]
        );
    }

    #[test]
    fn an_absent_event_is_named_where_it_arrived() {
        let init = json!({"events": [{"name": "platform.start"}], "absent": [{"name": {"$prefix": "platform.init"}}, {"name": "extension"}]});
        let (mismatches, _) = check(init, &call());
        assert_eq!(mismatches.len(), 1, "{mismatches:?}");
        assert_eq!(mismatches[0].path, "telemetry.absent[0]");
        assert_eq!(mismatches[0].actual, "event 1, \"platform.initStart\"");
        let warm =
            json!({"events": [{"name": "platform.start"}], "absent": [{"name": "extension"}]});
        assert_eq!(check(warm, &call()).0, []);
    }

    #[test]
    fn captures_bind_only_from_matched_events() {
        let expectation = TelemetryExpectation::load(
            "telemetry",
            &json!({"events": [{"name": "platform.report", "traceId": {"$capture": "trace"}}]}),
        )
        .unwrap();
        let mut captures = Captures::default();
        let mut mismatches = Vec::new();
        expectation.check(
            "telemetry",
            call().as_array().unwrap(),
            &mut captures,
            &mut mismatches,
        );
        assert_eq!(captures.get("trace"), Some(&json!("r-1")));
    }

    #[test]
    fn malformed_telemetry_expectations_name_the_key() {
        for (value, key, needle) in [
            (json!([]), "telemetry", "takes {\"events\""),
            (
                json!({"exhaustive": true}),
                "telemetry",
                "takes {\"events\"",
            ),
            (json!({"events": {}}), "events", "array of matchers"),
            (
                json!({"events": [], "exhaustive": "yes"}),
                "exhaustive",
                "true or false",
            ),
            (
                json!({"events": [], "order": 1}),
                "order",
                "telemetry.order",
            ),
            (
                json!({"events": [], "in_order": 1}),
                "in_order",
                "true or false",
            ),
            (
                json!({"events": [], "absent": {}}),
                "absent",
                "array of matchers",
            ),
            (
                json!({"events": [{"$regx": "a"}]}),
                "$regx",
                "unknown matcher",
            ),
        ] {
            let error = TelemetryExpectation::load("telemetry", &value).unwrap_err();
            assert_eq!(error.key, key, "{value}");
            assert!(error.message.contains(needle), "{error}");
        }
    }
}
