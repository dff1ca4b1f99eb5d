//! Retries that respect rate limits (opt-in with
//! [`AuthClientBuilder::retry_policy`](crate::AuthClientBuilder::retry_policy)).
//!
//! Safe calls (`GET`: discovery, key sets, user info, WebFinger) are retried on 429, 5xx and
//! connection failures. Other calls (token requests, …) are retried only when the server said
//! so: a 429 or 503 carrying `Retry-After` or `X-RateLimit-Reset`. The wait honours those
//! headers, else grows exponentially with full jitter; a per-client budget and a per-call
//! deadline bound the total.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::error::{Error, ErrorKind, HttpDetails, Result};
use crate::http::{Request, Response, Transport};
use crate::request_options::RequestOptions;

/// When and how often to retry.
///
/// ```
/// use std::time::Duration;
/// use auth0_auth::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(5)
///     .deadline(Duration::from_secs(20));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    deadline: Duration,
    budget_per_minute: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
            budget_per_minute: 60,
        }
    }
}

impl RetryPolicy {
    /// At most this many retries per call (default 3).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The first backoff step when the server names no wait (default 250 ms).
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// The longest single wait (default 10 s); a server asking for longer is not retried.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// The longest a call may take, retries included (default 30 s).
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }

    /// How many retries the whole client may make per minute (default 60), so a struggling
    /// server is not flooded.
    pub fn budget_per_minute(mut self, n: u32) -> Self {
        self.budget_per_minute = n;
        self
    }
}

/// The rate-limit state a server reported, from the headers of a 429 (or any response).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// How long the server asked to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The request limit of the window (`X-RateLimit-Limit`).
    pub limit: Option<u64>,
    /// Requests left in the window (`X-RateLimit-Remaining`).
    pub remaining: Option<u64>,
    /// When the window resets, in Unix seconds (`X-RateLimit-Reset`).
    pub reset: Option<u64>,
}

impl RateLimit {
    pub(crate) fn from_details(details: &HttpDetails) -> Option<Self> {
        let number = |name: &str| {
            details
                .header(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let limit = RateLimit {
            retry_after: details.header("retry-after").and_then(parse_retry_after),
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset: number("x-ratelimit-reset"),
        };
        (limit != RateLimit::default() || details.status == 429).then_some(limit)
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The wait the server asked for, if it did.
fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(d) = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
    {
        return Some(d);
    }
    let reset = headers
        .get("x-ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())?;
    Some(Duration::from_secs(reset.saturating_sub(now_unix())))
}

/// A retry policy with its budget (a token bucket refilled over a minute).
pub(crate) struct Retrier {
    policy: RetryPolicy,
    bucket: Mutex<(f64, Instant)>,
}

impl Retrier {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        let full = f64::from(policy.budget_per_minute);
        Self {
            policy,
            bucket: Mutex::new((full, Instant::now())),
        }
    }

    /// Takes one retry from the budget, if any is left.
    fn take_budget(&self) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let capacity = f64::from(self.policy.budget_per_minute);
        let refill = bucket.1.elapsed().as_secs_f64() * capacity / 60.0;
        bucket.0 = (bucket.0 + refill).min(capacity);
        bucket.1 = Instant::now();
        if bucket.0 >= 1.0 {
            bucket.0 -= 1.0;
            true
        } else {
            false
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .policy
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.policy.max_delay);
        // Full jitter: anywhere between zero and the exponential step.
        let mut byte = [0u8; 2];
        let _ = aws_lc_rs::rand::fill(&mut byte);
        let fraction = f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX);
        exp.mul_f64(fraction)
    }

    /// Sends with retries under the policy.
    pub(crate) async fn send(
        &self,
        transport: &Transport,
        request: Request,
        options: Option<&RequestOptions>,
    ) -> Result<Response> {
        let started = Instant::now();
        let safe = request.method == Method::GET;
        let mut attempt = 0u32;
        loop {
            let outcome = transport.send_once(request.clone(), options).await;
            let wait = match &outcome {
                Ok(r) => retry_wait(r, safe)
                    .map(|server| server.unwrap_or_else(|| self.backoff(attempt))),
                Err(e) if safe && matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) => {
                    Some(self.backoff(attempt))
                }
                Err(_) => None,
            };
            let Some(wait) = wait else {
                return outcome;
            };
            let give_up = |why: &str| -> Result<Response> {
                match outcome {
                    Ok(response) => {
                        let mut e = response.into_error();
                        e.append_message(&format!(" (not retried: {why})"));
                        Err(e)
                    }
                    Err(mut e) => {
                        e.append_message(&format!(" (not retried: {why})"));
                        Err(e)
                    }
                }
            };
            if attempt >= self.policy.max_retries {
                return give_up(&format!("{attempt} retries made, the policy's maximum"));
            }
            if wait > self.policy.max_delay {
                return give_up(&format!(
                    "the server asked to wait {wait:?}, longer than allowed"
                ));
            }
            if started.elapsed() + wait > self.policy.deadline {
                return give_up("the call's deadline would pass");
            }
            if !self.take_budget() {
                return give_up("the client's retry budget is spent");
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// Whether a response should be retried: `Some(server wait or None for backoff)`.
fn retry_wait(response: &Response, safe: bool) -> Option<Option<Duration>> {
    let status = response.status.as_u16();
    let asked = server_wait(&response.headers);
    if safe {
        (status == 429 || (500..=599).contains(&status) && status != 501).then_some(asked)
    } else {
        ((status == 429 || status == 503) && asked.is_some()).then_some(asked)
    }
}

impl Error {
    /// The rate-limit details of a rate-limited answer (a 429, or any answer with rate-limit
    /// headers), after retries, if any, were exhausted.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.http().and_then(RateLimit::from_details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn the_budget_runs_out_and_refills() {
        let r = Retrier::new(RetryPolicy::default().budget_per_minute(2));
        assert!(r.take_budget());
        assert!(r.take_budget());
        assert!(!r.take_budget());
    }

    #[test]
    fn backoff_stays_under_the_exponential_step() {
        let r = Retrier::new(RetryPolicy::default());
        for attempt in 0..6 {
            let cap = Duration::from_millis(250)
                .saturating_mul(2u32.pow(attempt))
                .min(Duration::from_secs(10));
            assert!(r.backoff(attempt) <= cap);
        }
    }

    #[test]
    fn rate_limit_details_come_from_headers() {
        let d = HttpDetails {
            status: 429,
            headers: vec![
                ("retry-after".into(), "3".into()),
                ("x-ratelimit-limit".into(), "10".into()),
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), "1700000000".into()),
            ],
            body: String::new(),
        };
        let r = RateLimit::from_details(&d).unwrap();
        assert_eq!(r.retry_after, Some(Duration::from_secs(3)));
        assert_eq!(r.limit, Some(10));
        assert_eq!(r.remaining, Some(0));
        assert_eq!(r.reset, Some(1_700_000_000));
    }
}
