//! # auth0-axum: Auth0 for axum services
//!
//! With the `api` feature, routes are protected by access tokens that `auth0-api` verifies
//! (Bearer and DPoP-bound tokens alike): a refused request is answered with the right status
//! and `WWW-Authenticate` challenges (RFC 6750 §3, RFC 9449 §7.1), and a handler receives the
//! verified claims.
//!
//! ```no_run
//! # #[cfg(feature = "api")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use auth0_api::{ApiClient, Audience};
//! use auth0_axum::api::{ApiGuard, Authenticated};
//! use axum::{Router, routing::get};
//!
//! let api = ApiClient::builder("tenant.eu.auth0.com", Audience::new("https://api.example.com/"))
//!     .build()?;
//! let guard = ApiGuard::new(api).public_origin("https://api.example.com");
//!
//! async fn messages(Authenticated(claims): Authenticated) -> String {
//!     format!("messages for {}", claims.subject().unwrap_or("?"))
//! }
//!
//! let app: Router = Router::new()
//!     // Any valid token:
//!     .route("/me", get(messages))
//!     // A valid token with a scope (the layer form):
//!     .route("/messages", get(messages).route_layer(guard.require_scopes(["read:messages"])))
//!     .with_state(guard);
//! # Ok(()) }
//! ```
//!
//! ## Modules
//!
//! `api` (feature `api`): the guard, the extractor, the layer and the rejection. It imports
//! `auth0-api` and axum only.
//!
//! `web` (feature `web`): login, logout and sessions for server-rendered apps (the router, the
//! `Session`/`User`/`AccessToken` extractors, the `require_login` layer), over `auth0-server`.
//! It imports `auth0-auth`, `auth0-server`, axum, tokio's `Mutex` and tower's traits.
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(feature = "api")]
pub mod api;
#[cfg(feature = "web")]
pub mod web;
