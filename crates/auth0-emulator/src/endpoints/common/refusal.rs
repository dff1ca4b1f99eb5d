//! How browser-facing endpoints refuse: an HTML error page when a redirect cannot be trusted,
//! else a `302` back to the client's `redirect_uri` carrying `error` and `error_description`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::endpoints::common::html;
use crate::tenant::error::OAuthError;

/// Why an authorization request is refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not safe to redirect: a `400` HTML page.
    Page {
        /// The OAuth `error`.
        error: &'static str,
        /// What was wrong.
        description: String,
    },
    /// Sent back to the client.
    Redirect {
        /// The (registered) redirect URI.
        redirect_uri: String,
        /// The request's `state`.
        state: Option<String>,
        /// The OAuth `error`.
        error: &'static str,
        /// What was wrong.
        description: String,
    },
}

impl Refusal {
    /// A page refusal.
    pub(crate) fn page(error: &'static str, description: impl Into<String>) -> Self {
        Self::Page {
            error,
            description: description.into(),
        }
    }

    /// The browser answer: the error page, or a redirect carrying the error and `iss`.
    pub(crate) fn into_response(self, issuer: &str) -> Response {
        match self {
            Self::Page { error, description } => html::error_page(error, &description),
            Self::Redirect {
                redirect_uri,
                state,
                error,
                description,
            } => redirect(
                &redirect_uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(&description)),
                    ("state", state.as_deref()),
                    ("iss", Some(issuer)),
                ],
            ),
        }
    }

    /// The same refusal as a `400` JSON error (for the PAR endpoint).
    pub(crate) fn into_oauth(self) -> OAuthError {
        match self {
            Self::Page { error, description }
            | Self::Redirect {
                error, description, ..
            } => OAuthError::new(StatusCode::BAD_REQUEST, error, description),
        }
    }
}

/// A `302` to `base` with `pairs` (those with a value) added to its query.
pub(crate) fn redirect(base: &str, pairs: &[(&str, Option<&str>)]) -> Response {
    let Ok(mut url) = url::Url::parse(base) else {
        return html::error_page(
            "invalid_request",
            &format!("The redirect URL {base} is not an absolute URL."),
        );
    };
    if pairs.iter().any(|(_, v)| v.is_some()) {
        let mut query = url.query_pairs_mut();
        for (key, value) in pairs {
            if let Some(value) = value {
                query.append_pair(key, value);
            }
        }
    }
    let Ok(location) = HeaderValue::from_str(url.as_str()) else {
        return html::error_page("invalid_request", "The redirect URL cannot be sent.");
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
