//! The command that reruns one trial with the same target, corpus and node cache, quoted for a
//! POSIX shell, so a person can paste it.

use std::path::{Path, PathBuf};

use crate::runtime_id::RuntimeId;

/// The flags of this run that a rerun must repeat.
#[derive(Debug, Clone, Default)]
pub struct RerunFlags {
    pub offline: bool,
    pub node_cache: Option<PathBuf>,
    pub nodejs_bootstrap: Option<PathBuf>,
    pub cases: Option<PathBuf>,
    pub target: Option<PathBuf>,
}

/// Builds rerun commands; everything but the trial is worked out once.
#[derive(Debug, Clone)]
pub struct Rerun {
    prefix: String,
}

impl Rerun {
    pub fn new(flags: &RerunFlags) -> Rerun {
        let mut prefix = "cargo run --release --".to_owned();
        if flags.offline {
            prefix.push_str(" --offline");
        }
        for (flag, path) in [
            ("--node-cache", &flags.node_cache),
            ("--nodejs-bootstrap", &flags.nodejs_bootstrap),
            ("--cases", &flags.cases),
            ("--target", &flags.target),
        ] {
            if let Some(path) = path {
                prefix.push_str(&format!(" {flag} {}", quote_path(path)));
            }
        }
        Rerun { prefix }
    }

    /// The command that runs trial `name` (on `runtime`) again.
    pub fn command(&self, runtime: RuntimeId, name: &str) -> String {
        format!(
            "{} --runtime {runtime} --exact {}",
            self.prefix,
            quote(name)
        )
    }
}

fn quote_path(path: &Path) -> String {
    quote(&path.to_string_lossy())
}

/// `text` as one shell word: as it is when that is safe, else in single quotes.
fn quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_simple_words_and_protects_the_rest() {
        assert_eq!(
            quote("Node.js20.15::handler::x"),
            "Node.js20.15::handler::x"
        );
        assert_eq!(quote("dir with space"), "'dir with space'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn repeats_the_flags_that_change_what_runs() {
        let flags = RerunFlags {
            offline: true,
            nodejs_bootstrap: Some("broken.js".into()),
            cases: Some("my cases".into()),
            ..RerunFlags::default()
        };
        let runtime = RuntimeId::parse("Node.js20.15").unwrap();
        let command = Rerun::new(&flags).command(runtime, "Node.js20.15::a::b");
        assert!(
            command.ends_with(
                "cargo run --release -- --offline --nodejs-bootstrap broken.js --cases 'my cases' --runtime Node.js20.15 --exact Node.js20.15::a::b"
            ),
            "{command}"
        );
    }
}
