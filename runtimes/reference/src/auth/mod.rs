//! Who may call the platform API: the `X-Auth-Token` fgref was started with, or a request signed
//! with Huawei Cloud's AK/SK scheme (`SDK-HMAC-SHA256`) as the official SDKs sign it.

mod gate;
mod signature;
#[cfg(test)]
mod tests;

pub use gate::AccessKey;
pub(crate) use gate::{Admission, Gate, Refusal};
pub(crate) use signature::verify_signature;
