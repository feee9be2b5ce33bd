//! Reports: sinks over trial records. Running produces records; a report renders them, and
//! nothing else prints. libtest's lines are the first sink (`libtest`: each record's outcome as
//! its trial ends); the rest render the whole run once it is over (`ran_on`, `json`, `junit`,
//! `html`), with what `summary` gives them all (verdict names, `RunInfo`). `progress` tells the
//! install events of a run's set-up.

pub mod html;
pub mod json;
pub mod junit;
pub mod libtest;
pub mod progress;
pub mod ran_on;
pub mod rerun;
#[cfg(test)]
pub(crate) mod sample;
mod summary;

pub use summary::{RunInfo, VERDICT_NAMES, verdict_name};

use std::sync::Mutex;

use crate::record::TrialRecord;

/// The records of a run, gathered as trials finish on libtest's threads.
#[derive(Debug, Default)]
pub struct Records(Mutex<Vec<TrialRecord>>);

impl Records {
    pub fn push(&self, record: TrialRecord) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }

    /// Every record so far, in trial-id order (the order trials finish in is not stable).
    pub fn take(&self) -> Vec<TrialRecord> {
        let mut records = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        records.sort_by(|a, b| a.id.cmp(&b.id));
        records
    }
}
