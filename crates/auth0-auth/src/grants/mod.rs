//! The grants, one small file per family. Each turns its request value into a
//! [`TokenRequest`](crate::token::TokenRequest) and hands it to the one token path.

pub mod ciba;
pub mod client_credentials;
pub mod code;
pub mod device;
pub mod exchange;
pub mod password;
pub mod passwordless;
pub(crate) mod polling;
pub mod refresh;

use crate::error::{Error, ErrorCode, Result};

/// Refuses an empty (or all-whitespace) required input before any request.
pub(crate) fn required(value: &str, what: &str, code: ErrorCode) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::invalid_input(
            code,
            format!("{what} must not be empty"),
        ))
    } else {
        Ok(())
    }
}
