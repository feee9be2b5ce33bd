//! Objects and arrays: plain objects (extra keys allowed), `$exact` objects, arrays element by
//! element and `$contains` (each matcher its own element, in any order). Each is one capture
//! transaction: what it captures binds only when all of it matched.

use serde_json::{Map, Value};

use super::{Captures, Matcher, Mismatch, compact, join};

/// A plain object's keys (`exact`: and no others) against `actual`; the reconciled object keeps
/// the actual key order, and leaves out the keys `$exact` forbids so the diff shows them.
pub fn check_object(
    fields: &[(String, Matcher)],
    exact: bool,
    actual: &Map<String, Value>,
    path: &str,
    captures: &mut Captures,
    mismatches: &mut Vec<Mismatch>,
) -> Value {
    let before = mismatches.len();
    captures.transaction(|captures| {
        // Checked in the expectation's key order, so a capture binds before a later key uses it.
        let checked: Vec<(&String, Option<Value>)> = fields
            .iter()
            .map(|(key, m)| {
                let at = join(path, key);
                (key, m.check(actual.get(key), &at, captures, mismatches))
            })
            .collect();
        let mut reconciled = Map::new();
        for (key, value) in actual {
            match checked.iter().find(|(k, _)| *k == key) {
                Some((_, Some(v))) => {
                    reconciled.insert(key.clone(), v.clone());
                }
                Some((_, None)) => {}
                None if exact => mismatches.push(Mismatch {
                    path: join(path, key),
                    expected: "no such key (`$exact` lists every key)".into(),
                    actual: compact(value),
                }),
                None => {
                    reconciled.insert(key.clone(), value.clone());
                }
            }
        }
        for (key, v) in checked
            .into_iter()
            .filter(|(k, _)| !actual.contains_key(*k))
        {
            if let Some(v) = v {
                reconciled.insert(key.clone(), v);
            }
        }
        (Value::Object(reconciled), mismatches.len() == before)
    })
}

/// An array element by element, with the same length.
pub fn check_array(
    items: &[Matcher],
    actual: &[Value],
    path: &str,
    captures: &mut Captures,
    mismatches: &mut Vec<Mismatch>,
) -> Value {
    let before = mismatches.len();
    captures.transaction(|captures| {
        let mut reconciled = Vec::new();
        for (i, m) in items.iter().enumerate() {
            let at = format!("{path}[{i}]");
            if let Some(v) = m.check(actual.get(i), &at, captures, mismatches) {
                reconciled.push(v);
            }
        }
        if actual.len() > items.len() {
            mismatches.push(Mismatch {
                path: path.to_owned(),
                expected: format!("{} elements", items.len()),
                actual: format!("{} elements", actual.len()),
            });
        }
        (Value::Array(reconciled), mismatches.len() == before)
    })
}

/// `$contains`: each matcher matched by a distinct element of `actual`, in any order (a maximum
/// bipartite matching, so `[{"$type": "number"}, 1]` holds on `[1, 2]`). The reconciled array
/// is the actual one followed by the matchers nothing was left for, so the diff shows them.
pub fn check_contains(
    wanted: &[Matcher],
    actual: &[Value],
    path: &str,
    captures: &mut Captures,
    mismatches: &mut Vec<Mismatch>,
) -> Value {
    let Assignment { owner, fits } = Assignment::of(wanted, actual, captures);
    let before = mismatches.len();
    captures.transaction(|captures| {
        let mut reconciled = actual.to_vec();
        for (i, m) in wanted.iter().enumerate() {
            let at = format!("{path}.$contains[{i}]");
            match owner.iter().position(|o| *o == Some(i)) {
                // Checked again for real, in the matchers' order, so their captures bind.
                Some(j) => {
                    m.check(Some(&actual[j]), &at, captures, mismatches);
                }
                None => {
                    let actual = if fits[i].is_empty() {
                        format!("none of the {} elements matches it", actual.len())
                    } else {
                        format!(
                            "the elements that match it ({}) are taken by other matchers",
                            fits[i]
                                .iter()
                                .map(|j| format!("[{j}]"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    mismatches.push(Mismatch {
                        path: at,
                        expected: format!("an element matching {}", compact(&m.to_value())),
                        actual,
                    });
                    reconciled.push(m.to_value());
                }
            }
        }
        (Value::Array(reconciled), mismatches.len() == before)
    })
}

/// Matchers given distinct elements, as many as can be (a maximum matching: a greedy pass would
/// give an element to a loose matcher that a strict one needed).
pub struct Assignment {
    /// The matcher each element went to.
    pub owner: Vec<Option<usize>>,
    /// The elements each matcher matches on its own, with the captures bound before.
    pub fits: Vec<Vec<usize>>,
}

impl Assignment {
    pub fn of(wanted: &[Matcher], actual: &[Value], captures: &Captures) -> Assignment {
        let fits: Vec<Vec<usize>> = wanted
            .iter()
            .map(|m| {
                (0..actual.len())
                    .filter(|&j| m.is_satisfied(Some(&actual[j]), &mut captures.clone()))
                    .collect()
            })
            .collect();
        let mut owner: Vec<Option<usize>> = vec![None; actual.len()];
        for i in 0..wanted.len() {
            let mut seen = vec![false; actual.len()];
            augment(i, &fits, &mut owner, &mut seen);
        }
        Assignment { owner, fits }
    }

    /// The element matcher `i` got.
    pub fn element_of(&self, i: usize) -> Option<usize> {
        self.owner.iter().position(|owner| *owner == Some(i))
    }
}

/// Kuhn's augmenting path: gives matcher `i` an element, moving others to free ones if needed.
fn augment(i: usize, fits: &[Vec<usize>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
    for &j in &fits[i] {
        if seen[j] {
            continue;
        }
        seen[j] = true;
        if owner[j].is_none_or(|other| augment(other, fits, owner, seen)) {
            owner[j] = Some(i);
            return true;
        }
    }
    false
}
