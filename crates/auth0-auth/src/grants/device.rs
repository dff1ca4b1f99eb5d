//! The device authorization flow (RFC 8628): a device without a browser shows a code, the user
//! approves it on another device, and the device polls for tokens.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::client::AuthClient;
use crate::error::{ErrorCode, Result};
use crate::grants::polling::poll_for_tokens;
use crate::grants::required;
use crate::http::Request;
use crate::token::{TokenRequest, TokenResponse};

/// The device-code grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Options of a device authorization.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::DeviceAuthorizationRequest;
///
/// let started = client
///     .start_device_authorization(DeviceAuthorizationRequest::new().scope("openid offline_access"))
///     .await?;
/// println!("Open {} and enter {}", started.verification_uri, started.user_code);
/// let tokens = client.poll_device_authorization(&started).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct DeviceAuthorizationRequest {
    scope: Option<String>,
    audience: Option<String>,
}

impl DeviceAuthorizationRequest {
    /// No options (the tenant's default scope).
    pub fn new() -> Self {
        Self::default()
    }

    /// The requested scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The API the access token is for (`audience`, or `resource` under
    /// [`AudienceParameter::Resource`](crate::AudienceParameter::Resource)).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }
}

/// A started device authorization: show the user code and URI, then poll.
#[derive(Clone, Debug, Deserialize)]
pub struct DeviceAuthorization {
    /// The device's secret code, to poll with.
    pub device_code: SecretString,
    /// The code the user types.
    pub user_code: String,
    /// Where the user goes.
    pub verification_uri: String,
    /// The same, with the user code filled in (for a QR code).
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// How long (seconds) the codes stay valid.
    pub expires_in: u64,
    /// How long (seconds) to wait between polls.
    #[serde(default)]
    pub interval: Option<u64>,
}

impl AuthClient {
    /// Starts a device authorization at the tenant's `device_authorization_endpoint`. Works for
    /// public clients (the usual case for CLIs and TVs).
    pub async fn start_device_authorization(
        &self,
        request: DeviceAuthorizationRequest,
    ) -> Result<DeviceAuthorization> {
        let code = ErrorCode::DeviceAuthorization;
        let metadata = self.metadata(code).await?;
        let endpoint = metadata.endpoint(
            "device_authorization_endpoint",
            metadata.device_authorization_endpoint.as_ref(),
            code,
        )?;
        let auth = self
            .inner
            .auth
            .form(&self.inner.client_id, &metadata.issuer)
            .map_err(|e| e.in_operation(code))?;
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(scope) = &request.scope {
            pairs.push(("scope", scope));
        }
        if let Some(audience) = &request.audience {
            pairs.push(("audience", audience));
            self.name_apis(&mut pairs);
        }
        if auth.header.is_some() {
            pairs.push(("client_id", &self.inner.client_id));
        }
        pairs.extend(auth.fields.pairs());
        self.send(
            Request::new(
                Method::POST,
                endpoint,
                code,
                "the device authorization endpoint",
            )
            .form(&pairs)
            .authorization(auth.header),
        )
        .await?
        .json()
    }

    /// Polls once with a device code ([`DeviceAuthorization::device_code`]). While the user
    /// has not answered, this fails with the server's `authorization_pending` (or
    /// `slow_down`).
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient, started: auth0_auth::DeviceAuthorization) {
    /// match client.device_code_grant(&started.device_code).await {
    ///     Ok(tokens) => { /* signed in */ }
    ///     Err(e) if e.oauth().is_some_and(|o| o.error == "authorization_pending") => { /* later */ }
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # }
    /// ```
    pub async fn device_code_grant(&self, device_code: &SecretString) -> Result<TokenResponse> {
        let code = ErrorCode::DeviceAuthorization;
        let device_code = device_code.expose_secret();
        required(device_code, "the device code", code)?;
        self.request_token(
            TokenRequest::new(code, DEVICE_CODE_GRANT).param("device_code", device_code),
        )
        .await
    }

    /// Polls until the user approves (tokens), denies (`access_denied`) or the codes expire,
    /// with the same rules as CIBA: `interval` before every poll, +5 s on `slow_down`.
    /// Dropping the future cancels it.
    pub async fn poll_device_authorization(
        &self,
        started: &DeviceAuthorization,
    ) -> Result<TokenResponse> {
        poll_for_tokens(
            ErrorCode::DeviceAuthorization,
            "device authorization",
            started.expires_in,
            started.interval,
            || self.device_code_grant(&started.device_code),
        )
        .await
    }
}
