//! `authorization_code`: a code from the browser login (`/authorize`) is exchanged for tokens.
//! The code is spent by its first exchange attempt; `redirect_uri` must equal the one it was
//! sent to, and `code_verifier` must match its PKCE challenge (codes issued without one, to
//! confidential clients, need no verifier). A code bound to a DPoP key (`dpop_jkt`, or a proof
//! at PAR; RFC 9449 section 10) is only redeemed with a proof signed with that key: that is
//! checked with the proof itself, before this grant runs, by
//! [`check_token_request`](crate::protocol::dpop::check_token_request) (`400 invalid_dpop_proof`).

use sha2::{Digest, Sha256};

use super::{Grant, GrantContext};
use crate::protocol::client_auth::secrets_equal;
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::tenant::error::OAuthError;
use crate::tenant::keys::b64url;
use crate::tenant::session::CodeGrant;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "authorization_code",
    public_clients: true,
    handle,
};

/// The answer to a verifier that does not fit the challenge (Auth0's wording).
const VERIFIER_FAILED: &str = "Failed to verify code verifier";

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let tenant = &ctx.shared.tenant;
    let code = ctx.params.require("code")?;
    let invalid = || OAuthError::invalid_grant("Invalid authorization code");
    let grant = ctx.shared.browser.take_code(code).ok_or_else(invalid)?;
    if grant.client_id != ctx.client_id() {
        return Err(OAuthError::invalid_grant(
            "Invalid authorization code: it was issued to another client.",
        ));
    }
    match ctx.params.get("redirect_uri") {
        Some(uri) if uri == grant.redirect_uri => {}
        Some(_) => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the one used in the authorization request.",
            ));
        }
        None => return Err(OAuthError::missing("redirect_uri")),
    }
    check_verifier(&grant, ctx.params.get("code_verifier"))?;

    // Also finds users created at run time (e.g. by a magic-link login).
    let user = ctx.shared.user_by_id(&grant.user_id).ok_or_else(invalid)?;
    let audience = grant.audience.as_deref();
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    let scopes = user_scopes(&grant.scopes, api);
    let organization = grant
        .organization
        .as_ref()
        .and_then(|id| tenant.organizations.get(id))
        .cloned();
    let mut tokens = user_tokens(
        ctx.shared,
        UserLogin {
            client_id: ctx.client_id(),
            user: &user,
            audience,
            scopes,
            gty: "authorization_code",
            session: Session {
                sid: grant.sid.clone(),
                auth_time: grant.auth_time,
                organization,
                nonce: grant.nonce.clone(),
            },
            may_issue_refresh: true,
        },
    )?;
    // A session a session transfer token opened: the tokens name the actor.
    crate::protocol::session_transfer::add_actor(ctx.shared, &grant.sid, &mut tokens)?;
    if let Some(details) = grant.authorization_details {
        tokens
            .extra
            .insert("authorization_details".to_owned(), details);
    }
    Ok(tokens)
}

/// PKCE (RFC 7636): the verifier must fit the bound challenge; none may be sent without one.
fn check_verifier(grant: &CodeGrant, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (grant.code_challenge.as_deref(), verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier was sent, but the authorization request carried no code_challenge.",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant(VERIFIER_FAILED)),
        (Some(challenge), Some(verifier)) => {
            let computed = match grant.code_challenge_method.as_deref() {
                Some("S256") => b64url(&Sha256::digest(verifier.as_bytes())),
                _ => verifier.to_owned(),
            };
            if crate::protocol::pkce::is_pkce_value(verifier) && secrets_equal(&computed, challenge)
            {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant(VERIFIER_FAILED))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(challenge: Option<(&str, &str)>) -> CodeGrant {
        CodeGrant {
            code_challenge: challenge.map(|(c, _)| c.to_owned()),
            code_challenge_method: challenge.map(|(_, m)| m.to_owned()),
            ..CodeGrant::for_tests()
        }
    }

    #[test]
    fn pkce_checks() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_verifier(&grant(Some((challenge, "S256"))), Some(verifier)).is_ok());
        let wrong = check_verifier(&grant(Some((challenge, "S256"))), Some(&"x".repeat(43)));
        assert_eq!(wrong.unwrap_err().description, VERIFIER_FAILED);
        let missing = check_verifier(&grant(Some((challenge, "S256"))), None);
        assert_eq!(missing.unwrap_err().description, VERIFIER_FAILED);
        assert!(check_verifier(&grant(Some((verifier, "plain"))), Some(verifier)).is_ok());
        assert!(check_verifier(&grant(None), Some(verifier)).is_err());
        assert!(check_verifier(&grant(None), None).is_ok());
    }
}
