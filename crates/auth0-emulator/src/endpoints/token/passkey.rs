//! `urn:okta:params:oauth:grant-type:webauthn`: the credential a browser returned for a passkey
//! `auth_session` (sent as JSON, `authn_response` a nested object) is checked and exchanged for
//! tokens: a sign-up registers the passkey (creating the user), a login verifies the assertion.

use serde_json::Value;

use super::{Grant, GrantContext};
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;
use crate::protocol::passkey::{log_in, sign_up, take_session};
use crate::protocol::webauthn::{Expected, parse_assertion, verify_registration};
use crate::tenant::config::{DEFAULT_CONNECTION, OrganizationConfig};
use crate::tenant::error::OAuthError;
use crate::tenant::flows::find_organization;
use crate::tenant::passkey::Ceremony;

/// The grant (confidential clients only).
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:okta:params:oauth:grant-type:webauthn",
    public_clients: false,
    handle,
};

/// `authn_response`: a JSON object (or, in a form body, a JSON object as text).
fn authn_response(ctx: &GrantContext<'_>) -> Result<Value, OAuthError> {
    let bad = || {
        OAuthError::invalid_request(
            "authn_response must be a JSON object (as PublicKeyCredential.toJSON() makes).",
        )
    };
    match ctx.params.value("authn_response") {
        None | Some(Value::Null) => Err(OAuthError::missing("authn_response")),
        Some(Value::String(text)) if text.is_empty() => Err(OAuthError::missing("authn_response")),
        Some(value @ Value::Object(_)) => Ok(value.clone()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => Ok(value),
            _ => Err(bad()),
        },
        Some(_) => Err(bad()),
    }
}

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let shared = ctx.shared;
    let tenant = &shared.tenant;
    let auth_session = ctx.params.require("auth_session")?;
    let response = authn_response(ctx)?;
    let audience = ctx.params.get("audience");
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    let asked_org: Option<&OrganizationConfig> = ctx
        .params
        .get("organization")
        .map(|o| find_organization(shared, o))
        .transpose()?;

    let session = take_session(shared, auth_session, ctx.client_id())?;
    let realm = match (ctx.params.get("realm"), session.realm.as_deref()) {
        (Some(asked), Some(opened)) if asked != opened => {
            return Err(OAuthError::invalid_request(format!(
                "realm {asked} differs from the realm {opened} the auth_session was opened for."
            )));
        }
        (asked, opened) => asked.or(opened),
    };
    let organization = match (asked_org, session.organization.as_deref()) {
        (Some(asked), Some(opened)) if asked.id != opened => {
            return Err(OAuthError::invalid_request(format!(
                "organization {} differs from the organization {opened} the auth_session was \
                 opened for.",
                asked.id
            )));
        }
        (Some(asked), _) => Some(asked),
        (None, Some(opened)) => tenant.organizations.get(opened),
        (None, None) => None,
    };
    let expected = Expected {
        ceremony: session.ceremony,
        challenge: &session.challenge,
        origin: &tenant.factors.passkey_origin,
        rp_id: &tenant.factors.passkey_rp_id,
    };
    let user = match session.ceremony {
        Ceremony::Create => {
            let credential = verify_registration(&response, &expected)?;
            sign_up(
                shared,
                &session,
                realm.unwrap_or(DEFAULT_CONNECTION),
                credential,
                organization,
            )?
        }
        Ceremony::Get => {
            let assertion = parse_assertion(&response, &expected)?;
            log_in(shared, &assertion, realm)?
        }
    };
    if let Some(org) = organization
        && !user.organizations.contains(&org.id)
    {
        return Err(OAuthError::access_denied(format!(
            "User is not a member of organization {}.",
            org.id
        )));
    }
    let requested = split_scope(ctx.params.get("scope").unwrap_or("openid"));
    let scopes = user_scopes(&requested, api);
    if user.require_mfa {
        return Err(crate::protocol::mfa::mfa_required(
            shared,
            &user,
            ctx.client_id(),
            audience,
            scopes,
            organization,
        ));
    }
    user_tokens(
        shared,
        UserLogin {
            client_id: ctx.client_id(),
            user: &user,
            audience,
            scopes,
            gty: "passkey",
            session: Session::start(organization.cloned()),
            may_issue_refresh: true,
        },
    )
}
