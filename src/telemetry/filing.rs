//! The filing rule: which call an event belongs to. An event whose `traceId` is the request id of
//! one of the trial's calls belongs to that call; any other event (a `function` log line has no
//! `traceId`) belongs to every call of the step that was in flight when it arrived.

use serde_json::Value;

/// One event as it reached the collector.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub event: Value,
    /// The step in flight when it arrived (0: before the first).
    pub step: usize,
}

/// The events of each call of `step`, in arrival order. `calls` are the request ids of the
/// step's calls (`None` for an answer without one); `trial_ids` every request id the trial's
/// calls were answered with so far, this step's included.
pub fn file(
    arrivals: &[Arrival],
    trial_ids: &[String],
    step: usize,
    calls: &[Option<String>],
) -> Vec<Vec<Value>> {
    calls
        .iter()
        .map(|call| {
            arrivals
                .iter()
                .filter(|arrival| match trace_id(&arrival.event) {
                    Some(id) if trial_ids.iter().any(|known| known == id) => {
                        call.as_deref() == Some(id)
                    }
                    _ => arrival.step == step,
                })
                .map(|arrival| arrival.event.clone())
                .collect()
        })
        .collect()
}

fn trace_id(event: &Value) -> Option<&str> {
    event.get("traceId").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn arrival(step: usize, event: Value) -> Arrival {
        Arrival { event, step }
    }

    fn names(events: &[Value]) -> Vec<&str> {
        events.iter().map(|e| e["name"].as_str().unwrap()).collect()
    }

    #[test]
    fn a_trace_id_of_the_trial_files_an_event_under_its_call_whatever_the_step() {
        let arrivals = [
            arrival(1, json!({"name": "initStart", "traceId": "a"})),
            arrival(1, json!({"name": "start", "traceId": "a"})),
            // Late: step 1's report while step 2 is in flight.
            arrival(2, json!({"name": "report", "traceId": "a"})),
            arrival(2, json!({"name": "start", "traceId": "b"})),
        ];
        let ids = ["a".to_owned(), "b".to_owned()];
        let step1 = file(&arrivals, &ids, 1, &[Some("a".into())]);
        assert_eq!(names(&step1[0]), ["initStart", "start", "report"]);
        let step2 = file(&arrivals, &ids, 2, &[Some("b".into())]);
        assert_eq!(names(&step2[0]), ["start"]);
    }

    #[test]
    fn other_events_go_to_every_call_of_the_step_in_flight() {
        let arrivals = [
            arrival(0, json!({"name": "before"})),
            arrival(1, json!({"name": "start", "traceId": "a"})),
            arrival(1, json!({"name": "function", "logs": "[Function]x"})),
            arrival(1, json!({"name": "start", "traceId": "b"})),
            // A request id no answer carried (or no string at all) is no call's own.
            arrival(1, json!({"name": "stray", "traceId": "zzz"})),
            arrival(1, json!({"name": "odd", "traceId": 7})),
            arrival(2, json!({"name": "next-step"})),
        ];
        let ids = ["a".to_owned(), "b".to_owned()];
        let calls = [Some("a".into()), Some("b".into()), None];
        let filed = file(&arrivals, &ids, 1, &calls);
        assert_eq!(names(&filed[0]), ["start", "function", "stray", "odd"]);
        assert_eq!(names(&filed[1]), ["function", "start", "stray", "odd"]);
        assert_eq!(names(&filed[2]), ["function", "stray", "odd"]);
    }
}
