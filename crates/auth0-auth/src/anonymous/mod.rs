//! Anonymous sessions (`client.anonymous()`, early access at Auth0): an identity for a visitor
//! who has not signed in, renewable with a long-lived session token, transferable to a real
//! account at sign-up.

use std::fmt;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::http::Request;
use crate::values::UserMetadata;

/// The audience that mints a transfer token.
pub const ANON_TRANSFER_AUDIENCE: &str = "urn:auth0:anon_transfer";
/// The most metadata (serialised JSON bytes) a session may carry.
pub const MAX_ANONYMOUS_METADATA_BYTES: usize = 1024;

/// An anonymous session.
#[derive(Clone)]
pub struct AnonymousSession {
    /// The long-lived handle that renews access tokens; never send it to APIs.
    pub session_token: SecretString,
    /// The short-lived token for APIs.
    pub access_token: SecretString,
    /// When the access token expires (Unix seconds).
    pub expires_at: u64,
    /// When the session token expires (Unix seconds), when the server said.
    pub session_token_expires_at: Option<u64>,
    /// The granted scope.
    pub scope: Option<String>,
}

impl fmt::Debug for AnonymousSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnonymousSession")
            .field("session_token", &"[redacted]")
            .field("access_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("session_token_expires_at", &self.session_token_expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Options of a new or renewed anonymous session.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::{AnonymousSessionRequest, UserMetadata};
///
/// let session = client
///     .anonymous()
///     .create_session(
///         AnonymousSessionRequest::new().metadata(UserMetadata::new().insert("cart", "c-42")),
///     )
///     .await?;
/// // later: a fresh access token for the same visitor
/// let renewed = client
///     .anonymous()
///     .get_access_token(AnonymousSessionRequest::new().session_token(session.session_token.clone()))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct AnonymousSessionRequest {
    audience: Option<String>,
    scope: Option<String>,
    metadata: Option<UserMetadata>,
    session_token: Option<SecretString>,
}

impl AnonymousSessionRequest {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API the access token is for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The requested scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Up to [`MAX_ANONYMOUS_METADATA_BYTES`] of string metadata (as JSON), set once when the
    /// session is created.
    pub fn metadata(mut self, metadata: UserMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The session to renew ([`AnonymousSession::session_token`]), for
    /// [`Anonymous::get_access_token`].
    pub fn session_token(mut self, session_token: SecretString) -> Self {
        self.session_token = Some(session_token);
        self
    }
}

#[derive(Deserialize)]
struct AnonymousTokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    session_token: Option<String>,
    #[serde(default)]
    session_expires_in: Option<u64>,
}

/// The anonymous-session API of a client: see [`AuthClient::anonymous`].
#[derive(Clone, Copy, Debug)]
pub struct Anonymous<'a> {
    client: &'a AuthClient,
}

impl AuthClient {
    /// Anonymous sessions.
    pub fn anonymous(&self) -> Anonymous<'_> {
        Anonymous { client: self }
    }
}

