//! What a handler fails with. A refusal is a Tencent error code with its message, chosen by
//! the domain or the handler; anything else (the store failing underneath, an answer that
//! cannot be built) is internal. Handlers use `?` on both; `dispatch::run` is the one place
//! an internal failure becomes the service's internal-error code, its cause logged inside the
//! request's span and so with its request id (DESIGN.md invariant 5), never sent to the client.

use crate::envelope::Service;
use timber_core::{Error, ErrorCode};
use timber_store::StoreError;

#[derive(Debug)]
pub enum Failure {
    /// The API's refusal, answered as it is.
    Refused(Error),
    /// Something that should not happen; the cause is for the log only.
    Internal(String),
}

impl Failure {
    pub fn internal(cause: impl std::fmt::Display) -> Failure {
        Failure::Internal(cause.to_string())
    }

    /// The error the client sees for this failure of a `service` command.
    pub fn into_error(self, service: Service) -> Error {
        match self {
            Failure::Refused(e) => e,
            Failure::Internal(cause) => {
                tracing::error!(%cause, "internal failure");
                service.internal().into()
            }
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Refused(e)
    }
}

impl From<ErrorCode> for Failure {
    fn from(code: ErrorCode) -> Self {
        Failure::Refused(code.into())
    }
}

/// A domain refusal the store's decision returned stays a refusal; the database failing is
/// internal.
impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(e) => Failure::Refused(e),
            StoreError::Db(e) => Failure::internal(e),
        }
    }
}
