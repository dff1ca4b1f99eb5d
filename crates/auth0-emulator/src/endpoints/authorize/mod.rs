//! The browser login: `GET /authorize` checks the authorization request and shows a login page;
//! `POST /authorize/login` checks the form, opens a browser session (a cookie) and sends the
//! browser back to the application with an authorization code.
//!
//! A `dpop_jkt` (the RFC 7638 thumbprint of a DPoP key, RFC 9449 section 10) binds the code:
//! the token endpoint then wants a DPoP proof signed with that key (see [`crate::protocol::dpop`]).
//!
//! Requests that cannot be trusted with a redirect (unknown client, a `redirect_uri` not
//! registered for it, an unusable `request_uri` or login page) get a `400` HTML page; every
//! other refusal goes back to the `redirect_uri` as `error`, `error_description`, `state` and
//! `iss`.

pub(crate) mod par;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::endpoints::common::html::{self, escape};
use crate::endpoints::common::refusal::{Refusal, redirect};
use crate::protocol::client_auth::secrets_equal;
use crate::protocol::params::{Params, split_scope};
use crate::protocol::pkce::is_pkce_value;
use crate::tenant::config::{ClientConfig, OrganizationConfig};
use crate::tenant::session::{
    AuthorizationRequest, BrowserSession, CodeGrant, MAX_LOGIN_ATTEMPTS, PushedRefusal,
    session_cookie, set_session_cookie,
};
use crate::tenant::state::{Shared, Tenant, now_secs};

impl AuthorizationRequest {
    /// A refusal sent back to this request's `redirect_uri`.
    fn refusal(&self, error: &'static str, description: impl Into<String>) -> Refusal {
        Refusal::Redirect {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            error,
            description: description.into(),
        }
    }
}

/// The organization named by `wanted` (an id, or a name compared case-insensitively).
pub(crate) fn find_organization<'a>(
    tenant: &'a Tenant,
    wanted: &str,
) -> Option<&'a OrganizationConfig> {
    let orgs = &tenant.organizations;
    orgs.get(wanted)
        .or_else(|| orgs.values().find(|o| o.name.eq_ignore_ascii_case(wanted)))
}

