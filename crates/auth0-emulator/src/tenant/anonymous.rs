//! What anonymous sessions ([`crate::endpoints::anonymous`]) remember while the tenant runs,
//! and how tests see them.

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use serde_json::Value;

/// What tests can see of an anonymous session.
#[derive(Clone, Debug, PartialEq)]
pub struct AnonymousSessionInfo {
    /// The first 6 characters of the session token (never the whole token).
    pub session_token_prefix: String,
    /// The metadata given at creation.
    pub metadata: Option<Value>,
    /// When the session expires.
    pub expires_at: SystemTime,
    /// How many times an access token was renewed with the session token.
    pub renewals: u32,
}

/// One anonymous session.
pub(crate) struct AnonymousSession {
    pub(crate) client_id: String,
    pub(crate) sub: String,
    pub(crate) metadata: Option<Value>,
    /// Unix seconds.
    pub(crate) expires_at: u64,
    pub(crate) renewals: u32,
    pub(crate) cookie: String,
    pub(crate) audience: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) created: u64,
}

/// Sessions by session token, and transfer tokens minted (token → subject).
#[derive(Default)]
pub(crate) struct AnonymousState {
    pub(crate) sessions: HashMap<String, AnonymousSession>,
    pub(crate) transfer_tokens: HashMap<String, String>,
}

impl fmt::Debug for AnonymousState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnonymousState")
            .field("sessions", &self.sessions.len())
            .field("transfer_tokens", &self.transfer_tokens.len())
            .finish()
    }
}
