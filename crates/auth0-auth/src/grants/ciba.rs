//! Client-initiated back-channel authentication (CIBA): ask a user, on their own device, to
//! approve a login; then poll for the tokens.

use std::fmt;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use crate::authorize::AuthorizationParams;
use crate::client::AuthClient;
use crate::error::{ErrorCode, Result};
use crate::grants::polling::poll_for_tokens;
use crate::grants::required;
use crate::http::Request;
use crate::token::{TokenRequest, TokenResponse};
use crate::values::UserId;

/// The CIBA grant type.
pub(crate) const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// A back-channel authentication request.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::{BackchannelAuthenticationRequest, UserId};
///
/// // Waits (polling) until the user approves on their phone, denies, or the request expires.
/// let tokens = client
///     .backchannel_authentication(
///         BackchannelAuthenticationRequest::new(UserId::new("auth0|user-id"), "Approve transfer #4410?")
///             .requested_expiry(300),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BackchannelAuthenticationRequest {
    user_id: UserId,
    binding_message: String,
    requested_expiry: Option<u64>,
    authorization_details: Option<Value>,
    params: AuthorizationParams,
}

impl BackchannelAuthenticationRequest {
    /// Asks the user `user_id` (the `sub` of the login hint) to approve `binding_message`.
    pub fn new(user_id: UserId, binding_message: impl Into<String>) -> Self {
        Self {
            user_id,
            binding_message: binding_message.into(),
            requested_expiry: None,
            authorization_details: None,
            params: AuthorizationParams::default(),
        }
    }

    /// How long (seconds) the request may wait for the user.
    pub fn requested_expiry(mut self, seconds: u64) -> Self {
        self.requested_expiry = Some(seconds);
        self
    }

    /// Rich authorization details, sent as a JSON string.
    pub fn authorization_details(mut self, details: Value) -> Self {
        self.authorization_details = Some(details);
        self
    }

    /// More authorization parameters (`scope`, `audience`, …), laid over the configured ones.
    /// `audience` is sent as `resource` under
    /// [`AudienceParameter::Resource`](crate::AudienceParameter::Resource).
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }
}

/// A started back-channel authentication: poll it with
/// [`AuthClient::poll_backchannel_authentication`] or
/// [`AuthClient::backchannel_authentication_grant`].
///
/// The `auth_req_id` gets the tokens once the user approves, so it is a secret: `Debug`
/// redacts it.
#[derive(Clone, Deserialize)]
pub struct BackchannelAuthenticationStarted {
    /// The id of the request, to poll with.
    pub auth_req_id: SecretString,
    /// How long (seconds) the request stays valid.
    pub expires_in: u64,
    /// How long (seconds) to wait between polls.
    #[serde(default)]
    pub interval: Option<u64>,
}

impl fmt::Debug for BackchannelAuthenticationStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackchannelAuthenticationStarted")
            .field("auth_req_id", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

impl AuthClient {
    /// Starts a back-channel authentication (`/bc-authorize`) and returns its id, lifetime and
    /// poll interval. Needs a confidential client.
    pub async fn initiate_backchannel_authentication(
        &self,
        request: BackchannelAuthenticationRequest,
    ) -> Result<BackchannelAuthenticationStarted> {
        let code = ErrorCode::BackchannelAuthentication;
        self.inner.auth.require_confidential()?;
        required(
            request.user_id.as_str(),
            "the user id of the login hint",
            code,
        )?;
        required(&request.binding_message, "the binding message", code)?;
        let metadata = self.metadata(code).await?;
        let endpoint = metadata.endpoint(
            "backchannel_authentication_endpoint",
            metadata.backchannel_authentication_endpoint.as_ref(),
            code,
        )?;
        let login_hint = serde_json::json!({
            "format": "iss_sub",
            "iss": metadata.issuer,
            "sub": request.user_id.as_str(),
        });
        let mut params = self
            .merged_authorization_params(request.params)
            .set("client_id", self.inner.client_id.as_str())
            .set("binding_message", request.binding_message)
            .set("login_hint", login_hint.to_string());
        if let Some(expiry) = request.requested_expiry {
            params = params.set("requested_expiry", expiry.to_string());
        }
        if let Some(details) = &request.authorization_details {
            params = params.authorization_details(details);
        }
        let http = Request::new(
            Method::POST,
            endpoint,
            code,
            "the back-channel authentication endpoint",
        );
        let http = self.with_client_auth(http, &params, &metadata.issuer)?;
        self.send(http).await?.json()
    }

    /// Polls once for the tokens of a started back-channel authentication. While the user has
    /// not answered, this fails with the server's `authorization_pending` (or `slow_down`).
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::{BackchannelAuthenticationRequest, UserId};
    ///
    /// let started = client
    ///     .initiate_backchannel_authentication(BackchannelAuthenticationRequest::new(
    ///         UserId::new("auth0|123"),
    ///         "Sign in to the kiosk?",
    ///     ))
    ///     .await?;
    /// let attempt = client.backchannel_authentication_grant(&started.auth_req_id).await;
    /// # Ok(()) }
    /// ```
    pub async fn backchannel_authentication_grant(
        &self,
        auth_req_id: &SecretString,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::BackchannelAuthentication;
        let auth_req_id = auth_req_id.expose_secret();
        required(auth_req_id, "the auth_req_id", code)?;
        self.request_token(
            TokenRequest::new(code, CIBA_GRANT)
                .confidential()
                .param("auth_req_id", auth_req_id),
        )
        .await
    }

    /// Starts a back-channel authentication and polls until the user approves (tokens), denies
    /// (`access_denied`), or the request expires.
    ///
    /// Waits `interval` seconds (default 5) before every poll, adds 5 s whenever the server
    /// says `slow_down`. Dropping the future cancels the wait.
    pub async fn backchannel_authentication(
        &self,
        request: BackchannelAuthenticationRequest,
    ) -> Result<TokenResponse> {
        let started = self.initiate_backchannel_authentication(request).await?;
        self.poll_backchannel_authentication(&started).await
    }

    /// Polls a started back-channel authentication to its end (see
    /// [`backchannel_authentication`](Self::backchannel_authentication)).
    pub async fn poll_backchannel_authentication(
        &self,
        started: &BackchannelAuthenticationStarted,
    ) -> Result<TokenResponse> {
        poll_for_tokens(
            ErrorCode::BackchannelAuthentication,
            "back-channel authentication request",
            started.expires_in,
            started.interval,
            || self.backchannel_authentication_grant(&started.auth_req_id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_request_redacts_its_id() {
        let started: BackchannelAuthenticationStarted = serde_json::from_str(
            r#"{"auth_req_id":"req-secret-42","expires_in":300,"interval":5}"#,
        )
        .unwrap();
        let shown = format!("{started:?}");
        assert!(!shown.contains("req-secret-42"), "{shown}");
        assert!(shown.contains("expires_in: 300"), "{shown}");
        assert_eq!(started.auth_req_id.expose_secret(), "req-secret-42");
    }
}
