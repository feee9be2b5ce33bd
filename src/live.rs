//! What a run's trials have created on the target and not deleted yet, shared by the running
//! target, so that Ctrl-C (or the end of the run) deletes all of it before the target stops. A
//! trial registers each function and dependency version as the target answers it, and forgets
//! it once its own delete went through; closing the registry stops new creations.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::names::RunPrefix;
use crate::wire::{Client, Reply};

/// What a run's trials share on the target: the prefix of every name they create, and the
/// registry of what is live there.
#[derive(Debug, Clone)]
pub struct RunScope {
    pub prefix: RunPrefix,
    pub live: Live,
}

/// The registry of one run; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Live(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Woken whenever a creation in flight lands.
    settled: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct State {
    closed: bool,
    /// Creations sent whose answers have not been registered yet.
    pending: usize,
    functions: BTreeSet<String>,
    /// `(dep_id, version)`.
    dependencies: BTreeSet<(String, u64)>,
}

/// A creation in flight: while it lives, [`Live::delete_all`] waits for its answer.
#[derive(Debug)]
#[must_use]
pub struct Pending(Live);

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.state().pending -= 1;
        self.0.0.settled.notify_waiters();
    }
}

impl Live {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Announces a creation about to be sent; `None` once the registry is closed (the run is
    /// stopping), and then nothing may be created.
    pub fn begin(&self) -> Option<Pending> {
        let mut state = self.state();
        if state.closed {
            return None;
        }
        state.pending += 1;
        Some(Pending(self.clone()))
    }

    pub fn add_function(&self, func_urn: &str) {
        self.state().functions.insert(func_urn.to_owned());
    }

    pub fn add_dependency(&self, dep_id: &str, version: u64) {
        self.state()
            .dependencies
            .insert((dep_id.to_owned(), version));
    }

    /// Forgets the function when `deleted` says it is gone (deleted, or not found).
    pub fn deleted_function(&self, func_urn: &str, deleted: Option<&Reply>) {
        if deleted.is_some_and(gone) {
            self.state().functions.remove(func_urn);
        }
    }

    /// Forgets the dependency version when `deleted` says it is gone.
    pub fn deleted_dependency(&self, dep_id: &str, version: u64, deleted: Option<&Reply>) {
        if deleted.is_some_and(gone) {
            self.state()
                .dependencies
                .remove(&(dep_id.to_owned(), version));
        }
    }

    /// The function URNs still live.
    pub fn functions(&self) -> Vec<String> {
        self.state().functions.iter().cloned().collect()
    }

    /// Closes the registry, waits for the creations in flight to land, and deletes every
    /// function, then every dependency version, until none is left. Unbounded: the caller puts
    /// a timeout around it.
    pub async fn delete_all(&self, client: &Client) {
        self.state().closed = true;
        loop {
            loop {
                let settled = self.0.settled.notified();
                if self.state().pending == 0 {
                    break;
                }
                settled.await;
            }
            let (functions, dependencies) = {
                let mut state = self.state();
                (
                    std::mem::take(&mut state.functions),
                    std::mem::take(&mut state.dependencies),
                )
            };
            if functions.is_empty() && dependencies.is_empty() {
                return;
            }
            for func_urn in &functions {
                let _ = client.delete_function(func_urn).await;
            }
            for (dep_id, version) in &dependencies {
                let _ = client.delete_dependency_version(dep_id, *version).await;
            }
        }
    }
}

/// Whether a delete's answer means the thing is gone: 2xx, or 404 (someone deleted it first).
fn gone(reply: &Reply) -> bool {
    reply.is_success() || reply.status == 404
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_registry_refuses_creations_and_counts_those_in_flight() {
        let live = Live::default();
        let first = live.begin().expect("open");
        live.add_function("urn:a");
        live.add_dependency("d", 1);
        assert_eq!(live.state().pending, 1);
        drop(first);
        assert_eq!(live.state().pending, 0);
        let deleted = Reply {
            status: 204,
            headers: Default::default(),
            body: Vec::new(),
        };
        let refused = Reply {
            status: 500,
            ..deleted.clone()
        };
        live.deleted_function("urn:a", Some(&refused));
        live.deleted_function("urn:a", None);
        assert_eq!(
            live.functions(),
            ["urn:a"],
            "kept until a delete went through"
        );
        live.deleted_function("urn:a", Some(&deleted));
        live.deleted_dependency("d", 1, Some(&deleted));
        assert!(live.functions().is_empty());
        live.state().closed = true;
        assert!(live.begin().is_none());
    }
}
