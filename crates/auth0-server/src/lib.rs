//! # auth0-server: web-app sessions on top of `auth0-auth`
//!
//! What a server-rendered web application needs beyond the protocol calls, with the operations
//! of Auth0's `@auth0/auth0-server-js` 1.12.1 and cookies it can read and write:
//!
//! - [`ServerClient`]: start and complete an interactive login (carrying your `app_state`),
//!   read the user and the session, get an access token per API (refreshed when it expires),
//!   log out, and handle Auth0's back-channel logout. Also: account linking and unlinking,
//!   back-channel (CIBA) login, passwordless codes and magic links, Token Vault tokens for
//!   federated connections (kept in the session), custom token exchange, session transfer
//!   tokens (log a customer in at another application as an auditable impersonation), and
//!   refresh-token revocation. The MFA, passkey and database APIs are those of the protocol client
//!   ([`ServerClient::auth_client`]).
//! - Stores: the login transaction in an encrypted cookie ([`CookieTransactionStore`], `__a0_tx`);
//!   the session either entirely in encrypted, chunked cookies ([`StatelessStateStore`],
//!   `__a0_session.0`, `.1`, …) or on the server with an encrypted id cookie
//!   ([`StatefulStateStore`] over a [`SessionStore`], such as [`MemorySessionStore`]).
//! - [`CookieJar`]: the one trait a web framework implements (read the request's cookies, set
//!   and delete cookies on the response). [`MemoryCookieJar`] is a ready one.
//!
//! Cookies are compact JWEs (`alg: dir`, `enc: A256CBC-HS512`) keyed by HKDF-SHA-256 from your
//! secret, exactly as auth0-server-js writes them, so a Rust and a Node service can share one
//! login. Several secrets can be listed ([`Secrets::with_previous`]) to rotate one out.
//! Sessions roll: each use extends them by the inactivity duration (1 day) up to the absolute
//! duration (3 days); an identity provider's `session_expiry` claim caps them. Cookies are
//! `HttpOnly`, `SameSite=Lax` and `Secure` by default, with a configurable path and domain.
//!
//! ```no_run
//! # async fn demo() -> Result<(), auth0_server::Error> {
//! use auth0_auth::{AuthClient, AuthorizationParams};
//! use auth0_server::{
//!     AccessTokenRequest, CompleteInteractiveLoginRequest, CookieTransactionStore,
//!     MemoryCookieJar, Secrets, ServerClient, StartInteractiveLoginRequest, StatelessStateStore,
//! };
//!
//! let auth = AuthClient::builder("tenant.eu.auth0.com", "client-id")
//!     .client_secret("client-secret")
//!     .build()?;
//! let secrets = Secrets::new("a long random secret of 32+ characters".into())?;
//! let client = ServerClient::builder(
//!     auth,
//!     CookieTransactionStore::new(secrets.clone()),
//!     StatelessStateStore::new(secrets),
//! )
//! .authorization_params(AuthorizationParams::new().redirect_uri("https://app.example/callback"))
//! .build()?;
//!
//! // The login route: redirect to `url`, send the jar's cookies.
//! let mut jar = MemoryCookieJar::new();
//! let url = client
//!     .start_interactive_login(StartInteractiveLoginRequest::new(), &mut jar)
//!     .await?;
//! // The callback route, with the request's cookies in the jar:
//! # let callback_url = String::new();
//! let done = client
//!     .complete_interactive_login(CompleteInteractiveLoginRequest::new(callback_url), &mut jar)
//!     .await?;
//! // Any later route:
//! let user = client.get_user(&mut jar).await?;
//! let token = client
//!     .get_access_token(AccessTokenRequest::new().audience("https://api.example/"), &mut jar)
//!     .await?;
//! # let _ = (url, done, user, token);
//! # Ok(()) }
//! ```
//!
//! A cookie that was tampered with, truncated, re-ordered or written under a secret no longer
//! listed is refused with [`Error::CookieRejected`] (and deleted, so the next request starts
//! clean); an expired one reads as no session. Errors carry the reference SDK's codes
//! ([`Error::code`]). No message, log line or `Debug` output contains a secret or a token.
//!
//! ## Several domains (resolver mode)
//!
//! One application served under several Auth0 custom domains (one per brand or region) builds
//! its client with [`ServerClient::builder_for_domains`] and a [`MultiDomain`]: a
//! [`DomainResolver`] maps the request's host ([`CookieJar::request_host`]) to its Auth0 domain,
//! a factory builds the protocol client of each domain (kept in a bounded cache), and an
//! allow-list, required, refuses any other domain with [`Error::DomainNotAllowed`] before a
//! single request (a forged `Host` header cannot send the server to a host of its choosing).
//! What follows is what `@auth0/auth0-server-js` does with a domain resolver:
//!
//! - Every session records its domain (`host[:port]`, lower-cased); one without it counts as
//!   its user's issuer's. **A session of another domain is not this request's**: `get_user`
//!   and `get_session` give `None`; `get_access_token`, `get_access_token_for_connection` and
//!   `start_link_user` / `start_unlink_user` fail with [`Error::MissingSession`] ("Session
//!   domain does not match the current domain."); `revoke_refresh_token` does nothing;
//!   `logout` returns the resolved domain's logout URL but neither revokes nor deletes the
//!   other session; a session transfer token without an explicit actor fails with
//!   [`Error::ActorUnavailable`] before any request.
//! - **A login completes where it started**: the transaction remembers its domain, and the
//!   callback's code is exchanged at that domain (still checked against the allow-list),
//!   whatever host the callback arrives on. Magic links alike.
//! - **Back-channel logout** takes the host it was POSTed to
//!   ([`BackchannelLogoutRequest::request_host`]); the logout token's issuer must be that
//!   host's domain ([`Error::BackchannelLogout`] otherwise), and that domain's client verifies
//!   it.
//! - A resolver answering nothing or a blank domain is an [`Error::InvalidConfiguration`].
//! - [`ServerClient::auth_client`], [`ServerClient::mfa`], [`ServerClient::passkey`],
//!   [`ServerClient::database`] and [`ServerClient::custom_token_exchange`] need one static
//!   domain: they do not exist on a multi-domain client (the reference throws at run time;
//!   here it does not compile). The session-keeping MFA, passkey and passwordless completions
//!   work in both modes.
//!
//! ```no_run
//! # fn demo() -> Result<(), auth0_server::Error> {
//! use auth0_auth::AuthClient;
//! use auth0_server::{CookieTransactionStore, MultiDomain, Secrets, ServerClient, StatelessStateStore};
//!
//! let domains = MultiDomain::new(
//!     // `Host: shop.example` is served by `login.shop.example`, and so on.
//!     |host: Option<&str>| host.map(|h| format!("login.{h}")),
//!     |domain: &str| AuthClient::builder(domain, "client-id").client_secret("client-secret").build(),
//! )
//! .allow_domain("login.shop.example")
//! .allow_domain("login.shop.example.de");
//! let secrets = Secrets::new("a long random secret of 32+ characters".into())?;
//! let client = ServerClient::builder_for_domains(
//!     domains,
//!     CookieTransactionStore::new(secrets.clone()),
//!     StatelessStateStore::new(secrets),
//! )
//! .build()?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! ```compile_fail
//! # fn demo(client: auth0_server::ServerClient<auth0_server::CookieTransactionStore,
//! #     auth0_server::StatelessStateStore, auth0_server::MultiDomain>) {
//! // No static domain, no protocol client to hand out.
//! let _ = client.auth_client();
//! # }
//! ```
//!
//! Module map: `crypto` (the JWE and key derivation), `cookies` (the jar seam), `state` (the
//! session and transaction JSON, the clock), `store` (the stores), `client` (the operations;
//! `client::tenancy` the static and resolver modes),
//! `error`. Lower modules never import higher ones; only `client` imports `auth0-auth`'s client.
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod client;
mod cookies;
pub mod crypto;
mod error;
mod state;
mod store;

