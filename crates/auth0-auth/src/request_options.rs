//! Per-request options: extra headers, a timeout, a different HTTP client, and a recorder for
//! the raw response, applied to one call (or a few) without touching the shared client.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
//! use std::time::Duration;
//! use auth0_auth::{ClientCredentialsRequest, RequestOptions, ResponseRecorder};
//!
//! let recorder = ResponseRecorder::new();
//! let tokens = client
//!     .with_options(
//!         RequestOptions::new()
//!             .header("x-correlation-id", "4d2c")
//!             .timeout(Duration::from_secs(3))
//!             .record_response(&recorder),
//!     )
//!     .get_token_by_client_credentials(ClientCredentialsRequest::new().audience("https://api.example.com/"))
//!     .await?;
//! if let Some(raw) = recorder.last() {
//!     println!("HTTP {} with {:?}", raw.status, raw.header("x-ratelimit-remaining"));
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::client::Telemetry;
use crate::error::HttpDetails;

/// Options for the calls made through [`AuthClient::with_options`](crate::AuthClient::with_options).
///
/// They apply to the operation's own request (token, PAR, MFA, …); discovery and key-set
/// fetches, which are cached and shared, always use the client's configuration.
#[derive(Clone, Default)]
pub struct RequestOptions {
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) http_client: Option<reqwest::Client>,
    pub(crate) recorder: Option<ResponseRecorder>,
    pub(crate) invalid_header: Option<String>,
    /// `Some(header)` overrides the client's telemetry header; `Some(None)` leaves it out.
    pub(crate) telemetry: Option<Option<HeaderValue>>,
}

impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestOptions")
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("http_client", &self.http_client.is_some())
            .field("recorder", &self.recorder.is_some())
            .field("telemetry", &self.telemetry.as_ref().map(Option::is_some))
            .finish()
    }
}

impl RequestOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header to the request. The SDK's own `Authorization`, `Auth0-Client`,
    /// `Content-Type` and `DPoP` headers take precedence. A name or value that is not valid
    /// header text makes the call fail with an `InvalidInput` error before any request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => self.headers.push((n, v)),
            _ => self.invalid_header = Some(name.to_string()),
        }
        self
    }

    /// A timeout for the request instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request with this HTTP client instead of the client's (it must carry the
    /// client certificate itself if you use mTLS).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The `Auth0-Client` telemetry header for these calls instead of the client's:
    /// [`Telemetry::Disabled`] leaves it out, [`Telemetry::Custom`] names a wrapper.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::{ClientCredentialsRequest, RequestOptions, Telemetry};
    ///
    /// let tokens = client
    ///     .with_options(RequestOptions::new().telemetry(Telemetry::Disabled))
    ///     .get_token_by_client_credentials(ClientCredentialsRequest::new().audience("https://api.example.com/"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = Some(telemetry.header());
        self
    }

    /// Records the raw response (status, headers, body) of each request made with these
    /// options into `recorder`.
    pub fn record_response(mut self, recorder: &ResponseRecorder) -> Self {
        self.recorder = Some(recorder.clone());
        self
    }
}

/// Keeps the raw responses of calls made with
/// [`RequestOptions::record_response`]: read them next to the parsed value.
///
/// Sensitive headers (`set-cookie`, …) are left out. The body is kept as received, so it may
/// hold tokens: treat a recorder like the tokens themselves.
#[derive(Clone, Default)]
pub struct ResponseRecorder {
    responses: Arc<Mutex<Vec<HttpDetails>>>,
}

impl fmt::Debug for ResponseRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseRecorder")
            .field("responses", &self.len())
            .finish()
    }
}

impl ResponseRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&self, details: HttpDetails) {
        self.lock().push(details);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<HttpDetails>> {
        self.responses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The last recorded response.
    pub fn last(&self) -> Option<HttpDetails> {
        self.lock().last().cloned()
    }

    /// Every recorded response, oldest first.
    pub fn all(&self) -> Vec<HttpDetails> {
        self.lock().clone()
    }

    /// How many responses were recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
