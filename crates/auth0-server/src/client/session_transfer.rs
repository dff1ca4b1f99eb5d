//! Session transfer tokens (impersonation via session transfer, Auth0 Custom Token Exchange):
//! [`ServerClient::request_session_transfer_token`] exchanges the developer's proof of which
//! customer to act as, with the logged-in agent's ID token as the actor, for an opaque,
//! single-use token; [`ServerClient::build_session_transfer_redirect`] hands it to the target
//! application's login URL, whose login forwards it to `/authorize`.
//!
//! Imports `auth0-auth`'s public API (the token exchange, JWT decoding, the loopback rule)
//! and this crate's state, stores, cookies and errors.

use std::fmt;

use auth0_auth::{
    ExchangeTokenRequest, ExposeSecret, ID_TOKEN_TYPE, RefreshTokenRequest, SecretString,
    is_loopback, jws,
};
use serde_json::Value;
use url::Url;

#[cfg(test)]
use super::domain_of;
use super::{DEFAULT_AUDIENCE_KEY, ServerClient, Session, Tenancy, Tenant, update_state};
use crate::cookies::CookieJar;
use crate::error::{Error, Result};
use crate::store::{StateStore, TransactionStore};

/// The issued token type of a session transfer token.
pub const SESSION_TRANSFER_TOKEN_TYPE: &str =
    "urn:auth0:params:oauth:token-type:session_transfer_token";

/// An ID token this close to its `exp` (seconds) counts as expired, as in the reference.
const ID_TOKEN_EXPIRY_SKEW: u64 = 30;

/// The acting party of a session transfer, given explicitly instead of the session's ID token.
#[derive(Clone)]
pub struct SessionTransferActor {
    token: SecretString,
    token_type: String,
}

impl fmt::Debug for SessionTransferActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTransferActor")
            .field("token", &"[redacted]")
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl SessionTransferActor {
    /// The actor's token, an ID token unless [`token_type`](Self::token_type) says otherwise.
    /// Auth0 checks an ID token fully: signed asymmetrically by the tenant, unexpired, issued to
    /// the client making the exchange, for a user who exists and is not blocked.
    pub fn new(token: SecretString) -> Self {
        Self {
            token,
            token_type: ID_TOKEN_TYPE.to_owned(),
        }
    }

    /// The actor token's type URI (default `urn:ietf:params:oauth:token-type:id_token`).
    pub fn token_type(mut self, token_type: impl Into<String>) -> Self {
        self.token_type = token_type.into();
        self
    }
}

/// What [`ServerClient::request_session_transfer_token`] asks for.
#[derive(Clone)]
pub struct SessionTransferTokenRequest {
    subject_token_type: String,
    subject_token: SecretString,
    actor: Option<SessionTransferActor>,
    scope: Option<String>,
    organization: Option<String>,
    extra: Vec<(String, String)>,
}

impl fmt::Debug for SessionTransferTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTransferTokenRequest")
            .field("subject_token_type", &self.subject_token_type)
            .field("subject_token", &"[redacted]")
            .field("actor", &self.actor)
            .field("scope", &self.scope)
            .field("organization", &self.organization)
            .field("extra", &self.extra)
            .finish()
    }
}

impl SessionTransferTokenRequest {
    /// A transfer to the customer `subject_token` proves (your own token, of your Token
    /// Exchange Profile's `subject_token_type`, checked by your Action, which picks the user).
    pub fn new(subject_token_type: impl Into<String>, subject_token: SecretString) -> Self {
        Self {
            subject_token_type: subject_token_type.into(),
            subject_token,
            actor: None,
            scope: None,
            organization: None,
            extra: Vec::new(),
        }
    }

    /// An explicit actor; the session is then not read at all (default: the session's ID
    /// token, refreshed when it has expired).
    pub fn actor(mut self, actor: SessionTransferActor) -> Self {
        self.actor = Some(actor);
        self
    }

    /// The scopes to request.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The organization (id or name) to mint the token in: the tenant checks the client may
    /// use it. This does not scope the target's session; pass the organization to
    /// [`SessionTransferRedirectRequest::organization`] for that.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// An extra parameter for your Action (`event.request.body`). Reserved OAuth parameter
    /// names are skipped. Never put secrets or personal data here: extras may be logged.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }
}

