//! The errors of this crate, one variant per class of `@auth0/auth0-server-js` (with its
//! `code` strings), plus the rejected-cookie case and the protocol client's own errors.
//!
//! Imports only `auth0-auth`'s error type. No message here contains a secret, a token or a
//! cookie value.

use std::fmt;

/// Why a cookie was refused. The messages say what was wrong without echoing the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieProblem {
    /// Not a compact JWE of the expected kind, or a payload of the wrong shape.
    Malformed(&'static str),
    /// Its tag did not verify under any listed secret: tampered, truncated, re-ordered, or
    /// written with a secret that is no longer listed.
    NotAuthentic,
    /// Its `exp` has passed.
    Expired,
    /// Longer than any value this crate writes.
    TooLarge,
    /// The chunk cookies (`<name>.<i>`) are not a gap-free run from `.0`.
    BadChunks(&'static str),
}

impl fmt::Display for CookieProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed: {why}"),
            Self::NotAuthentic => f.write_str(
                "it does not verify under any configured secret (tampered, truncated, re-ordered \
                 or written with a secret no longer listed)",
            ),
            Self::Expired => f.write_str("it has expired"),
            Self::TooLarge => f.write_str("it is larger than any cookie this SDK writes"),
            Self::BadChunks(why) => write!(f, "its chunks are inconsistent: {why}"),
        }
    }
}

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No login transaction was found (the callback came without the transaction cookie, or
    /// after it expired).
    #[error("The transaction is missing.")]
    MissingTransaction,
    /// The operation needs a session and there is none.
    #[error("{0}")]
    MissingSession(String),
    /// The access token has expired and the session holds no refresh token.
    #[error(
        "The access token has expired and a refresh token was not provided. The user needs to \
         re-authenticate."
    )]
    MissingRefreshToken,
    /// A back-channel logout could not be handled (no token, or a stateless session store).
    #[error("{0}")]
    BackchannelLogout(String),
    /// A required argument was empty.
    #[error("The argument '{0}' is required but was not provided.")]
    MissingRequiredArgument(&'static str),
    /// A session transfer token was asked for with no actor: none was given and the session
    /// has no usable ID token (no session, none in it, or an expired one that could not be
    /// renewed). Raised before any request.
    #[error("Unable to resolve an actor for the session transfer token: {0}.")]
    ActorUnavailable(&'static str),
    /// The client or a store was configured wrongly.
    #[error("{0}")]
    InvalidConfiguration(String),
    /// A multi-domain client resolved a request to a domain outside its allow-list; refused
    /// before any request (the domain is named, it is no secret).
    #[error("The domain {0:?} is not one of the allowed domains.")]
    DomainNotAllowed(String),
    /// The session passed its absolute lifetime or inactivity limit; the user must log in again.
    #[error("The session has expired. The user needs to re-authenticate.")]
    SessionExpired,
    /// A session or transaction cookie was refused. The offending cookies have been deleted.
    #[error("The cookie {name:?} was refused: {problem}")]
    CookieRejected {
        /// The cookie (or cookie family) name.
        name: String,
        /// What was wrong.
        problem: CookieProblem,
    },
    /// A server-side session store failed.
    #[error("The session store failed: {0}")]
    Store(String),
    /// A cryptographic primitive failed (no randomness, refused key).
    #[error("Cookie encryption failed: {0}")]
    Crypto(&'static str),
    /// The Authentication API call failed (token endpoint, logout token verification, …).
    #[error(transparent)]
    Auth(#[from] auth0_auth::Error),
}

impl Error {
    /// The reference SDK's error code (`missing_transaction_error`, `missing_session_error`,
    /// …); for [`Error::Auth`], the protocol client's code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingTransaction => "missing_transaction_error",
            Self::MissingSession(_) => "missing_session_error",
            Self::MissingRefreshToken => "token_by_refresh_token_error",
            Self::BackchannelLogout(_) => "backchannel_logout_error",
            Self::MissingRequiredArgument(_) => "missing_required_argument_error",
            Self::ActorUnavailable(_) => "actor_unavailable",
            Self::InvalidConfiguration(_) => "invalid_configuration_error",
            Self::DomainNotAllowed(_) => "domain_not_allowed_error",
            Self::SessionExpired => "session_expired",
            Self::CookieRejected { .. } => "invalid_cookie_error",
            Self::Store(_) => "session_store_error",
            Self::Crypto(_) => "cookie_encryption_error",
            Self::Auth(e) => e.code().as_str(),
        }
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
