//! [`WebError`]: how a failed login, session or token operation answers the browser. It uses
//! the protocol client's classification (`auth0_auth::Error::class()` and
//! `suggested_http_status()`) and classifies `auth0-server`'s own errors the same way:
//!
//! | failure | answer |
//! |---|---|
//! | no session, expired session, refused session cookie, no refresh token | redirect to login (when the route knows where), else 401 |
//! | no login transaction, a refused callback (state mismatch, denied consent, bad code), bad back-channel logout | 400 (or the suggested 4xx), a short message naming the error code |
//! | operator fault (configuration, crypto, the tenant's setup) | 500 `Internal Server Error`, no detail |
//! | transient fault (network, 5xx, rate limit, the session store) | 503 or 429, no detail |
//!
//! Imports `auth0-auth`'s error classes, `auth0-server`'s error and axum's response types.

use std::fmt;

use auth0_auth::ErrorClass;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A failure of the web integration, answered with [`IntoResponse`].
pub struct WebError {
    kind: Kind,
}

enum Kind {
    /// Send the browser to log in (a path with its `returnTo`).
    Login(String),
    /// An `auth0-server` error.
    Server(auth0_server::Error),
    /// A request this integration refuses itself (status, public message).
    Refused(StatusCode, &'static str),
    /// The layer that carries the request's session is not installed on this route.
    NotInstalled,
}

impl fmt::Debug for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Login(to) => f.debug_tuple("WebError::Login").field(to).finish(),
            Kind::Server(e) => f.debug_tuple("WebError::Server").field(e).finish(),
            Kind::Refused(s, m) => f
                .debug_tuple("WebError::Refused")
                .field(s)
                .field(m)
                .finish(),
            Kind::NotInstalled => f.write_str("WebError::NotInstalled"),
        }
    }
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Login(_) => f.write_str("a login is required"),
            Kind::Server(e) => write!(f, "{e}"),
            Kind::Refused(_, m) => f.write_str(m),
            Kind::NotInstalled => f.write_str(
                "the Auth0 layer is not installed on this route (add `auth.layer()` to the router)",
            ),
        }
    }
}

impl std::error::Error for WebError {}

impl From<auth0_server::Error> for WebError {
    fn from(e: auth0_server::Error) -> Self {
        Self {
            kind: Kind::Server(e),
        }
    }
}

/// Whether `e` means "this browser has no usable session": log in again.
pub(crate) fn needs_login(e: &auth0_server::Error) -> bool {
    use auth0_server::Error as E;
    matches!(
        e,
        E::MissingSession(_)
            | E::SessionExpired
            | E::MissingRefreshToken
            | E::CookieRejected { .. }
    )
}

/// The class of an `auth0-server` error, in the protocol client's terms.
pub fn server_error_class(e: &auth0_server::Error) -> ErrorClass {
    use auth0_server::Error as E;
    match e {
        E::Auth(inner) => inner.class(),
        E::MissingTransaction
        | E::MissingSession(_)
        | E::MissingRefreshToken
        | E::BackchannelLogout(_)
        | E::SessionExpired
        | E::CookieRejected { .. } => ErrorClass::Request,
        E::Store(_) => ErrorClass::Transient,
        _ => ErrorClass::Operator,
    }
}

impl WebError {
    /// Sends the browser to `location` (the login route with its `returnTo`).
    pub(crate) fn login(location: String) -> Self {
        Self {
            kind: Kind::Login(location),
        }
    }

    pub(crate) fn refused(status: StatusCode, message: &'static str) -> Self {
        Self {
            kind: Kind::Refused(status, message),
        }
    }

    pub(crate) fn not_installed() -> Self {
        Self {
            kind: Kind::NotInstalled,
        }
    }

    /// An `auth0-server` error; one meaning "no usable session" becomes a redirect to
    /// `login` when given.
    pub(crate) fn from_server(e: auth0_server::Error, login: Option<String>) -> Self {
        match login {
            Some(location) if needs_login(&e) => Self::login(location),
            _ => Self::from(e),
        }
    }

    /// The `auth0-server` error underneath, if any.
    pub fn server_error(&self) -> Option<&auth0_server::Error> {
        match &self.kind {
            Kind::Server(e) => Some(e),
            _ => None,
        }
    }

