//! The wire: the protocol a target speaks (PROTOCOL.md), from the harness's side. One type per
//! message, a client whose every call has a deadline, and the decoding of FunctionGraph's
//! `X-Cff-*` headers and v1 body from an answer as it came off the wire; over HTTP or HTTPS, with
//! a token or an AK/SK signature.

mod client;
mod error;
mod messages;
mod reply;
mod session;
mod signing;

pub use client::{Client, RequestVersion, unversioned_urn};
pub use error::ProtocolError;
pub use messages::{
    ApiErrorBody, AsyncInvokeFunctionResponse, CreateDependencyVersionRequest,
    CreateFunctionRequest, DependencyVersion, FuncCode, FunctionModel, InvokeResponseV1,
    ListAsyncInvocationsResponse, ListDependenciesResponse, ListDependencyVersionResponse,
    ListFunctionsResponse, ListedDependency,
};
pub use reply::Reply;
pub use session::{Auth, Settings};
pub use signing::Signer;