/// A session transfer token: opaque, single use and short-lived (about a minute). Hand it to
/// [`ServerClient::build_session_transfer_redirect`] at once; never decode, cache or keep it.
/// Not `Clone`, and consumed by the redirect builder.
#[non_exhaustive]
pub struct SessionTransferToken {
    /// The token.
    pub token: SecretString,
    /// The issued token type as the server sent it (empty when it sent none): branch on this,
    /// [`SESSION_TRANSFER_TOKEN_TYPE`] for a session transfer token.
    pub issued_token_type: String,
    /// Seconds until it expires (0 when the server gave no lifetime).
    pub expires_in: u64,
    /// The token type as sent (typically `n_a`, lower-cased); informational only.
    pub token_type: Option<String>,
    /// The granted scopes, when sent.
    pub scope: Option<String>,
}

impl fmt::Debug for SessionTransferToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTransferToken")
            .field("token", &"[redacted]")
            .field("issued_token_type", &self.issued_token_type)
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .finish()
    }
}

impl SessionTransferToken {
    /// Whether the server says this is a session transfer token.
    pub fn is_session_transfer_token(&self) -> bool {
        self.issued_token_type == SESSION_TRANSFER_TOKEN_TYPE
    }
}

/// What [`ServerClient::build_session_transfer_redirect`] builds.
pub struct SessionTransferRedirectRequest {
    target_login_url: String,
    token: SessionTransferToken,
    organization: Option<String>,
}

impl fmt::Debug for SessionTransferRedirectRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTransferRedirectRequest")
            .field("target_login_url", &self.target_login_url)
            .field("token", &self.token)
            .field("organization", &self.organization)
            .finish()
    }
}

impl SessionTransferRedirectRequest {
    /// Sends `token` to the target application's login URL: an absolute `https` URL (plain
    /// `http` only on loopback) that your application controls. Never build it from request
    /// input (such as a `returnTo`): the token would go wherever it points.
    pub fn new(target_login_url: impl Into<String>, token: SessionTransferToken) -> Self {
        Self {
            target_login_url: target_login_url.into(),
            token,
            organization: None,
        }
    }

    /// The organization the target's login should be in (sent as `organization`); needed
    /// when the token was minted in an organization.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// `target` with `session_transfer_token` (and `organization`) set in its query.
fn transfer_redirect(request: SessionTransferRedirectRequest) -> Result<Url> {
    let target = request.target_login_url.trim();
    if target.is_empty() {
        return Err(Error::MissingRequiredArgument("target_login_url"));
    }
    let mut url = Url::parse(target).map_err(|_| {
        Error::InvalidConfiguration(
            "the target login URL must be an absolute URL (e.g. https://app.example.com/login)"
                .into(),
        )
    })?;
    let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    if !secure {
        return Err(Error::InvalidConfiguration(
            "the target login URL must use https (http only on loopback): a session transfer \
             token must not travel over an insecure URL"
                .into(),
        ));
    }
    if let Some(org) = &request.organization
        && org.trim().is_empty()
    {
        return Err(Error::MissingRequiredArgument("organization"));
    }
    // Replace any values already there, keeping the other parameters in order.
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            k != "session_transfer_token"
                && !(request.organization.is_some() && k == "organization")
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        query.extend_pairs(kept);
        query.append_pair(
            "session_transfer_token",
            request.token.token.expose_secret(),
        );
        if let Some(org) = &request.organization {
            query.append_pair("organization", org);
        }
    }
    Ok(url)
}

/// The `exp` of an ID token, read without verification (it came from our own session).
fn id_token_usable(token: &str, now: u64) -> bool {
    jws::decode_unverified(token)
        .ok()
        .and_then(|jws| jws.claims.get("exp").and_then(Value::as_f64))
        .is_some_and(|exp| exp > now.saturating_add(ID_TOKEN_EXPIRY_SKEW) as f64)
}

