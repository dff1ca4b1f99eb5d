//! Misbehaviour on demand: tests queue faults for a path and the next requests to that path get
//! them instead of (or, for [`Fault::Delay`], before) the normal answer. Some faults change the
//! normal answer on its way out instead: [`Fault::SlowDrip`], [`Fault::ResetMidBody`] and
//! [`Fault::WrongContentType`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::tenant::state::{lock, now_secs};

/// A way for the emulator to misbehave on one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// `500` with a `text/html` body, as a proxy in front of a tenant would answer.
    ServerErrorHtml,
    /// `200`, `application/json`, with a truncated body: `{"access_token": "abc",`.
    MalformedJson,
    /// `200`, `application/json`, with a body of exactly this many bytes.
    OversizedBody(usize),
    /// This status with an empty body.
    EmptyBody(u16),
    /// This status with this body, as `application/json`.
    Status(u16, String),
    /// `429` with `Retry-After` and `X-RateLimit-*` headers and a `too_many_requests` body.
    RateLimited {
        /// Seconds until the client may retry.
        retry_after_secs: u64,
    },
    /// The normal answer's status and headers (with its full `Content-Length`), then the first
    /// half of its body, then the connection is dropped.
    ResetMidBody,
    /// Never answers: the request is held until the client gives up (the emulator itself
    /// answers `504` after ten minutes).
    NeverAnswer,
    /// The normal answer, its body sent `chunk` bytes at a time with `interval` between chunks.
    SlowDrip {
        /// Bytes per chunk (at least one).
        chunk: usize,
        /// The pause before each chunk after the first.
        interval: Duration,
    },
    /// The normal answer with its `Content-Type` replaced by this one.
    WrongContentType(String),
    /// `302 Found` with `Location` set to this URL and an empty body.
    RedirectTo(String),
    /// Any answer: this status, this `Content-Type`, this body (for example a discovery
    /// document with a foreign issuer, or a key set with malformed keys).
    Body {
        /// The status code.
        status: u16,
        /// The `Content-Type` header.
        content_type: String,
        /// The body.
        body: String,
    },
}

/// How long [`Fault::NeverAnswer`] holds a request before giving up itself (with a `504`).
pub(crate) const NEVER_ANSWER_LIMIT: Duration = Duration::from_secs(600);

/// What the front layer must do with a request after consulting the fault table.
pub(crate) enum Outcome {
    /// Answer normally (possibly after a delay).
    Proceed(Option<Duration>),
    /// Answer with this instead.
    Replace(Response),
    /// Hold the request without answering.
    Hang,
    /// Answer normally, then pass the answer through [`Fault::rewrite`].
    Rewrite,
}