    /// The error's class: operator fault, refused request, or transient fault.
    pub fn class(&self) -> ErrorClass {
        match &self.kind {
            Kind::Login(_) | Kind::Refused(..) => ErrorClass::Request,
            Kind::Server(e) => server_error_class(e),
            Kind::NotInstalled => ErrorClass::Operator,
        }
    }

    /// The status of the answer (303 for a redirect to login).
    pub fn status(&self) -> StatusCode {
        use auth0_server::Error as E;
        match &self.kind {
            Kind::Login(_) => StatusCode::SEE_OTHER,
            Kind::Refused(s, _) => *s,
            Kind::NotInstalled => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Server(e) if needs_login(e) => StatusCode::UNAUTHORIZED,
            Kind::Server(E::MissingTransaction | E::BackchannelLogout(_)) => {
                StatusCode::BAD_REQUEST
            }
            Kind::Server(E::Auth(inner)) => StatusCode::from_u16(inner.suggested_http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Kind::Server(e) => match server_error_class(e) {
                ErrorClass::Transient => StatusCode::SERVICE_UNAVAILABLE,
                ErrorClass::Request => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The body text: a short public message for refused requests; the bare status text for
    /// operator and transient faults (no detail reaches the browser).
    fn public_message(&self) -> String {
        let status = self.status();
        let generic = status.canonical_reason().unwrap_or("Error").to_owned();
        match &self.kind {
            Kind::Login(_) | Kind::NotInstalled => generic,
            Kind::Refused(_, m) => (*m).to_owned(),
            Kind::Server(e) => match self.class() {
                ErrorClass::Request => match e {
                    auth0_server::Error::MissingTransaction => {
                        "This login has expired or was started in another browser. Please log in again."
                            .to_owned()
                    }
                    _ if needs_login(e) => "Please log in.".to_owned(),
                    _ => format!("The request was refused ({}).", e.code()),
                },
                _ => generic,
            },
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = match &self.kind {
            Kind::Login(location) => {
                let mut r = StatusCode::SEE_OTHER.into_response();
                if let Ok(v) = HeaderValue::from_str(location) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            _ => (status, self.public_message()).into_response(),
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Whether a [`WebError`] means "no usable session".
pub(crate) fn needs_login_web(e: &WebError) -> bool {
    match &e.kind {
        Kind::Login(_) => true,
        Kind::Server(inner) => needs_login(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth0_server::Error as E;

    async fn body(e: WebError) -> (StatusCode, String) {
        let r = e.into_response();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 10_000).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn operator_faults_are_500_without_detail() {
        let (s, b) = body(WebError::from(E::InvalidConfiguration(
            "secret detail: the-client-secret".into(),
        )))
        .await;
        assert_eq!(s, 500);
        assert_eq!(b, "Internal Server Error");
        let (s, b) = body(WebError::from(E::Crypto("no randomness"))).await;
        assert_eq!(s, 500);
        assert!(!b.contains("randomness"));
        let (s, b) = body(WebError::not_installed()).await;
        assert_eq!(s, 500);
        assert!(!b.contains("layer"));
    }

    #[tokio::test]
    async fn transient_faults_are_503_without_detail() {
        let (s, b) = body(WebError::from(E::Store("redis at 10.0.0.3 refused".into()))).await;
        assert_eq!(s, 503);
        assert!(!b.contains("redis"));
    }

    #[tokio::test]
    async fn missing_session_redirects_to_login_when_known() {
        let e = WebError::from_server(E::SessionExpired, Some("/auth/login?returnTo=%2Fx".into()));
        let r = e.into_response();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[header::LOCATION], "/auth/login?returnTo=%2Fx");
        let (s, _) = body(WebError::from_server(E::MissingRefreshToken, None)).await;
        assert_eq!(s, 401);
    }

    #[tokio::test]
    async fn refused_requests_name_the_code() {
        let (s, b) = body(WebError::from(E::MissingTransaction)).await;
        assert_eq!(s, 400);
        assert!(b.contains("log in again"));
        let (s, b) = body(WebError::from(E::BackchannelLogout(
            "Missing Logout Token".into(),
        )))
        .await;
        assert_eq!(s, 400);
        assert!(b.contains("backchannel_logout_error"));
        assert_eq!(
            server_error_class(&E::MissingTransaction),
            ErrorClass::Request
        );
    }
}
