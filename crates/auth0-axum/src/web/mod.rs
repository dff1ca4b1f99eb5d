//! Feature `web`: Auth0 login for server-rendered axum applications, over `auth0-server`.
//!
//! - [`Auth0Web`] (built in code with [`Auth0Web::builder`] or from the environment with
//!   [`Auth0WebBuilder::from_env`]): the configuration and the `auth0-server` client.
//! - [`Auth0Web::router`]: `/auth/login`, `/auth/callback`, `/auth/logout`,
//!   `/auth/backchannel-logout`, and optionally `/auth/profile` and `/auth/access-token`
//!   (every path configurable, see [`AuthRoute`]).
//! - [`Auth0Web::layer`] and [`Auth0Web::require_login`]: the per-request cookie jar and the
//!   login requirement for route groups; the extractors [`Session`], [`User`] and
//!   [`AccessToken`] read through it.
//! - [`RequestCookieJar`]: `auth0-server`'s `CookieJar` over axum headers.
//! - [`WebError`]: the HTTP answer to a failure (redirect to login, 4xx with a short message,
//!   or a detail-free 500/503).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use auth0_axum::web::{AccessToken, Auth0WebBuilder, Session, User};
//! use axum::{Router, routing::get};
//!
//! // AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_SECRET, APP_BASE_URL.
//! let auth = Auth0WebBuilder::from_env()?.audience("https://api.example.com/").build()?;
//!
//! async fn home(user: Option<User>) -> String {
//!     match user {
//!         Some(User(claims)) => format!("hello {}", claims.get_str("name").unwrap_or("?")),
//!         None => "hello stranger".into(),
//!     }
//! }
//! async fn account(Session(session): Session, token: AccessToken) -> String {
//!     format!("{:?} has a token until {}", session.sub(), token.token_set().expires_at)
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     // A group that needs a logged-in user (others are sent to log in and back).
//!     .merge(Router::new().route("/account", get(account)).route_layer(auth.require_login()))
//!     .merge(auth.router())
//!     .layer(auth.layer());
//! # let _ = app; Ok(()) }
//! ```
//!
//! Files: `config` (builder, environment), `routes` (the router), `extract` (layer and
//! extractors), `jar`, `store` (cookie or server-side sessions behind one type), `redirect`
//! (the `returnTo` policy), `error`. Only `config`, `routes` and `extract` import siblings.

mod config;
mod error;
mod extract;
mod jar;
mod redirect;
mod routes;
mod store;

pub use config::{Auth0Web, Auth0WebBuilder, AuthRoute, DEFAULT_SCOPE, LogoutMethod, WebClient};
pub use error::{WebError, server_error_class};
pub use extract::{AccessToken, Api, Auth0Layer, Auth0Service, DefaultApi, Session, User};
pub use jar::RequestCookieJar;
pub use store::WebStateStore;
