//! The state of session transfer tokens: the minted, not yet redeemed tokens, the lifetime of
//! new ones and the actor of each browser session a transfer opened. The protocol steps are in
//! [`crate::protocol::session_transfer`]. Imports nothing from the crate.

use std::collections::HashMap;

/// The issued token type of a session transfer token.
pub(crate) const SESSION_TRANSFER_TOKEN_TYPE: &str =
    "urn:auth0:params:oauth:token-type:session_transfer_token";
/// How long a session transfer token lives by default (seconds).
pub(crate) const DEFAULT_LIFETIME: u64 = 60;
/// The most unredeemed tokens kept; minting more is refused until some expire or are used.
pub(crate) const MAX_PENDING: usize = 10_000;

/// A minted, not yet redeemed token.
#[derive(Debug, Clone)]
pub(crate) struct Transfer {
    pub(crate) user_id: String,
    pub(crate) actor_sub: String,
    pub(crate) organization: Option<String>,
    pub(crate) expires_at: u64,
}

/// What a redeemed token logs in: the user, the session's organization and the actor.
#[derive(Debug)]
pub(crate) struct Redeemed {
    /// The user to log in.
    pub user_id: String,
    /// The organization (id) of the session.
    pub organization: Option<String>,
    /// Who acts as the user (the `act.sub` of the session's tokens).
    pub actor_sub: String,
}

/// The pending session transfer tokens and the lifetime of new ones.
#[derive(Debug, Default)]
pub(crate) struct TransferState {
    pub(crate) pending: HashMap<String, Transfer>,
    pub(crate) lifetime: Option<u64>,
    /// The actor of each browser session opened by a transfer, by `sid`.
    pub(crate) actors: HashMap<String, String>,
}
