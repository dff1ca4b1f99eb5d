//! Layer 2, protocol pieces that know no HTTP routing. Imports only [`crate::tenant`].

pub(crate) mod cbor;
pub(crate) mod client_auth;
pub(crate) mod dpop;
pub(crate) mod issue;
pub(crate) mod params;
pub(crate) mod poll;
pub(crate) mod request_object;
pub(crate) mod totp;
pub mod webauthn;
