//! Layer 2 of 4, protocol pieces that know no routing: token minting ([`issue`]), client
//! authentication ([`client_auth`]), DPoP proofs ([`dpop`]), WebAuthn and its CBOR
//! ([`webauthn`], [`cbor`]), TOTP ([`totp`]), the MFA and passkey steps the grants share
//! ([`mfa`], [`passkey`]), signed request objects ([`request_object`]), request parameters
//! ([`params`]) and PKCE syntax ([`pkce`]).
//!
//! May import: [`crate::tenant`] and other `protocol` modules. The `tests/layers.rs` check
//! enforces it.

pub(crate) mod cbor;
pub(crate) mod client_auth;
pub(crate) mod dpop;
pub(crate) mod issue;
pub(crate) mod mfa;
pub(crate) mod params;
pub(crate) mod passkey;
pub(crate) mod pkce;
pub(crate) mod request_object;
pub(crate) mod session_transfer;
pub(crate) mod totp;
pub mod webauthn;
