//! Why an expectation does not load: the offending key and what is wrong with it. The case
//! loader turns it into an error naming the file and the line where the key stands.

use crate::matcher::MatcherError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExpectError {
    /// The key whose line the message points at (its first `"key"` in the file).
    pub key: String,
    pub message: String,
}

impl ExpectError {
    pub fn new(key: &str, message: String) -> ExpectError {
        ExpectError {
            key: key.to_owned(),
            message,
        }
    }
}

impl From<MatcherError> for ExpectError {
    fn from(error: MatcherError) -> ExpectError {
        ExpectError {
            message: error.to_string(),
            key: error.key,
        }
    }
}
