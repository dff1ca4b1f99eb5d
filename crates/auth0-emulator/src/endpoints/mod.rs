//! Layer 3, the HTTP endpoints, one module per family. Imports only [`crate::tenant`] and
//! [`crate::protocol`].

pub(crate) mod anonymous;
pub(crate) mod authorize;
pub(crate) mod ciba;
pub(crate) mod database;
pub(crate) mod device;
pub(crate) mod discovery;
pub(crate) mod common;
pub(crate) mod introspection;
pub(crate) mod logout;
pub(crate) mod mfa;
pub(crate) mod otp_challenge;
pub(crate) mod par;
pub(crate) mod passkey;
pub(crate) mod passwordless;
pub(crate) mod revocation;
pub(crate) mod token;
pub(crate) mod userinfo;
pub(crate) mod webfinger;