impl Fault {
    /// What to do for a request hit by this fault.
    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            Self::Delay(d) => Outcome::Proceed(Some(*d)),
            Self::NeverAnswer => Outcome::Hang,
            Self::ResetMidBody | Self::SlowDrip { .. } | Self::WrongContentType(_) => {
                Outcome::Rewrite
            }
            other => Outcome::Replace(other.response()),
        }
    }

    /// Changes a normal answer on its way out (for the faults whose outcome is
    /// [`Outcome::Rewrite`]; others leave it alone).
    pub(crate) async fn rewrite(&self, response: Response) -> Response {
        let (mut parts, body) = response.into_parts();
        match self {
            Self::WrongContentType(content_type) => {
                match HeaderValue::from_str(content_type) {
                    Ok(v) => {
                        parts.headers.insert(header::CONTENT_TYPE, v);
                    }
                    Err(_) => {
                        parts.headers.remove(header::CONTENT_TYPE);
                    }
                }
                Response::from_parts(parts, body)
            }
            Self::SlowDrip { chunk, interval } => {
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                parts
                    .headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                Response::from_parts(parts, trickle(bytes, (*chunk).max(1), *interval, false))
            }
            Self::ResetMidBody => {
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                // Promise the whole body, deliver half of it (at least one byte short).
                let full = bytes.len().max(2);
                parts
                    .headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
                let half = bytes.slice(..bytes.len() / 2);
                Response::from_parts(parts, trickle(half, usize::MAX, Duration::ZERO, true))
            }
            _ => Response::from_parts(parts, body),
        }
    }

    fn response(&self) -> Response {
        match self {
            Self::Delay(_)
            | Self::NeverAnswer
            | Self::ResetMidBody
            | Self::SlowDrip { .. }
            | Self::WrongContentType(_) => respond(StatusCode::OK, None, String::new(), &[]),
            Self::RedirectTo(location) => respond(
                StatusCode::FOUND,
                None,
                String::new(),
                &[("location", location.clone())],
            ),
            Self::Body {
                status: code,
                content_type,
                body,
            } => respond(status(*code), Some(content_type), body.clone(), &[]),
            Self::ServerErrorHtml => respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("text/html; charset=utf-8"),
                "<html><head><title>500 Internal Server Error</title></head>\
                 <body><h1>Internal Server Error</h1></body></html>"
                    .to_owned(),
                &[],
            ),
            Self::MalformedJson => respond(
                StatusCode::OK,
                Some(JSON),
                r#"{"access_token": "abc","#.to_owned(),
                &[],
            ),
            Self::OversizedBody(size) => respond(StatusCode::OK, Some(JSON), oversized(*size), &[]),
            Self::EmptyBody(code) => respond(status(*code), None, String::new(), &[]),
            Self::Status(code, body) => respond(status(*code), Some(JSON), body.clone(), &[]),
            Self::RateLimited { retry_after_secs } => {
                let reset = now_secs().saturating_add(*retry_after_secs).to_string();
                let body = serde_json::json!({
                    "error": "too_many_requests",
                    "error_description": "Global limit has been reached",
                    "statusCode": 429,
                })
                .to_string();
                respond(
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(JSON),
                    body,
                    &[
                        ("retry-after", retry_after_secs.to_string()),
                        ("x-ratelimit-limit", "10".to_owned()),
                        ("x-ratelimit-remaining", "0".to_owned()),
                        ("x-ratelimit-reset", reset),
                    ],
                )
            }
        }
    }
}

const JSON: &str = "application/json";

/// A body that sends `bytes` in chunks of `chunk` bytes with `interval` before each chunk after
/// the first, then ends, or, when `then_fail`, fails (which makes the server drop the
/// connection).
fn trickle(bytes: Bytes, chunk: usize, interval: Duration, then_fail: bool) -> Body {
    let stream = futures_util::stream::unfold(
        (bytes, true, then_fail),
        move |(mut rest, first, fail)| async move {
            if rest.is_empty() {
                return fail.then(|| {
                    let reset = std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "fault: connection dropped mid-body",
                    );
                    (Err(reset), (rest, false, false))
                });
            }
            if !first {
                tokio::time::sleep(interval).await;
            }
            let head = rest.split_to(chunk.min(rest.len()));
            Some((Ok(head), (rest, false, fail)))
        },
    );
    Body::from_stream(stream)
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A JSON-looking body of exactly `size` bytes.
fn oversized(size: usize) -> String {
    const HEAD: &str = r#"{"access_token":""#;
    const TAIL: &str = r#""}"#;
    if size < HEAD.len() + TAIL.len() {
        return " ".repeat(size);
    }
    let mut body = String::with_capacity(size);
    body.push_str(HEAD);
    body.extend(std::iter::repeat_n('a', size - HEAD.len() - TAIL.len()));
    body.push_str(TAIL);
    body
}

