//! Node.js releases: which one each runtime id runs on, where it lives, how it is installed, and
//! the language runtime fgref runs on it.

pub(crate) mod bootstrap;
mod cache;
mod catalog;
pub mod install;

pub use cache::{NodeBinary, NodeError, default_cache, installed, resolve};
pub(crate) use catalog::runtime_ids;
pub use catalog::{RELEASES, Release, release_of};
