//! # auth0-emulator
//!
//! A local, in-memory, Auth0-compatible tenant: a real HTTP server on 127.0.0.1 that speaks
//! the parts of Auth0's Authentication API the `auth0-auth` SDK uses, signs real RS256 tokens
//! with keys it generates, checks client authentication for real and keeps state (refresh
//! tokens, pending MFA logins, used assertion ids) in memory. Tests, examples and demos run
//! against it with no tenant and no internet.
//!
//! ```no_run
//! use auth0_emulator::{ApiConfig, ClientConfig, Emulator, UserConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let tenant = Emulator::builder()
//!     .client(ClientConfig::confidential("my-app", "my-secret")
//!         .grant_audience("https://api.example.com/", &["read:things"]))
//!     .api(ApiConfig::new("https://api.example.com/", &["read:things"]))
//!     .user(UserConfig::new("jane@example.com", "pa55word").name("Jane"))
//!     .start()
//!     .await?;
//! println!("tenant at {} (issuer {})", tenant.base_url(), tenant.issuer());
//! // … point the SDK at tenant.base_url(), then inspect what it sent:
//! let token_calls = tenant.requests_to("/oauth/token");
//! # let _ = token_calls;
//! tenant.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## What it serves
//! - `GET /.well-known/openid-configuration` and `GET /.well-known/jwks.json`.
//! - `POST /oauth/token` (form or JSON) with `client_credentials`, `password`
//!   (and `password-realm`) and `refresh_token`; client authentication by
//!   `client_secret_post`, `client_secret_basic`, `private_key_jwt` or none (public clients).
//! - The same token endpoint under `/mtls` (the mTLS aliases).
//!
//! ## Errors it answers (JSON `{"error", "error_description"}`)
//! | status | `error` | when |
//! |---|---|---|
//! | 400 | `invalid_request` | a missing parameter (`Missing required parameter: <name>`), an unknown `organization` or `realm`, several client authentication methods at once, a body that is not valid JSON |
//! | 400 | `unsupported_grant_type` | an unknown `grant_type` |
//! | 401 | `invalid_client` | unknown client, missing or wrong secret, a bad `client_assertion` (signature, `iss`/`sub`, `aud`, `exp`, replayed `jti`, …), credentials sent by a public client |
//! | 403 | `unauthorized_client` | a public client using a grant reserved to confidential clients |
//! | 403 | `access_denied` | no client grant for the API (`Client is not authorized to access "<aud>". …`) or an unknown audience (`Service not found: <aud>`) |
//! | 403 | `invalid_grant` | `Wrong email or password.`, `Unknown or invalid refresh token.` |
//! | 403 | `invalid_scope` | a refresh asking for scopes beyond the original grant |
//! | 403 | `mfa_required` | a password login of a user that needs MFA (with `mfa_token` and `mfa_requirements`) |
//! | 404 | `not_found` | unknown routes |
//! | 413 | `request_too_large` | bodies over 1 MiB |
//!
//! ## Making it misbehave
//! [`RunningEmulator::inject_fault`] queues a [`Fault`] (delay, HTML 5xx, malformed or
//! oversized JSON, rate limiting, …) for the next requests to a path;
//! [`RunningEmulator::rotate_signing_key`], [`RunningEmulator::sign_jwt`] and
//! [`RunningEmulator::set_next_id_token`] let tests exercise token validation.
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod client_auth;
mod config;
pub mod demo;
mod discovery;
mod emulator;
mod error;
mod faults;
mod grants;
mod issue;
pub mod keys;
mod log;
mod params;
mod server;
mod state;
mod token;

pub use config::{ApiConfig, ClientConfig, DEFAULT_CONNECTION, OrganizationConfig, UserConfig};
pub use emulator::{Emulator, EmulatorBuilder, RunningEmulator};
pub use faults::Fault;
pub use log::RecordedRequest;
