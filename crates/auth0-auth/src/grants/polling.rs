//! The poll loop shared by CIBA and the device flow: wait `interval` before every poll, add
//! 5 s on `slow_down`, keep going on `authorization_pending`, stop on anything else or at
//! expiry. Dropping the future cancels it.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorCode, ErrorKind, OAuthError, Result};
use crate::token::TokenResponse;

/// The poll interval when the server names none (RFC 8628 and CIBA: 5 s).
pub(crate) const DEFAULT_INTERVAL_SECS: u64 = 5;
/// How much `slow_down` adds to the interval.
pub(crate) const SLOW_DOWN_SECS: u64 = 5;

/// Polls `poll` until it yields tokens or a final error.
pub(crate) async fn poll_for_tokens<F, Fut>(
    code: ErrorCode,
    what: &str,
    expires_in: u64,
    interval: Option<u64>,
    mut poll: F,
) -> Result<TokenResponse>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<TokenResponse>>,
{
    // The server names both numbers: one past any representable instant must not panic.
    // `None` is a deadline that never comes; a wait that cannot be represented never ends
    // before the deadline, so it counts as expiry.
    let deadline = Instant::now().checked_add(Duration::from_secs(expires_in));
    let mut interval = interval.unwrap_or(DEFAULT_INTERVAL_SECS).max(1);
    loop {
        let wait = Duration::from_secs(interval);
        let expired = match (Instant::now().checked_add(wait), deadline) {
            (None, _) => true,
            (Some(next), Some(deadline)) => next > deadline,
            (Some(_), None) => false,
        };
        if expired {
            return Err(Error::new(
                code,
                ErrorKind::OAuth,
                format!("the {what} expired before the user answered"),
            )
            .with_oauth(OAuthError {
                error: "expired_token".into(),
                error_description: None,
                mfa_token: None,
                mfa_requirements: None,
            }));
        }
        tokio::time::sleep(wait).await;
        match poll().await {
            Ok(tokens) => return Ok(tokens),
            Err(e) => match e.oauth().map(|o| o.error.as_str()) {
                Some("authorization_pending") => {}
                Some("slow_down") => interval = interval.saturating_add(SLOW_DOWN_SECS),
                _ => return Err(e),
            },
        }
    }
}
