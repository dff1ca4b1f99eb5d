//! What passwordless logins ([`crate::endpoints::passwordless`]) remember while the tenant
//! runs: pending codes and magic links, and the messages "sent".

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use serde_json::{Map, Value};

/// A passwordless message the tenant "sent" (recorded instead of emailed or texted).
#[derive(Clone, PartialEq)]
pub struct PasswordlessMessage {
    /// `email` or `sms`.
    pub connection: String,
    /// The email address or phone number it went to, as given.
    pub recipient: String,
    /// The application that asked for it.
    pub client_id: String,
    /// The six-digit one-time code (also in link messages, where it is usable as a code too).
    pub code: String,
    /// The magic link, for `send=link`: `{issuer}passwordless/verify_redirect?token=…`.
    pub link: Option<String>,
    /// The `x-request-language` header, if sent.
    pub language: Option<String>,
    /// The `authParams` object, if sent.
    pub auth_params: Option<Value>,
}

impl fmt::Debug for PasswordlessMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordlessMessage")
            .field("connection", &self.connection)
            .field("recipient", &self.recipient)
            .field("client_id", &self.client_id)
            .field("code", &"[redacted]")
            .field("link", &self.link.as_ref().map(|_| "[redacted]"))
            .field("language", &self.language)
            .field("auth_params", &self.auth_params)
            .finish()
    }
}

/// A one-time code waiting to be redeemed.
pub(crate) struct PendingCode {
    pub(crate) code: String,
    pub(crate) client_id: String,
    pub(crate) expires_at: Instant,
    pub(crate) wrong_attempts: u32,
}

/// A magic link waiting to be followed.
pub(crate) struct PendingLink {
    pub(crate) client_id: String,
    pub(crate) recipient: String,
    pub(crate) redirect_uri: String,
    pub(crate) auth_params: Map<String, Value>,
    pub(crate) expires_at: Instant,
}

/// Passwordless state: pending codes by `connection:recipient`, pending links by token, and
/// every message sent.
#[derive(Default)]
pub(crate) struct PasswordlessState {
    pub(crate) codes: HashMap<String, PendingCode>,
    pub(crate) links: HashMap<String, PendingLink>,
    pub(crate) messages: Vec<PasswordlessMessage>,
}

impl fmt::Debug for PasswordlessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordlessState")
            .field("pending_codes", &self.codes.len())
            .field("pending_links", &self.links.len())
            .field("messages", &self.messages.len())
            .finish()
    }
}

/// The key of a pending code: emails compare case-insensitively.
pub(crate) fn recipient_key(connection: &str, recipient: &str) -> String {
    if connection == "email" {
        format!("email:{}", recipient.to_lowercase())
    } else {
        format!("{connection}:{recipient}")
    }
}
