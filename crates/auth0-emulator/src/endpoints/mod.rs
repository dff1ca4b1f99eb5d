//! Layer 3 of 4, the HTTP endpoints, one module (or folder) per family: the browser login and
//! PAR ([`authorize`]), the token endpoint and its grants ([`token`]), logout, user info,
//! discovery, passwordless, MFA, passkeys, database connections, one-time-code challenges,
//! CIBA, device authorization, revocation, introspection, WebFinger and anonymous sessions.
//! What several families need (HTML pages, browser refusals) is in [`common`].
//!
//! May import: [`crate::tenant`], [`crate::protocol`], its own family and [`common`]; never
//! another family (what two families share moves down a layer, or into [`common`]). The
//! `tests/layers.rs` check enforces it.

pub(crate) mod anonymous;
pub(crate) mod authorize;
pub(crate) mod ciba;
pub(crate) mod common;
pub(crate) mod database;
pub(crate) mod device;
pub(crate) mod discovery;
pub(crate) mod introspection;
pub(crate) mod logout;
pub(crate) mod mfa;
pub(crate) mod otp_challenge;
pub(crate) mod passkey;
pub(crate) mod passwordless;
pub(crate) mod revocation;
pub(crate) mod token;
pub(crate) mod userinfo;
pub(crate) mod webfinger;
