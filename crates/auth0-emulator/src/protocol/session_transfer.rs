//! Session transfer tokens (Auth0 Custom Token Exchange, impersonation via session transfer).
//!
//! A token exchange whose `audience` is `urn:{domain}:session_transfer` (the tenant's own host
//! and port) gets no user tokens but a session transfer token: opaque, single use, short-lived
//! (60 seconds unless a test says otherwise) and bound to the subject user, the organization it
//! was minted for and the actor. An actor token is required (in Auth0 the Action must call
//! `setActor`). `GET /authorize?...&session_transfer_token=…` then logs that user in without
//! the login form; an unknown, expired or already used token is refused back to the
//! application's `redirect_uri`.
//!
//! The tokens of that login carry `act: {sub: <actor>}` (from the code exchange; refreshes do
//! not repeat it).
//!
//! Hooks: `endpoints/token/token_exchange.rs` calls [`is_audience`] and [`issue`], `endpoints/authorize` calls
//! [`redeem`] and [`remember_actor`], `endpoints/token/authorization_code.rs` calls [`add_actor`]; the pending tokens live in the store ([`TransferState`]). Imports the shared
//! state, errors and token-response type only.

use serde_json::Value;

use crate::protocol::issue::TokenResponse;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::add_claims;
use crate::tenant::state::{Shared, now_secs, random_token};

use crate::tenant::session_transfer::{
    DEFAULT_LIFETIME, MAX_PENDING, Redeemed, SESSION_TRANSFER_TOKEN_TYPE, Transfer,
};

/// Whether `audience` asks for a session transfer token (any domain; [`issue`] checks it is
/// this tenant's).
pub(crate) fn is_audience(audience: &str) -> bool {
    audience.starts_with("urn:") && audience.ends_with(":session_transfer")
}

/// `urn:{host[:port]}:session_transfer` for this tenant.
fn own_audience(shared: &Shared) -> String {
    let issuer = &shared.tenant.issuer;
    let authority = issuer
        .split_once("://")
        .map_or(issuer.as_str(), |(_, rest)| rest)
        .trim_end_matches('/');
    format!("urn:{authority}:session_transfer")
}

/// Mints a session transfer token for `user_id` acting as `actor_sub` (the verified actor
/// token's subject).
pub(crate) fn issue(
    shared: &Shared,
    audience: &str,
    user_id: &str,
    actor_sub: Option<&str>,
    organization: Option<String>,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let own = own_audience(shared);
    if audience != own {
        return Err(OAuthError::invalid_request(format!(
            "{audience} is not this tenant's session transfer audience ({own})."
        )));
    }
    let Some(actor_sub) = actor_sub else {
        return Err(OAuthError::invalid_request(
            "setactor_required: a session transfer token needs an actor (send actor_token and \
             actor_token_type).",
        ));
    };
    let now = now_secs();
    let token = random_token(32);
    let mut store = shared.store();
    let state = &mut store.session_transfers;
    state.pending.retain(|_, t| t.expires_at > now);
    if state.pending.len() >= MAX_PENDING {
        return Err(OAuthError::invalid_request(
            "Too many unredeemed session transfer tokens; try again later.",
        ));
    }
    let lifetime = state.lifetime.unwrap_or(DEFAULT_LIFETIME);
    state.pending.insert(
        token.clone(),
        Transfer {
            user_id: user_id.to_owned(),
            actor_sub: actor_sub.to_owned(),
            organization,
            expires_at: now.saturating_add(lifetime),
        },
    );
    let mut extra = serde_json::Map::new();
    extra.insert(
        "issued_token_type".to_owned(),
        Value::from(SESSION_TRANSFER_TOKEN_TYPE),
    );
    Ok(TokenResponse {
        access_token: token,
        id_token: None,
        refresh_token: None,
        scope: scope.map(str::to_owned),
        expires_in: lifetime,
        token_type: "N_A".to_owned(),
        extra,
    })
}

/// Redeems `token` at `/authorize` (it is used up whatever the outcome): the user to log in
/// and the organization of the session. `requested_organization` (an organization id) must be
/// the token's when it was minted for one; otherwise the user must belong to it.
pub(crate) fn redeem(
    shared: &Shared,
    token: &str,
    requested_organization: Option<&str>,
) -> Result<Redeemed, String> {
    let unusable =
        || "The session transfer token is unknown, expired or was already used.".to_owned();
    let transfer = shared
        .store()
        .session_transfers
        .pending
        .remove(token)
        .ok_or_else(unusable)?;
    if transfer.expires_at <= now_secs() {
        return Err(unusable());
    }
    let organization = match (&transfer.organization, requested_organization) {
        (Some(minted), Some(asked)) if minted != asked => {
            return Err(format!(
                "The session transfer token was issued for organization {minted}, not {asked}."
            ));
        }
        (Some(minted), _) => Some(minted.clone()),
        (None, asked) => asked.map(str::to_owned),
    };
    let user = shared
        .user_by_id(&transfer.user_id)
        .ok_or_else(|| "The session transfer token's user no longer exists.".to_owned())?;
    if let Some(org) = &organization
        && !user.organizations.contains(org)
    {
        return Err(format!("User is not a member of organization {org}."));
    }
    Ok(Redeemed {
        user_id: transfer.user_id,
        organization,
        actor_sub: transfer.actor_sub,
    })
}

/// Remembers that browser session `sid` was opened by a transfer acting as `actor_sub`: the
/// codes it issues get tokens with an `act` claim.
pub(crate) fn remember_actor(shared: &Shared, sid: &str, actor_sub: String) {
    let mut store = shared.store();
    let actors = &mut store.session_transfers.actors;
    if actors.len() >= MAX_PENDING
        && let Some(oldest) = actors.keys().next().cloned()
    {
        actors.remove(&oldest);
    }
    actors.insert(sid.to_owned(), actor_sub);
}

/// Adds `act: {sub}` to the access and ID tokens of a code from a session a transfer opened.
pub(crate) fn add_actor(
    shared: &Shared,
    sid: &str,
    tokens: &mut TokenResponse,
) -> Result<(), OAuthError> {
    let actor = shared.store().session_transfers.actors.get(sid).cloned();
    let Some(actor) = actor else { return Ok(()) };
    let literal_id_token = shared.store().next_id_token.is_some();
    let mut act = serde_json::Map::new();
    act.insert("act".to_owned(), serde_json::json!({ "sub": actor }));
    tokens.access_token = add_claims(shared, &tokens.access_token, &act)?;
    if !literal_id_token && let Some(id_token) = &tokens.id_token {
        tokens.id_token = Some(add_claims(shared, id_token, &act)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_urn_session_transfer_audiences_are_transfers() {
        assert!(is_audience("urn:tenant.auth0.com:session_transfer"));
        assert!(is_audience("urn:127.0.0.1:4000:session_transfer"));
        assert!(!is_audience("https://api.example.com/"));
        assert!(!is_audience("urn:tenant.auth0.com:session_transfer:x"));
        assert!(!is_audience("session_transfer"));
    }
}
