//! Layer 1 of 4, the tenant model: what the tenant is configured with and what it remembers
//! while it runs. Configuration ([`config`], [`exchange_config`], [`rbac`]), the shared state
//! and its locks, the clock and random ids ([`state`], [`clock`], which tests can move forward), per-application grant types
//! ([`grant_types`]), public keys given as JWKs ([`jwk_pem`]), signing and client keys ([`keys`]),
//! users created at run time ([`accounts`], [`flows`]), browser sessions ([`session`]), the
//! request log ([`log`]), queued faults ([`faults`]), and one file per feature for the state
//! that feature keeps (CIBA, device flow, DPoP, MFA, passkeys, passwordless, one-time codes,
//! anonymous sessions, the shared poll state).
//!
//! May import: nothing else from this crate (only other `tenant` modules). The
//! `tests/layers.rs` check enforces it.

pub(crate) mod accounts;
pub(crate) mod anonymous;
pub(crate) mod ciba;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod device;
pub(crate) mod device_dpop;
pub(crate) mod dpop;
pub(crate) mod error;
pub(crate) mod exchange_config;
pub(crate) mod faults;
pub(crate) mod flows;
pub(crate) mod grant_types;
pub(crate) mod jwk_pem;
pub mod keys;
pub(crate) mod log;
pub(crate) mod mfa;
pub(crate) mod otp;
pub(crate) mod passkey;
pub(crate) mod passwordless;
pub(crate) mod poll;
pub(crate) mod rbac;
pub(crate) mod session;
pub(crate) mod session_transfer;
pub(crate) mod state;
