//! Every table of subjects (the model and its runner are `subject.rs`), in the order their
//! self-tests start.

use libtest_mimic::Trial;

use crate::subject::{self, Subject};

/// Every subject, the tables whose runs take longest first: the broken platforms wait out idle
/// times and timeouts, the broken telemetry platforms their events, the broken runtimes spend
/// CPU.
pub fn all() -> impl Iterator<Item = &'static Subject> {
    [
        crate::platforms::BROKEN_PLATFORMS,
        crate::broken_telemetry::BROKEN_TELEMETRY,
        crate::subjects::SUBJECTS,
        crate::subjects::MORE_SUBJECTS,
        crate::subjects::FGREF_SUBJECTS,
        crate::mutants::MUTANTS,
        crate::runtime_mutants::RUNTIME_MUTANTS,
    ]
    .into_iter()
    .flatten()
}

/// Every subject as a self-test.
pub fn trials() -> Vec<Trial> {
    all().map(subject::trial).collect()
}
