//! Why a target cannot be used: its descriptor does not read or make sense, or it does not start.

use std::path::PathBuf;

use crate::wire::ProtocolError;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read the target descriptor {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the target descriptor {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error(
        "--nodejs-bootstrap (FGREF_NODEJS_BOOTSTRAP) runs a Node.js runtime inside the embedded fgref, and the target `{name}` is not it: drop the flag, or run on the default target"
    )]
    BootstrapElsewhere { name: String },
    #[error("cannot start the target `{name}`: {message}")]
    Start { name: String, message: String },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}