impl Anonymous<'_> {
    async fn post(
        &self,
        path: &str,
        mut body: Map<String, Value>,
        with_auth: bool,
    ) -> Result<crate::http::Response> {
        let code = ErrorCode::AnonymousSession;
        let inner = &self.client.inner;
        if with_auth {
            inner
                .auth
                .fields(&inner.client_id, inner.base.as_str())
                .map_err(|e| e.in_operation(code))?
                .into_json(&mut body);
        } else {
            body.insert("client_id".into(), inner.client_id.clone().into());
        }
        let url = inner
            .base
            .join(path)
            .map_err(|_| Error::invalid_input(code, "the anonymous path cannot be built"))?;
        let response = self
            .client
            .send(
                Request::new(Method::POST, url, code, "the anonymous session endpoint")
                    .json(&Value::Object(body)),
            )
            .await?;
        if response.status.is_redirection() {
            return Err(Error::new(
                code,
                ErrorKind::HttpStatus,
                "the anonymous session endpoint answered with a redirect, which is not followed",
            ));
        }
        response.success()
    }

    async fn token(&self, body: Map<String, Value>) -> Result<(AnonymousTokenAnswer, u64)> {
        let code = ErrorCode::AnonymousSession;
        let answer: AnonymousTokenAnswer =
            self.post("anonymous/token", body, true).await?.json()?;
        if answer.access_token.as_deref().is_none_or(str::is_empty) {
            return Err(Error::new(
                code,
                ErrorKind::InvalidResponse,
                "the anonymous token answer has no access_token",
            ));
        }
        if answer.expires_in.is_none() {
            return Err(Error::new(
                code,
                ErrorKind::InvalidResponse,
                "the anonymous token answer has no expires_in",
            ));
        }
        Ok((answer, now_secs()))
    }

    fn session(
        answer: AnonymousTokenAnswer,
        now: u64,
        session_token: SecretString,
    ) -> AnonymousSession {
        AnonymousSession {
            session_token,
            access_token: SecretString::from(answer.access_token.unwrap_or_default()),
            // Hostile lifetimes (up to u64::MAX) must not overflow.
            expires_at: now.saturating_add(answer.expires_in.unwrap_or(0)),
            session_token_expires_at: answer.session_expires_in.map(|s| now.saturating_add(s)),
            scope: answer.scope,
        }
    }

    fn body(request: &AnonymousSessionRequest) -> Map<String, Value> {
        let mut body = Map::new();
        if let Some(a) = &request.audience {
            body.insert("audience".into(), a.clone().into());
        }
        if let Some(s) = &request.scope {
            body.insert("scope".into(), s.clone().into());
        }
        body
    }

    /// Creates a session (`POST /anonymous/token` without a session token; a
    /// [`session_token`](AnonymousSessionRequest::session_token) in the request is not sent).
    pub async fn create_session(
        &self,
        request: AnonymousSessionRequest,
    ) -> Result<AnonymousSession> {
        let code = ErrorCode::AnonymousSession;
        let mut body = Self::body(&request);
        if let Some(metadata) = request.metadata {
            let metadata = metadata.to_json();
            let size = metadata.to_string().len();
            if size > MAX_ANONYMOUS_METADATA_BYTES {
                return Err(Error::invalid_input(
                    code,
                    format!(
                        "the session metadata is {size} bytes; at most {MAX_ANONYMOUS_METADATA_BYTES} are allowed"
                    ),
                ));
            }
            body.insert("metadata".into(), metadata);
        }
        let (mut answer, now) = self.token(body).await?;
        let session_token = answer
            .session_token
            .take()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::new(
                    code,
                    ErrorKind::InvalidResponse,
                    "the create-session answer has no session_token",
                )
            })?;
        Ok(Self::session(
            answer,
            now,
            SecretString::from(session_token),
        ))
    }

    /// A valid session: a fresh access token for the request's
    /// [`session_token`](AnonymousSessionRequest::session_token), or a new session when it
    /// has none (or an empty one). An expired session fails with the server's
    /// `session_expired` or `invalid_session_token`. Metadata is left out here: only
    /// [`create_session`](Self::create_session) sends it.
    pub async fn get_access_token(
        &self,
        mut request: AnonymousSessionRequest,
    ) -> Result<AnonymousSession> {
        let session_token = request
            .session_token
            .take()
            .filter(|s| !s.expose_secret().trim().is_empty());
        let Some(session_token) = session_token else {
            return self
                .create_session(AnonymousSessionRequest {
                    metadata: None,
                    ..request
                })
                .await;
        };
        let mut body = Self::body(&request);
        body.insert("session_token".into(), session_token.expose_secret().into());
        let (answer, now) = self.token(body).await?;
        Ok(Self::session(answer, now, session_token))
    }

    /// Ends the anonymous session (`POST /anonymous/logout`).
    pub async fn logout(&self) -> Result<()> {
        self.post("anonymous/logout", Map::new(), false)
            .await
            .map(|_| ())
    }

    /// Mints a single-use transfer token that carries the anonymous identity into a sign-up
    /// (pass it as the `anon_transfer_token` authorization parameter). Any failure gives
    /// `None`, never an error.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient, session: auth0_auth::AnonymousSession) {
    /// if let Some(transfer) = client.anonymous().mint_transfer_token(&session.session_token).await {
    ///     // send it along as the `anon_transfer_token` authorization parameter
    /// }
    /// # }
    /// ```
    pub async fn mint_transfer_token(&self, session_token: &SecretString) -> Option<SecretString> {
        let mut body = Map::new();
        body.insert("session_token".into(), session_token.expose_secret().into());
        body.insert("audience".into(), ANON_TRANSFER_AUDIENCE.into());
        let response = self.post("anonymous/token", body, true).await.ok()?;
        let value: Value = serde_json::from_slice(&response.body).ok()?;
        value
            .get("anon_transfer_token")
            .and_then(Value::as_str)
            .map(|t| SecretString::from(t.to_string()))
    }
}
