//! A machine-to-machine service: it gets an access token for an API with the client-credentials
//! grant, keeps it while it is valid, and calls the API with it several times, asking Auth0
//! for a new token only when the old one is about to expire.
//!
//! ```text
//! cargo run --example machine_to_machine
//! ```
//!
//! With no `AUTH0_DOMAIN` in the environment it starts the local tenant emulator in-process and
//! a small stand-in for your API on loopback. Against a real tenant, set `AUTH0_DOMAIN`,
//! `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`, `AUTH0_AUDIENCE` (an API the application is
//! authorized for) and `AUTH0_API_URL` (a URL of that API to GET).

use std::convert::Infallible;
use std::env;
use std::error::Error as StdError;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{AuthClient, ClientCredentialsRequest, ExposeSecret, SecretString};
use tokio::sync::Mutex;

/// The errors of this example.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// A token is renewed when it has less than this many seconds left, so that no call goes out
/// with a token that expires on the way.
pub const RENEW_BEFORE_SECS: u64 = 60;

/// Access tokens for one API, fetched once and reused until they are about to expire.
pub struct ApiTokens {
    client: AuthClient,
    audience: String,
    /// The current token and its expiry (Unix seconds).
    current: Mutex<Option<(SecretString, u64)>>,
    /// How many tokens were requested from the tenant.
    requested: Mutex<usize>,
}

impl ApiTokens {
    /// Tokens for the API `audience`, from a confidential `client`.
    pub fn new(client: AuthClient, audience: impl Into<String>) -> Self {
        Self {
            client,
            audience: audience.into(),
            current: Mutex::new(None),
            requested: Mutex::new(0),
        }
    }

    /// A valid access token: the kept one, or a fresh one when it is missing or about to
    /// expire. Concurrent callers wait for one request instead of each making their own.
    pub async fn access_token(&self) -> auth0_auth::Result<SecretString> {
        let mut current = self.current.lock().await;
        if let Some((token, expires_at)) = current.as_ref()
            && now() + RENEW_BEFORE_SECS < *expires_at
        {
            return Ok(token.clone());
        }
        let tokens = self
            .client
            .get_token_by_client_credentials(
                ClientCredentialsRequest::new().audience(&self.audience),
            )
            .await?;
        *self.requested.lock().await += 1;
        *current = Some((tokens.access_token.clone(), tokens.expires_at));
        Ok(tokens.access_token)
    }

    /// How many tokens were requested so far.
    pub async fn requested(&self) -> usize {
        *self.requested.lock().await
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    /// API calls made.
    pub api_calls: usize,
    /// Tokens requested from the tenant for them.
    pub tokens_requested: usize,
}

/// Calls `api_url` `calls` times with a bearer token for `audience`, reusing the token.
pub async fn run(
    client: AuthClient,
    audience: &str,
    api_url: &str,
    calls: usize,
) -> Result<Report, BoxError> {
    let tokens = ApiTokens::new(client, audience);
    let http = auth0_auth::reqwest::Client::new();
    for i in 1..=calls {
        let token = tokens.access_token().await?;
        let response = http
            .get(api_url)
            .bearer_auth(token.expose_secret())
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            return Err(format!("the API answered {status}").into());
        }
        println!("call {i}: HTTP {status} {body}");
    }
    Ok(Report {
        api_calls: calls,
        tokens_requested: tokens.requested().await,
    })
}

/// A stand-in for your API on the local tenant: it answers `200` with a small JSON body when the
/// request carries a bearer token and `401` otherwise. (A real API verifies the token: its
/// signature against the tenant's key set, issuer, audience and expiry.) Returns its URL.
pub async fn start_demo_api() -> Result<String, BoxError> {
    use http_body_util::Full;
    use hyper::body::{Bytes, Incoming};
    use hyper::{Request, Response, StatusCode};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/orders", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
                    let bearer = request
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("Bearer "))
                        .is_some_and(|token| !token.is_empty());
                    let (status, body) = if bearer {
                        (StatusCode::OK, r#"{"orders":[]}"#)
                    } else {
                        (StatusCode::UNAUTHORIZED, r#"{"error":"unauthorized"}"#)
                    };
                    let mut response =
                        Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                    *response.status_mut() = status;
                    Ok::<_, Infallible>(response)
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    Ok(url)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    if let Ok(domain) = env::var("AUTH0_DOMAIN") {
        let need = |name: &str| {
            env::var(name).map_err(|_| format!("{name} must be set with AUTH0_DOMAIN"))
        };
        let client = AuthClient::builder(&domain, need("AUTH0_CLIENT_ID")?)
            .client_secret(need("AUTH0_CLIENT_SECRET")?)
            .build()?;
        let report = run(client, &need("AUTH0_AUDIENCE")?, &need("AUTH0_API_URL")?, 3).await?;
        println!("{report:?}");
        return Ok(());
    }

    use auth0_emulator::{Emulator, demo};
    let emulator = Emulator::builder().demo_tenant().start().await?;
    println!(
        "No AUTH0_DOMAIN set: started the local tenant emulator at {}.",
        emulator.base_url()
    );
    let api = start_demo_api().await?;
    println!("A stand-in API listens at {api}.");
    let client = AuthClient::builder(emulator.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()?;
    let report = run(client, demo::AUDIENCE, &api, 3).await?;
    println!(
        "{} API calls with {} token request(s) to the tenant.",
        report.api_calls, report.tokens_requested
    );
    Ok(())
}
