//! Certification, as Kubernetes conformance does it but provable offline: `certify` runs every
//! `documented` case on every runtime a target declares and writes a bundle (the reports, the run's
//! text output, PRODUCT.toml for the vendor, MANIFEST.toml hashing the rest); `verify` checks a
//! bundle against this suite's own corpus. `manifest.rs` is the bundle's layout and hashes,
//! `bundle.rs` writes it, `verify.rs` checks it.

pub mod bundle;
pub mod manifest;
pub mod verify;

pub use bundle::{CertifyOptions, certify};
pub use verify::{VerifyOptions, verify};

/// `verify`'s exit code when every check passed.
pub const EXIT_OK: u8 = 0;
/// `verify`'s exit code when a check failed.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// `verify`'s exit code when the bundle cannot be read; `certify`'s when it could not write one.
pub const EXIT_UNREADABLE: u8 = 2;
