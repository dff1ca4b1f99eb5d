//! What passkeys ([`crate::endpoints::passkey`]) remember while the tenant runs: ceremonies in
//! progress and registered credentials (their checks live in [`crate::protocol::webauthn`]).

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use serde_json::{Map, Value};

/// Which WebAuthn ceremony a credential answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ceremony {
    /// Registration (`navigator.credentials.create()`), a passkey sign-up.
    Create,
    /// Authentication (`navigator.credentials.get()`), a passkey login.
    Get,
}

/// A credential public key.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum CredentialKey {
    /// ES256: an uncompressed P-256 point (`0x04 || x || y`).
    Es256(Vec<u8>),
    /// RS256: modulus and exponent, big-endian.
    Rs256 {
        /// The modulus.
        n: Vec<u8>,
        /// The public exponent.
        e: Vec<u8>,
    },
}

impl fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Es256(_) => "Es256(<public key>)",
            Self::Rs256 { .. } => "Rs256(<public key>)",
        })
    }
}

/// A passkey ceremony in progress.
#[derive(Clone)]
pub(crate) struct AuthSession {
    /// The client that opened it.
    pub client_id: String,
    /// Sign-up (`Create`) or login (`Get`).
    pub ceremony: Ceremony,
    /// The challenge, base64url.
    pub challenge: String,
    /// The sign-up profile (`user_profile`).
    pub profile: Map<String, Value>,
    /// The sign-up's WebAuthn user handle (`user.id`, base64url); empty for logins.
    pub user_handle: String,
    /// The realm (connection) asked for.
    pub realm: Option<String>,
    /// The organization (id) asked for.
    pub organization: Option<String>,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession")
            .field("client_id", &self.client_id)
            .field("ceremony", &self.ceremony)
            .field("realm", &self.realm)
            .field("organization", &self.organization)
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

/// A registered passkey.
#[derive(Debug, Clone)]
pub(crate) struct StoredPasskey {
    pub(crate) user_id: String,
    /// The WebAuthn user handle, base64url.
    pub(crate) user_handle: String,
    pub(crate) key: CredentialKey,
    pub(crate) sign_count: u32,
}

/// Passkey state: sessions by `auth_session`, credentials by id (base64url).
#[derive(Default)]
pub(crate) struct PasskeyState {
    pub(crate) sessions: HashMap<String, AuthSession>,
    pub(crate) credentials: HashMap<String, StoredPasskey>,
}

impl fmt::Debug for PasskeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyState")
            .field("sessions", &self.sessions.len())
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

impl PasskeyState {
    pub(crate) fn has_passkey(&self, user_id: &str) -> bool {
        self.credentials.values().any(|c| c.user_id == user_id)
    }
}