/// Checks an authorization request for `client` (already known to the tenant).
pub(crate) fn validate(
    tenant: &Tenant,
    client: &ClientConfig,
    params: &Params,
) -> Result<AuthorizationRequest, Refusal> {
    let client_id = client.client_id.as_str();
    let redirect_uri = params.get("redirect_uri").ok_or_else(|| {
        Refusal::page(
            "invalid_request",
            "Missing required parameter: redirect_uri",
        )
    })?;
    if !client.callbacks.iter().any(|c| c == redirect_uri) {
        return Err(Refusal::page(
            "invalid_request",
            format!(
                "Callback URL mismatch: {redirect_uri} is not in the list of allowed callback \
                 URLs of client {client_id}."
            ),
        ));
    }
    if url::Url::parse(redirect_uri).is_err() {
        return Err(Refusal::page(
            "invalid_request",
            format!("The redirect_uri {redirect_uri} is not an absolute URL."),
        ));
    }
    let state = params.get("state").map(str::to_owned);
    let fail = |error: &'static str, description: String| Refusal::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
        description,
    };

    match params.get("response_type") {
        Some("code") if !client.allows_grant("authorization_code") => {
            return Err(fail(
                "unauthorized_client",
                "Grant type 'authorization_code' not allowed for the client.".to_owned(),
            ));
        }
        Some("code") => {}
        Some(other) => {
            return Err(fail(
                "unsupported_response_type",
                format!("Unsupported response type: {other} (only \"code\" is supported)."),
            ));
        }
        None => {
            return Err(fail(
                "invalid_request",
                "Missing required parameter: response_type".to_owned(),
            ));
        }
    }

    let code_challenge = params.get("code_challenge");
    let code_challenge_method = match (code_challenge, params.get("code_challenge_method")) {
        (None, Some(_)) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method was sent without code_challenge.".to_owned(),
            ));
        }
        (None, None) if client.is_public() => {
            return Err(fail(
                "invalid_request",
                format!(
                    "Parameter code_challenge is required: {client_id} is a public client and \
                     must use PKCE."
                ),
            ));
        }
        (None, None) => None,
        (Some(challenge), method) => {
            let method = method.unwrap_or("plain");
            if method != "S256" && method != "plain" {
                return Err(fail(
                    "invalid_request",
                    format!("Unsupported code_challenge_method {method}; use S256 or plain."),
                ));
            }
            if !is_pkce_value(challenge) {
                return Err(fail(
                    "invalid_request",
                    "code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, \"-\", \".\", \
                     \"_\" and \"~\"."
                        .to_owned(),
                ));
            }
            Some(method.to_owned())
        }
    };

    let authorization_details = match params.get("authorization_details") {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(details @ Value::Array(_)) => Some(details),
            _ => {
                return Err(fail(
                    "invalid_request",
                    "authorization_details must be a JSON array.".to_owned(),
                ));
            }
        },
    };

    let audience = params.get("audience");
    if let Some(audience) = audience
        && !tenant.apis.contains_key(audience)
    {
        return Err(fail(
            "access_denied",
            format!("Service not found: {audience}"),
        ));
    }

    let organization = match params.get("organization") {
        None => None,
        Some(wanted) => Some(
            find_organization(tenant, wanted)
                .ok_or_else(|| {
                    fail(
                        "invalid_request",
                        format!("Organization not found: {wanted}"),
                    )
                })?
                .id
                .clone(),
        ),
    };

    let max_age = match params.get("max_age") {
        None => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            fail(
                "invalid_request",
                format!("max_age must be a non-negative integer, got {text}."),
            )
        })?),
    };

    let dpop_jkt = match params.get("dpop_jkt") {
        None => None,
        Some(jkt) if crate::protocol::dpop::is_thumbprint(jkt) => Some(jkt.to_owned()),
        Some(_) => {
            return Err(fail(
                "invalid_request",
                "dpop_jkt must be the base64url SHA-256 JWK thumbprint (RFC 7638) of the DPoP \
                 key: 43 characters of A-Z, a-z, 0-9, \"-\" and \"_\"."
                    .to_owned(),
            ));
        }
    };

    let prompt = params.get("prompt").map(split_scope).unwrap_or_default();
    if prompt.len() > 1 && prompt.iter().any(|p| p == "none") {
        return Err(fail(
            "invalid_request",
            "prompt=none cannot be combined with other prompt values.".to_owned(),
        ));
    }

    let owned = |key: &str| params.get(key).map(str::to_owned);
    Ok(AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes: split_scope(params.get("scope").unwrap_or("openid")),
        state: state.clone(),
        nonce: owned("nonce"),
        audience: audience.map(str::to_owned),
        organization,
        invitation: owned("invitation"),
        max_age,
        prompt,
        screen_hint: owned("screen_hint"),
        login_hint: owned("login_hint"),
        authorization_details,
        code_challenge: code_challenge.map(str::to_owned),
        code_challenge_method,
        dpop_jkt,
    })
}

/// `GET /authorize`.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::from_form(query.as_deref().unwrap_or_default().as_bytes());
    let params = match crate::protocol::request_object::expand(&shared, params) {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(),
    };
    begin(&shared, &headers, &params)
        .unwrap_or_else(|refusal| refusal.into_response(&shared.tenant.issuer))
}

fn begin(shared: &Shared, headers: &HeaderMap, params: &Params) -> Result<Response, Refusal> {
    let tenant = &shared.tenant;
    let client_id = params
        .get("client_id")
        .ok_or_else(|| Refusal::page("invalid_request", "Missing required parameter: client_id"))?;
    let client = &tenant
        .clients
        .get(client_id)
        .ok_or_else(|| Refusal::page("invalid_request", format!("Unknown client: {client_id}")))?
        .config;
    let request = match params.get("request_uri") {
        Some(uri) => shared
            .browser
            .take_pushed(uri, client_id)
            .map_err(|why| match why {
                PushedRefusal::Invalid => Refusal::page(
                    "invalid_request",
                    "The request_uri is unknown, expired or was already used.",
                ),
                PushedRefusal::OtherClient => Refusal::page(
                    "invalid_request",
                    format!("The request_uri was not pushed by client {client_id}."),
                ),
            })?,
        None => validate(tenant, client, params)?,
    };
    if let Some(token) = params.get("session_transfer_token") {
        return transfer_login(shared, headers, &request, token);
    }
    if request.prompt.iter().any(|p| p == "none") {
        return silent(shared, headers, client, &request);
    }
    let tx = shared.browser.begin_transaction(request.clone());
    Ok(login_page(
        tenant,
        client,
        &request,
        &tx,
        None,
        request.login_hint.as_deref(),
    ))
}

