//! The table of every live instance process, so deletion and shutdown can kill and reap them all,
//! even the ones a call currently holds.

use std::{
    collections::{HashMap, HashSet},
    sync::{Mutex, MutexGuard, PoisonError},
};

use tokio::{sync::watch, time::timeout};

use super::process::{REAP_TIMEOUT, kill_group};

/// Every live instance process of the platform.
#[derive(Default)]
pub(crate) struct InstanceTable {
    inner: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    closing: bool,
    closed_owners: HashSet<u64>,
    next_id: u64,
    live: HashMap<u64, Live>,
}

struct Live {
    pid: u32,
    owner: u64,
    exited: watch::Receiver<bool>,
}

impl InstanceTable {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a process of `owner`; `None` when the owner or the platform is closing.
    pub(super) fn register(
        &self,
        pid: u32,
        owner: u64,
        exited: watch::Receiver<bool>,
    ) -> Option<u64> {
        let mut table = self.lock();
        if table.closing || table.closed_owners.contains(&owner) {
            return None;
        }
        table.next_id += 1;
        let id = table.next_id;
        table.live.insert(id, Live { pid, owner, exited });
        Some(id)
    }

    pub(super) fn forget(&self, id: u64) {
        self.lock().live.remove(&id);
    }

    /// Kills and reaps every instance of `owner`, and refuses it new ones.
    pub(crate) async fn stop_owner(&self, owner: u64) {
        let doomed: Vec<_> = {
            let mut table = self.lock();
            table.closed_owners.insert(owner);
            table
                .live
                .values()
                .filter(|l| l.owner == owner)
                .map(|l| (l.pid, l.exited.clone()))
                .collect()
        };
        stop_all(doomed).await;
    }

    /// Kills and reaps every instance, and refuses new ones.
    pub(crate) async fn stop_everything(&self) {
        let doomed: Vec<_> = {
            let mut table = self.lock();
            table.closing = true;
            table
                .live
                .values()
                .map(|l| (l.pid, l.exited.clone()))
                .collect()
        };
        stop_all(doomed).await;
    }

    /// Kills every instance without waiting: for `Drop`, where nothing can be awaited.
    pub(crate) fn kill_everything_now(&self) {
        let mut table = self.lock();
        table.closing = true;
        for live in table.live.values() {
            if !*live.exited.borrow() {
                kill_group(live.pid);
            }
        }
    }
}

async fn stop_all(doomed: Vec<(u32, watch::Receiver<bool>)>) {
    let mut waits = tokio::task::JoinSet::new();
    for (pid, mut exited) in doomed {
        if !*exited.borrow() {
            kill_group(pid);
        }
        waits.spawn(async move {
            let _ = timeout(REAP_TIMEOUT, exited.wait_for(|e| *e)).await;
        });
    }
    waits.join_all().await;
}
