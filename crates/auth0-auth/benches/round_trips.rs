//! Loopback round trips against a local emulator, through the public API only:
//!
//! - `client_credentials/secret` and `client_credentials/private_key_jwt`: the difference is
//!   the cost of signing a fresh RS256 client assertion per request (plus the emulator checking
//!   it);
//! - `refresh`: a refresh-token grant whose ID token is validated (signature with the cached
//!   JWKS and every claim rule);
//! - `code_exchange`: exchanging a fresh authorization code (the browser login that makes each
//!   code is not timed), ID token validated;
//! - `floor/raw_post`: a raw `reqwest` POST of a prebuilt client-credentials body to the same
//!   endpoint, the floor the SDK's token requests are measured against.
//!
//! Every round trip includes the emulator's own work (routing, client authentication, signing
//! the tokens), which is the same for every line. Run with
//! `cargo bench -p auth0-auth --bench round_trips`.

use std::time::{Duration, Instant};

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrlRequest, ClientCredentialsRequest,
    ExposeSecret, PasswordRequest, RefreshTokenRequest, TokenByCodeRequest,
};
use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, demo, keys};
use criterion::{Criterion, criterion_group, criterion_main};

const CALLBACK: &str = "http://localhost:3000/callback";
const JWT_CLIENT: &str = "bench-jwt-client";

/// Plays the browser for one login; returns the callback URL.
async fn browser_login(http: &reqwest::Client, tenant: &RunningEmulator, url: &str) -> String {
    let html = http
        .get(url)
        .send()
        .await
        .expect("the login page")
        .text()
        .await
        .expect("HTML");
    let marker = "name=\"tx\" value=\"";
    let start = html.find(marker).expect("a login form") + marker.len();
    let end = html[start..].find('"').expect("a login form") + start;
    let tx = html[start..end].replace("&amp;", "&");
    let submitted = http
        .post(format!("{}/authorize/login", tenant.base_url()))
        .form(&[
            ("tx", tx.as_str()),
            ("username", demo::USERNAME),
            ("password", demo::PASSWORD),
        ])
        .send()
        .await
        .expect("the login form answers");
    let location = submitted
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .expect("text");
    url::Url::parse(&tenant.base_url())
        .expect("a URL")
        .join(location)
        .expect("a URL")
        .to_string()
}

fn round_trips(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let key = keys::generate_rsa();
    let tenant = rt
        .block_on(
            Emulator::builder()
                .demo_tenant()
                .client(
                    ClientConfig::private_key_jwt(JWT_CLIENT, &key.public_key_pem)
                        .grant_audience(demo::AUDIENCE, demo::SCOPES),
                )
                .start(),
        )
        .expect("the emulator starts");
    // The emulator records every request for tests; forget them so its memory stays flat.
    let cleaner = {
        let tenant = tenant.clone();
        rt.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                tenant.clear_requests();
            }
        })
    };
    let client = AuthClient::builder(tenant.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .expect("the client builds");
    let jwt_client = AuthClient::builder(tenant.base_url(), JWT_CLIENT)
        .client_assertion_signing_key(&key.private_key_pem)
        .build()
        .expect("the client builds");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let refresh_token = rt.block_on(async {
        client
            .get_token_by_password(
                PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                    .scope("openid profile offline_access")
                    .audience(demo::AUDIENCE),
            )
            .await
            .expect("the demo user signs in")
            .refresh_token
            .expect("a refresh token")
            .expose_secret()
            .to_string()
    });

    let mut group = c.benchmark_group("round_trips");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("client_credentials/secret", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .get_token_by_client_credentials(
                    ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                )
                .await
                .expect("tokens")
        })
    });
    group.bench_function("client_credentials/private_key_jwt", |b| {
        b.to_async(&rt).iter(|| async {
            jwt_client
                .get_token_by_client_credentials(
                    ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                )
                .await
                .expect("tokens")
        })
    });
    group.bench_function("refresh", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .get_token_by_refresh_token(RefreshTokenRequest::new(refresh_token.clone().into()))
                .await
                .expect("tokens")
        })
    });
    let raw = reqwest::Client::new();
    let token_url = format!("{}/oauth/token", tenant.base_url());
    let body: &'static str = Box::leak(
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("audience", demo::AUDIENCE)
            .append_pair("client_id", demo::CLIENT_ID)
            .append_pair("client_secret", demo::CLIENT_SECRET)
            .finish()
            .into_boxed_str(),
    );
    group.bench_function("floor/raw_post", |b| {
        b.to_async(&rt).iter(|| async {
            raw.post(&token_url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("an answer")
                .bytes()
                .await
                .expect("a body")
        })
    });
    group.sample_size(20);
    group.bench_function("code_exchange", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (client, browser, tenant) = (&client, &browser, &tenant);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let login = client
                        .build_authorization_url(
                            AuthorizationUrlRequest::new()
                                .params(AuthorizationParams::new().redirect_uri(CALLBACK)),
                        )
                        .await
                        .expect("a URL");
                    let callback = browser_login(browser, tenant, login.url.as_str()).await;
                    let t0 = Instant::now();
                    client
                        .get_token_by_code(TokenByCodeRequest::from_transaction(
                            callback,
                            &login.transaction,
                        ))
                        .await
                        .expect("tokens");
                    total += t0.elapsed();
                }
                total
            }
        })
    });
    group.finish();
    cleaner.abort();
    rt.block_on(tenant.shutdown());
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