/// A session transfer token logs its user in without the form (see
/// [`crate::session_transfer`]); an unusable one goes back as `invalid_request`.
fn transfer_login(
    shared: &Shared,
    headers: &HeaderMap,
    request: &AuthorizationRequest,
    token: &str,
) -> Result<Response, Refusal> {
    let redeemed =
        crate::protocol::session_transfer::redeem(shared, token, request.organization.as_deref())
            .map_err(|why| request.refusal("invalid_request", why))?;
    let organization = redeemed.organization;
    let existing = session_cookie(headers);
    let (key, session) =
        shared
            .browser
            .open_session(existing.as_deref(), &redeemed.user_id, organization.clone());
    crate::protocol::session_transfer::remember_actor(shared, &session.sid, redeemed.actor_sub);
    let mut response = issue_code(shared, &key, &session, request, organization);
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_session_cookie(Some(&key)));
    Ok(response)
}

/// `prompt=none`: a code from the session the cookie names, or `login_required`.
fn silent(
    shared: &Shared,
    headers: &HeaderMap,
    client: &ClientConfig,
    request: &AuthorizationRequest,
) -> Result<Response, Refusal> {
    let login_required = || request.refusal("login_required", "Login required");
    let key = session_cookie(headers).ok_or_else(login_required)?;
    let session = shared.browser.session(&key).ok_or_else(login_required)?;
    if request
        .max_age
        .is_some_and(|max_age| now_secs().saturating_sub(session.auth_time) > max_age)
    {
        return Err(login_required());
    }
    let user = shared
        .user_by_id(&session.user_id)
        .ok_or_else(login_required)?;
    let organization = match &request.organization {
        Some(org) => Some(org.clone()),
        None if client.browser.require_organization => {
            Some(session.organization.clone().ok_or_else(login_required)?)
        }
        None => None,
    };
    if let Some(org) = &organization
        && !user.organizations.contains(org)
    {
        return Err(login_required());
    }
    Ok(issue_code(shared, &key, &session, request, organization))
}

/// Records the client in the session, stores a code and redirects to the application.
fn issue_code(
    shared: &Shared,
    key: &str,
    session: &BrowserSession,
    request: &AuthorizationRequest,
    organization: Option<String>,
) -> Response {
    shared.browser.add_client(key, &request.client_id);
    let code = shared.browser.issue_bound_code(
        CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
            nonce: request.nonce.clone(),
            scopes: request.scopes.clone(),
            audience: request.audience.clone(),
            organization,
            authorization_details: request.authorization_details.clone(),
            auth_time: session.auth_time,
            sid: session.sid.clone(),
            user_id: session.user_id.clone(),
        },
        request.dpop_jkt.clone(),
        shared.tenant.browser.code_lifetime,
    );
    redirect(
        &request.redirect_uri,
        &[
            ("code", Some(&code)),
            ("state", request.state.as_deref()),
            ("iss", Some(&shared.tenant.issuer)),
        ],
    )
}

/// `POST /authorize/login` (form: `tx`, `username`, `password`, `organization?`).
pub(crate) async fn login(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Params::from_form(&body);
    submit(&shared, &headers, &form)
        .unwrap_or_else(|refusal| refusal.into_response(&shared.tenant.issuer))
}