fn respond(
    status: StatusCode,
    content_type: Option<&str>,
    body: String,
    headers: &[(&str, String)],
) -> Response {
    let mut builder = Response::builder().status(status);
    if let Some(ct) = content_type {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(Body::from(body)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Body::empty());
        *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// Faults queued per exact path; each entry applies to its next `times` requests.
#[derive(Debug, Default)]
pub(crate) struct FaultTable {
    queued: Mutex<HashMap<String, VecDeque<(Fault, usize)>>>,
}

impl FaultTable {
    /// Queues `fault` for the next `times` requests to `path`.
    pub(crate) fn inject(&self, path: &str, fault: Fault, times: usize) {
        if times == 0 {
            return;
        }
        lock(&self.queued)
            .entry(path.to_owned())
            .or_default()
            .push_back((fault, times));
    }

    /// Takes the fault for one request to `path`, if one is queued.
    pub(crate) fn take(&self, path: &str) -> Option<Fault> {
        let mut table = lock(&self.queued);
        let queue = table.get_mut(path)?;
        let (fault, remaining) = queue.front_mut()?;
        let fault = fault.clone();
        *remaining -= 1;
        if *remaining == 0 {
            queue.pop_front();
        }
        if queue.is_empty() {
            table.remove(path);
        }
        Some(fault)
    }

    /// Drops every queued fault.
    pub(crate) fn clear(&self) {
        lock(&self.queued).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_in_order_and_run_out() {
        let table = FaultTable::default();
        table.inject("/a", Fault::ServerErrorHtml, 2);
        table.inject("/a", Fault::MalformedJson, 1);
        table.inject("/b", Fault::MalformedJson, 0);
        assert_eq!(table.take("/a"), Some(Fault::ServerErrorHtml));
        assert_eq!(table.take("/a"), Some(Fault::ServerErrorHtml));
        assert_eq!(table.take("/a"), Some(Fault::MalformedJson));
        assert_eq!(table.take("/a"), None);
        assert_eq!(table.take("/b"), None);
        table.inject("/c", Fault::EmptyBody(502), 5);
        table.clear();
        assert_eq!(table.take("/c"), None);
    }

    #[test]
    fn oversized_bodies_have_the_exact_size() {
        for n in [0, 5, 19, 20, 1000] {
            assert_eq!(oversized(n).len(), n);
        }
    }

    fn normal_answer() -> Response {
        respond(
            StatusCode::OK,
            Some(JSON),
            r#"{"access_token":"abc","expires_in":60}"#.to_owned(),
            &[],
        )
    }

    #[tokio::test]
    async fn rewriting_faults_change_the_normal_answer() {
        assert!(matches!(Fault::NeverAnswer.outcome(), Outcome::Hang));
        for f in [
            Fault::ResetMidBody,
            Fault::WrongContentType("text/plain".into()),
            Fault::SlowDrip {
                chunk: 4,
                interval: Duration::from_millis(1),
            },
        ] {
            assert!(matches!(f.outcome(), Outcome::Rewrite), "{f:?}");
        }

        let r = Fault::WrongContentType("text/plain".into())
            .rewrite(normal_answer())
            .await;
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain");

        // The slow drip delivers the whole body, announced with its length.
        let r = Fault::SlowDrip {
            chunk: 4,
            interval: Duration::from_millis(1),
        }
        .rewrite(normal_answer())
        .await;
        assert_eq!(r.headers()[header::CONTENT_LENGTH], "38");
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], br#"{"access_token":"abc","expires_in":60}"#);

        // The reset promises the whole body and fails after half of it.
        let r = Fault::ResetMidBody.rewrite(normal_answer()).await;
        assert_eq!(r.headers()[header::CONTENT_LENGTH], "38");
        assert!(
            axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .is_err()
        );
    }

    #[test]
    fn replacing_faults_answer_what_they_say() {
        let Outcome::Replace(r) = Fault::RedirectTo("http://127.0.0.1:1/x".into()).outcome() else {
            panic!("a replacement")
        };
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(r.headers()[header::LOCATION], "http://127.0.0.1:1/x");
        let Outcome::Replace(r) = Fault::Body {
            status: 201,
            content_type: "text/html".into(),
            body: "<p>".into(),
        }
        .outcome() else {
            panic!("a replacement")
        };
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html");
    }
}
