//! Values bound by `$capture` (and the ones the harness pre-binds), shared across a trial's
//! steps, and the transactions that bind a capture only when everything around it matched.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Captures {
    bound: HashMap<String, Value>,
    /// Names a capture would have bound where its siblings did not match: only for messages.
    withdrawn: BTreeSet<String>,
}

impl Captures {
    pub fn bind(&mut self, name: &str, value: Value) {
        self.withdrawn.remove(name);
        self.bound.insert(name.to_owned(), value);
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.bound.get(name)
    }

    /// Runs `f` on a copy of the captures; its bindings are kept only when it answers `true`
    /// (everything matched), otherwise the names it bound are remembered as withdrawn.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Captures) -> (T, bool)) -> T {
        let mut scratch = self.clone();
        let (out, held) = f(&mut scratch);
        if held {
            *self = scratch;
        } else {
            for name in scratch.bound.keys() {
                if !self.bound.contains_key(name) {
                    self.withdrawn.insert(name.clone());
                }
            }
            self.withdrawn.extend(
                scratch
                    .withdrawn
                    .into_iter()
                    .filter(|name| !self.bound.contains_key(name)),
            );
        }
        out
    }

    /// Why `name` has no value, for a matcher that uses it.
    pub fn unbound_reason(&self, name: &str) -> String {
        if self.withdrawn.contains(name) {
            format!(
                "nothing was captured as `{name}`: the value holding its `$capture` did not match"
            )
        } else {
            format!("nothing was captured as `{name}` before this point")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_failed_transaction_binds_nothing_and_says_why() {
        let mut captures = Captures::default();
        captures.transaction(|c| {
            c.bind("x", json!(1));
            ((), false)
        });
        assert_eq!(captures.get("x"), None);
        assert!(captures.unbound_reason("x").contains("did not match"));
        captures.transaction(|c| {
            c.bind("x", json!(2));
            ((), true)
        });
        assert_eq!(captures.get("x"), Some(&json!(2)));
        assert!(captures.unbound_reason("y").contains("before this point"));
    }
}