/// Seconds since the Unix epoch on the system clock.
fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl<T: TransactionStore, S: StateStore, D: Tenancy> ServerClient<T, S, D> {
    /// Requests a session transfer token for the customer your `subject_token` proves, to log
    /// them in at another application of the tenant as an auditable impersonation: a custom
    /// token exchange for the audience `urn:{domain}:session_transfer`, with an actor.
    ///
    /// The actor is the explicit [`SessionTransferTokenRequest::actor`] when given (the session
    /// is not read); otherwise the session's ID token, refreshed (and the session updated)
    /// when it has expired. With neither, this fails with [`Error::ActorUnavailable`] before
    /// any request. Nothing about the token itself is kept in the session. Needs a
    /// confidential client.
    pub async fn request_session_transfer_token(
        &self,
        request: SessionTransferTokenRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<SessionTransferToken> {
        if request.subject_token.expose_secret().trim().is_empty() {
            return Err(Error::MissingRequiredArgument("subject_token"));
        }
        if request.subject_token_type.trim().is_empty() {
            return Err(Error::MissingRequiredArgument("subject_token_type"));
        }
        if request
            .organization
            .as_deref()
            .is_some_and(|o| o.trim().is_empty())
        {
            return Err(Error::MissingRequiredArgument("organization"));
        }
        let tenant = self.tenant_of(jar)?;
        let actor = match request.actor {
            Some(actor) => {
                if actor.token.expose_secret().trim().is_empty() {
                    return Err(Error::ActorUnavailable(
                        "an explicit actor was given but its token is blank",
                    ));
                }
                actor
            }
            None => self.session_actor(&tenant, jar).await?,
        };
        let audience = format!("urn:{}:session_transfer", tenant.domain);
        let mut exchange =
            ExchangeTokenRequest::profile(request.subject_token_type, request.subject_token)
                .audience(audience)
                .actor_token(actor.token, actor.token_type);
        if let Some(scope) = request.scope {
            exchange = exchange.scope(scope);
        }
        if let Some(org) = request.organization {
            exchange = exchange.organization(org);
        }
        for (name, value) in request.extra {
            exchange = exchange.extra(name, value);
        }
        let response = tenant.client.exchange_token(exchange).await?;
        Ok(SessionTransferToken {
            token: response.access_token,
            issued_token_type: response.issued_token_type.unwrap_or_default(),
            // `expires_at` is on the system clock (the protocol client's), not the session's.
            expires_in: response.expires_at.saturating_sub(system_now()),
            token_type: response.token_type,
            scope: response.scope,
        })
    }

    /// The target application's login URL with `session_transfer_token` (and `organization`)
    /// in its query, for the agent's browser to be redirected to. No request, no session
    /// change. The target's login route forwards the token to `/authorize` with
    /// [`StartInteractiveLoginRequest::session_transfer_token`](crate::StartInteractiveLoginRequest::session_transfer_token),
    /// where Auth0 logs the customer in without a login form.
    pub fn build_session_transfer_redirect(
        &self,
        request: SessionTransferRedirectRequest,
    ) -> Result<Url> {
        transfer_redirect(request)
    }

    /// The session's ID token as the actor, refreshed when it has expired.
    async fn session_actor(
        &self,
        tenant: &Tenant,
        jar: &mut dyn CookieJar,
    ) -> Result<SessionTransferActor> {
        let unavailable = Error::ActorUnavailable;
        let state = match self.session_of(tenant, jar).await {
            Ok(Session::Own(state)) => Some(*state),
            Ok(Session::Foreign) => {
                return Err(unavailable(
                    "no actor was given and the session belongs to another domain",
                ));
            }
            Ok(Session::None) | Err(Error::SessionExpired) => None,
            Err(e) => return Err(e),
        };
        let Some(state) = state else {
            return Err(unavailable(
                "no actor was given and there is no logged-in session",
            ));
        };
        let Some(id_token) = state.id_token.clone() else {
            return Err(unavailable(
                "no actor was given and the session holds no ID token",
            ));
        };
        let now = self.now();
        if id_token_usable(id_token.expose_secret(), now) {
            return Ok(SessionTransferActor::new(id_token));
        }
        let Some(refresh_token) = state.refresh_token.clone() else {
            return Err(unavailable(
                "the session's ID token has expired and there is no refresh token to renew it",
            ));
        };
        let tokens = tenant
            .client
            .get_token_by_refresh_token(RefreshTokenRequest::new(refresh_token))
            .await
            .map_err(|_| unavailable("renewing the session's expired ID token failed"))?;
        let Some(fresh) = tokens.id_token.clone() else {
            return Err(unavailable(
                "renewing the session's expired ID token gave no ID token",
            ));
        };
        let audience = self
            .inner
            .params
            .get("audience")
            .unwrap_or(DEFAULT_AUDIENCE_KEY)
            .to_owned();
        let updated = update_state(&audience, Some(state), &tokens, now, &tenant.domain);
        self.inner
            .state_store
            .set(&self.inner.session_cookie, &updated, false, jar, now)
            .await?;
        Ok(SessionTransferActor::new(fresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> SessionTransferToken {
        SessionTransferToken {
            token: SecretString::from("stt-value/with+chars".to_owned()),
            issued_token_type: SESSION_TRANSFER_TOKEN_TYPE.into(),
            expires_in: 60,
            token_type: Some("n_a".into()),
            scope: None,
        }
    }

    #[test]
    fn the_redirect_carries_the_token_and_organization_encoded() {
        let url = transfer_redirect(
            SessionTransferRedirectRequest::new(
                "https://app.example.com/login?returnTo=%2Fx&session_transfer_token=old",
                token(),
            )
            .organization("org_1"),
        )
        .unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("returnTo".to_owned(), "/x".to_owned()),
                (
                    "session_transfer_token".to_owned(),
                    "stt-value/with+chars".to_owned()
                ),
                ("organization".to_owned(), "org_1".to_owned()),
            ]
        );
        assert!(url.as_str().contains("stt-value%2Fwith%2Bchars"), "{url}");
    }

    #[test]
    fn the_redirect_needs_an_absolute_https_or_loopback_url() {
        for bad in [
            "",
            "  ",
            "/login",
            "http://app.example.com/login",
            "ftp://x/",
        ] {
            let err =
                transfer_redirect(SessionTransferRedirectRequest::new(bad, token())).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::MissingRequiredArgument(_) | Error::InvalidConfiguration(_)
                ),
                "{bad:?}: {err:?}"
            );
            assert!(!err.to_string().contains("stt-value"));
        }
        for good in [
            "https://app.example.com/login",
            "http://localhost:3000/login",
            "http://127.0.0.1:3000/login",
            "http://[::1]:3000/login",
        ] {
            transfer_redirect(SessionTransferRedirectRequest::new(good, token())).unwrap();
        }
        let blank_org = transfer_redirect(
            SessionTransferRedirectRequest::new("https://a.example/", token()).organization(" "),
        );
        assert!(matches!(
            blank_org,
            Err(Error::MissingRequiredArgument("organization"))
        ));
    }

    #[test]
    fn debug_hides_every_token() {
        let shown = format!(
            "{:?} {:?}",
            SessionTransferRedirectRequest::new("https://a.example/", token()),
            SessionTransferTokenRequest::new(
                "urn:x",
                SecretString::from("subject-secret".to_owned())
            )
            .actor(SessionTransferActor::new(SecretString::from(
                "actor-secret".to_owned()
            )))
        );
        for secret in ["stt-value", "subject-secret", "actor-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn id_token_expiry_is_read_with_the_skew() {
        use base64::Engine;
        let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let jwt = |exp: u64| {
            format!(
                "{}.{}.sig",
                b64(r#"{"alg":"RS256"}"#),
                b64(&format!(r#"{{"exp":{exp}}}"#))
            )
        };
        assert!(id_token_usable(&jwt(1_000_100), 1_000_000));
        assert!(!id_token_usable(&jwt(1_000_030), 1_000_000));
        assert!(!id_token_usable(&jwt(999_000), 1_000_000));
        assert!(!id_token_usable("not-a-jwt", 1_000_000));
    }

    #[test]
    fn the_audience_domain_keeps_a_port() {
        assert_eq!(
            domain_of(&Url::parse("https://Tenant.EU.auth0.com/").unwrap()),
            "tenant.eu.auth0.com"
        );
        assert_eq!(
            domain_of(&Url::parse("http://127.0.0.1:4010/").unwrap()),
            "127.0.0.1:4010"
        );
    }
}
