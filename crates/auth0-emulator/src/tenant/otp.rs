//! What database-connection one-time codes ([`crate::endpoints::otp_challenge`]) remember
//! while the tenant runs: pending challenges and the codes "sent".

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

/// A one-time code the tenant "sent" for `POST /otp/challenge`.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpChallengeRecord {
    /// The email address or phone number, as given.
    pub recipient: String,
    /// The database connection.
    pub connection: String,
    /// `text` or `voice` when asked for (phone numbers only).
    pub delivery_method: Option<String>,
    /// The six-digit code.
    pub code: String,
    /// The `auth_session` the challenge answered.
    pub auth_session: String,
}

impl fmt::Debug for OtpChallengeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpChallengeRecord")
            .field("recipient", &self.recipient)
            .field("connection", &self.connection)
            .field("delivery_method", &self.delivery_method)
            .field("code", &"[redacted]")
            .field("auth_session", &"[redacted]")
            .finish()
    }
}

/// A challenge waiting for its code.
pub(crate) struct Pending {
    pub(crate) client_id: String,
    pub(crate) connection: String,
    pub(crate) recipient: String,
    pub(crate) is_phone: bool,
    pub(crate) allow_signup: bool,
    pub(crate) code: String,
    pub(crate) expires_at: Instant,
    pub(crate) wrong_attempts: u32,
}

/// Pending challenges by `auth_session`, and every code sent.
#[derive(Default)]
pub(crate) struct OtpState {
    pub(crate) pending: HashMap<String, Pending>,
    pub(crate) records: Vec<OtpChallengeRecord>,
}

impl fmt::Debug for OtpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpState")
            .field("pending", &self.pending.len())
            .field("sent", &self.records.len())
            .finish()
    }
}
