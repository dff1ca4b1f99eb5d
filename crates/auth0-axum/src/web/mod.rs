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