fn submit(shared: &Shared, headers: &HeaderMap, form: &Params) -> Result<Response, Refusal> {
    let tenant = &shared.tenant;
    let tx = form
        .get("tx")
        .ok_or_else(|| Refusal::page("invalid_request", "Missing required parameter: tx"))?;
    let expired = || {
        Refusal::page(
            "invalid_request",
            "This login page has expired or was already used; start again from the application.",
        )
    };
    let request = shared.browser.transaction(tx).ok_or_else(expired)?;
    let client = &tenant
        .clients
        .get(&request.client_id)
        .ok_or_else(expired)?
        .config;
    let username = form.get("username");
    let again = |error: &str| login_page(tenant, client, &request, tx, Some(error), username);

    let (Some(login), Some(password)) = (username, form.get("password")) else {
        return Ok(again("Enter your email or username and your password."));
    };
    // Configured users and users created by sign-up alike.
    let Some(user) = shared
        .database_user(login, None)
        .filter(|u| secrets_equal(password, &u.password))
    else {
        if shared.browser.record_failure(tx) >= MAX_LOGIN_ATTEMPTS {
            return Err(request.refusal(
                "access_denied",
                format!("Too many failed login attempts ({MAX_LOGIN_ATTEMPTS})."),
            ));
        }
        return Ok(again("Wrong email or password."));
    };

    let organization = match &request.organization {
        Some(id) => Some(id.clone()),
        None if client.browser.require_organization => {
            let Some(wanted) = form.get("organization") else {
                return Ok(again("Enter your organization."));
            };
            let Some(org) = find_organization(tenant, wanted) else {
                return Ok(again(&format!("Organization not found: {wanted}")));
            };
            Some(org.id.clone())
        }
        None => None,
    };
    if let Some(org) = &organization
        && !user.organizations.contains(org)
    {
        return Ok(again(&format!(
            "User is not a member of organization {org}."
        )));
    }

    let request = shared.browser.finish_transaction(tx).ok_or_else(expired)?;
    let existing = session_cookie(headers);
    let (key, session) =
        shared
            .browser
            .open_session(existing.as_deref(), &user.user_id, organization.clone());
    let mut response = issue_code(shared, &key, &session, &request, organization);
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_session_cookie(Some(&key)));
    Ok(response)
}

/// The login page: a form posting `tx`, `username`, `password` (and `organization` when the
/// client requires one and the request named none) to `/authorize/login`.
fn login_page(
    tenant: &Tenant,
    client: &ClientConfig,
    request: &AuthorizationRequest,
    tx: &str,
    error: Option<&str>,
    username: Option<&str>,
) -> Response {
    let heading = if request.screen_hint.as_deref() == Some("signup") {
        "Sign up"
    } else {
        "Log in"
    };
    let mut body = format!(
        "<h1>{heading}</h1>\n<p>to continue to <strong>{}</strong></p>\n",
        escape(&client.client_id)
    );
    if let Some(org) = request
        .organization
        .as_deref()
        .and_then(|id| tenant.organizations.get(id))
    {
        body.push_str(&format!(
            "<p>Organization: <strong>{}</strong></p>\n",
            escape(&org.name)
        ));
    }
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape(error)
        ));
    }
    body.push_str("<form method=\"post\" action=\"/authorize/login\">\n");
    body.push_str(&format!(
        "<input type=\"hidden\" name=\"tx\" value=\"{}\">\n",
        escape(tx)
    ));
    body.push_str(&format!(
        "<p><label for=\"username\">Email or username</label>\n\
         <input id=\"username\" type=\"text\" name=\"username\" value=\"{}\" \
         autocomplete=\"username\" required></p>\n",
        escape(username.unwrap_or_default())
    ));
    body.push_str(
        "<p><label for=\"password\">Password</label>\n\
         <input id=\"password\" type=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required></p>\n",
    );
    if client.browser.require_organization && request.organization.is_none() {
        body.push_str(
            "<p><label for=\"organization\">Organization</label>\n\
             <input id=\"organization\" type=\"text\" name=\"organization\" value=\"\" \
             autocomplete=\"organization\" required></p>\n",
        );
    }
    body.push_str("<p><button type=\"submit\">Continue</button></p>\n</form>\n");
    html::page(StatusCode::OK, heading, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_values() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(is_pkce_value(&"a-._~".repeat(25)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn redirects_add_only_present_values() {
        let r = redirect(
            "http://localhost:3000/cb?x=1",
            &[("code", Some("a b")), ("state", None)],
        );
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(
            r.headers()[header::LOCATION],
            "http://localhost:3000/cb?x=1&code=a+b"
        );
        let r = redirect("http://localhost:3000/", &[("state", None)]);
        assert_eq!(r.headers()[header::LOCATION], "http://localhost:3000/");
        assert_eq!(redirect("not a url", &[]).status(), StatusCode::BAD_REQUEST);
    }
}