pub use client::{
    AccessTokenRequest, BackchannelLogoutRequest, CompleteInteractiveLoginRequest,
    CompletePasswordlessRequest, CompletedLogin, ConnectionTokenRequest,
    CustomTokenExchangeRequest, DEFAULT_AUDIENCE_KEY, DEFAULT_SESSION_COOKIE,
    DEFAULT_TRANSACTION_COOKIE, DomainResolver, LinkUserRequest, LoginBackchannelRequest,
    LogoutRequest, MfaLoginRequest, MultiDomain, OneDomain, PasskeyLoginRequest,
    SESSION_TRANSFER_TOKEN_TYPE, ServerClient, ServerClientBuilder, SessionTransferActor,
    SessionTransferRedirectRequest, SessionTransferToken, SessionTransferTokenRequest,
    StartInteractiveLoginRequest, StartPasswordlessRequest, Tenancy, UnlinkUserRequest,
};
pub use cookies::{CookieJar, CookieOptions, MemoryCookieJar, SameSite};
pub use crypto::Secrets;
pub use error::{CookieProblem, Error, Result};
pub use state::{
    Clock, ConnectionTokenSet, InternalStateData, SharedClock, StateData, SystemClock, TokenSet,
    TransactionData,
};
pub use store::{
    CHUNK_SIZE, CookieTransactionStore, DEFAULT_ABSOLUTE_DURATION, DEFAULT_INACTIVITY_DURATION,
    LogoutClaims, MAX_CHUNKS, MemorySessionStore, SessionConfig, SessionStore, StateStore,
    StatefulStateStore, StatelessStateStore, TRANSACTION_MAX_AGE, TransactionStore,
};
