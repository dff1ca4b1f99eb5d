//! # auth0-auth: Auth0's Authentication API for Rust
//!
//! An async client for Auth0 tenants (and any standards-following OpenID Provider): build login
//! URLs, get tokens with every grant Auth0 offers, validate ID tokens, and more. It speaks the
//! same wire protocol as Auth0's JavaScript SDK `@auth0/auth0-auth-js`, with method names that
//! mirror it in `snake_case`.
//!
//! ## Create a client
//!
//! One [`AuthClient`] per application, built once and shared (it is cheap to clone):
//!
//! ```no_run
//! use auth0_auth::AuthClient;
//!
//! # fn demo() -> auth0_auth::Result<()> {
//! let client = AuthClient::builder("tenant.eu.auth0.com", "my-client-id")
//!     .client_secret("my-client-secret")
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! The domain is a tenant host (then every URL is `https://{domain}/…`) or a full base URL.
//! Plain `http://` is refused unless the host is loopback, which is how the local tenant
//! emulator (`auth0-emulator`) is reached in tests.
//!
//! The client authenticates, in this order of preference, with mutual TLS
//! ([`use_mtls`](AuthClientBuilder::use_mtls) plus your own
//! [`http_client`](AuthClientBuilder::http_client)), a private-key JWT
//! ([`client_assertion_signing_key`](AuthClientBuilder::client_assertion_signing_key)), or a
//! client secret. With none of them it is a public client (a CLI or native app), which may use
//! the flows Auth0 allows public clients; the others fail before any request with
//! `missing_client_auth_error`.
//!
//! ## How every call looks
//!
//! Every call that goes to the network takes one request value, `client.op(OpRequest::new(…))`:
//!
//! - **Required inputs go to `new`**, optional ones are chained setters named after the wire
//!   parameter (`.scope(…)`, `.audience(…)`, `.organization(…)`). No call takes a positional
//!   `Option`.
//! - **At most one required input is a plain string** (`impl Into<String>`, such as an email
//!   address). Every other one has a type of its own, so two of them cannot be swapped without
//!   a compile error: a connection is a [`Connection`], a user id a [`UserId`], a challenge's
//!   session an [`AuthSession`], and metadata a [`UserMetadata`].
//! - **Secrets are [`SecretString`] both ways**: passwords, one-time codes, refresh tokens, code
//!   verifiers, subject tokens, `mfa_token`s go in as `SecretString`, and every secret the SDK
//!   hands out (access, refresh and ID tokens, device codes, `auth_req_id`s, …) comes out as one.
//!   A value the SDK gave you goes back in as is (`.clone()`); a plain string becomes one with
//!   `.into()`. Their `Debug` output is redacted.
//! - Per-call settings (headers, timeout, HTTP client, telemetry, a response recorder) are not
//!   part of the request: they go through [`AuthClient::with_options`].
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
//! use auth0_auth::{
//!     Connection, PasswordRequest, RefreshTokenRequest, SignUpRequest, UserId, UserInfoRequest,
//! };
//!
//! let db = Connection::new("Username-Password-Authentication");
//! // One plain string (the email), the connection and the password by type:
//! client
//!     .database()
//!     .sign_up(SignUpRequest::new(db.clone(), "jane@example.com", "a long passphrase".into()))
//!     .await?;
//! let tokens = client
//!     .get_token_by_password(
//!         PasswordRequest::new("jane@example.com", "a long passphrase".into())
//!             .realm(db.as_str())
//!             .scope("openid offline_access"),
//!     )
//!     .await?;
//! // Secrets handed out go back in as they are:
//! let user = client
//!     .get_user_info(UserInfoRequest::new(tokens.access_token.clone()))
//!     .await?;
//! if let Some(refresh_token) = &tokens.refresh_token {
//!     client
//!         .get_token_by_refresh_token(RefreshTokenRequest::new(refresh_token.clone()))
//!         .await?;
//! }
//! # let _ = (user, UserId::new("auth0|1"));
//! # Ok(()) }
//! ```
//!
//! ## Get tokens
//!
//! Every grant goes through one token-endpoint path that adds client authentication, parses
//! the answer, and validates any ID token (signature, issuer, audience, expiry, …) before you
//! see it.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
//! use auth0_auth::{ClientCredentialsRequest, ExposeSecret, PasswordRequest, RefreshTokenRequest};
//!
//! // A machine-to-machine token:
//! let m2m = client
//!     .get_token_by_client_credentials(ClientCredentialsRequest::new().audience("https://api.example.com/"))
//!     .await?;
//! println!("Bearer {}", m2m.access_token.expose_secret());
//!
//! // A user's tokens (trusted first-party apps only):
//! let tokens = client
//!     .get_token_by_password(
//!         PasswordRequest::new("jane@example.com", "password".into())
//!             .scope("openid profile offline_access"),
//!     )
//!     .await?;
//! println!("hello {:?}", tokens.claims.as_ref().and_then(|c| c.name()));
//!
//! // Later, without the password:
//! if let Some(refresh) = &tokens.refresh_token {
//!     let fresh = client
//!         .get_token_by_refresh_token(RefreshTokenRequest::new(refresh.clone()))
//!         .await?;
//! }
//! # Ok(()) }
//! ```
//!
//! ## Cache machine-to-machine tokens
//!
//! A [`TokenCache`] keeps client-credentials and exchanged tokens until shortly before they
//! expire, sends one request per key however many tasks ask at once, refreshes in the
//! background ahead of expiry and never keeps an error. Calls through it borrow their request,
//! so a request built once is reused and a hit allocates nothing; they return a
//! [`CachedToken`]. A [`TokenStore`] (such as `auth0-redis`'s) shares tokens across a fleet.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
//! use auth0_auth::{ClientCredentialsRequest, TokenCache};
//! let cache = TokenCache::new();
//! let request = ClientCredentialsRequest::new().audience("https://api.example.com/");
//! let token = client.cached(&cache).get_token_by_client_credentials(&request).await?;
//! # Ok(()) }
//! ```
//!
//! ## Errors
//!
//! Every failure is an [`Error`]. [`Error::code`] names the failed operation with the reference
//! SDK's code strings, [`Error::kind`] says what went wrong underneath, and [`Error::oauth`]
//! carries the server's OAuth error. An `mfa_required` answer carries the `mfa_token` to
//! continue with:
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) {
//! # use auth0_auth::{PasswordRequest, SecretString};
//! match client.get_token_by_password(PasswordRequest::new("jane@example.com", "pw".into())).await {
//!     Err(e) if e.is_mfa_required() => {
//!         let mfa_token = SecretString::from(e.mfa_token().unwrap_or_default());
//!         let mfa = client.mfa(mfa_token);
//!         // continue with the MFA API
//!     }
//!     Err(e) => eprintln!("{e}"),
//!     Ok(tokens) => {}
//! }
//! # }
//! ```
//!
//! No message, log line or `Debug` output contains a client secret, a token, a password or a
//! private key.
//!
//! [`Error::class`] says whose fault a failure is ([`ErrorClass`]: the operator's, the
//! request's, or a passing one worth retrying) and [`Error::suggested_http_status`] what your
//! own endpoint might answer. Text a server sent is escaped in messages; the raw values in
//! [`Error::oauth`] are untrusted.
//!
//! ## Browser login
//!
//! Send the user to Auth0 with PKCE, then exchange the code the callback brings back.
//! [`AuthClient::build_authorization_url`] returns the URL and a [`LoginTransaction`]: the
//! code verifier and everything the login decided (a generated `state`, a generated `nonce`
//! for an `openid` scope, `redirect_uri`, `max_age`, organization, …). Keep the transaction
//! between the two requests (it serializes to JSON); completing the login from it checks the
//! callback's `state` and `iss`, then the ID token fully: signature, issuer, audience, expiry,
//! nonce, `max_age` and organization.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) -> Result<(), Box<dyn std::error::Error>> {
//! use auth0_auth::{AuthorizationParams, AuthorizationUrlRequest, LoginTransaction, TokenByCodeRequest};
//!
//! // The login request: redirect to login.url, keep the transaction in the session.
//! let login = client
//!     .build_authorization_url(AuthorizationUrlRequest::new().params(
//!         AuthorizationParams::new().redirect_uri("http://localhost:3000/callback"),
//!     ))
//!     .await?;
//! let kept = serde_json::to_string(&login.transaction)?;
//!
//! // The callback request, with the path and query the framework hands over:
//! # let callback = String::new();
//! let transaction: LoginTransaction = serde_json::from_str(&kept)?;
//! let tokens = client
//!     .get_token_by_code(TokenByCodeRequest::from_transaction(callback, &transaction))
//!     .await?;
//! println!("hello {:?}", tokens.claims.as_ref().and_then(|c| c.email()));
//! # Ok(()) }
//! ```
//!
//! The callback is read strictly: a repeated `code`, `state`, `iss` or `error` is refused, an
//! `iss` other than the tenant's is refused, and so is a missing one when the tenant
//! advertises `authorization_response_iss_parameter_supported`. The transaction's
//! `redirect_uri` is sent with the code, never one read off the callback;
//! [`TokenByCodeRequest::redirect_uri`] overrides it behind a proxy.
//! [`TokenByCodeRequest::new`] takes a verifier kept by other means and checks what its setters
//! say; without them it refuses a callback that carries a `state` and an ID token that carries
//! a `nonce`. The example `examples/browser_login.rs` runs a whole login against the emulator.
//!
//! [`AuthorizationUrlRequest::pushed`] sends the parameters with a pushed authorization request
//! (PAR) first; [`AuthorizationParams::authorization_details`] adds rich authorization
//! details; [`AuthorizationParams`] has setters for Auth0's documented parameters (`prompt`,
//! `screen_hint`, `connection`, `login_hint`, …). [`AuthClient::build_link_user_url`] and
//! [`AuthClient::build_unlink_user_url`] make the account-linking URLs, with transactions too.
//!
//! ## Logout
//!
//! [`AuthClient::build_logout_url`] gives the URL that ends the Auth0 session (RP-initiated
//! logout when the tenant offers it, `/v2/logout` otherwise; `federated` as an option).
//! [`AuthClient::verify_logout_token`] verifies the back-channel logout tokens Auth0 POSTs to
//! your application and tells which session and user to log out; a [`LogoutTokenReplayGuard`]
//! refuses the same token twice.
//!
//! ## Every other grant
//!
//! - Passwordless: [`AuthClient::passwordless`] starts by email (code or magic link) or SMS;
//!   [`AuthClient::get_token_by_passwordless_email`],
//!   [`AuthClient::get_token_by_passwordless_sms`] and
//!   [`AuthClient::get_token_by_magic_link_code`] finish. One-time codes on database
//!   connections: [`Passwordless::challenge_with_email`] and friends.
//! - Client-initiated back-channel authentication: [`AuthClient::backchannel_authentication`]
//!   asks a user on their phone and polls (interval, `slow_down`, expiry) until they answer.
//! - Token exchange: [`AuthClient::exchange_token`] with an RFC 8693 profile (custom subject
//!   tokens, actor tokens, organizations) or Token Vault (a federated connection's token).
//! - MFA: [`AuthClient::mfa`], given the `mfa_token` of an `mfa_required` answer, lists,
//!   enrolls, challenges and deletes authenticators, and [`Mfa::verify`] finishes the sign-in.
//! - Passkeys: [`AuthClient::passkey`] gets WebAuthn challenges whose options and credentials
//!   are serde-compatible with the browser's `navigator.credentials`.
//!
//! ## More of the Authentication API
//!
//! [`AuthClient::get_user_info`], [`AuthClient::revoke_token`], [`AuthClient::database`]
//! (sign-up and password change), [`AuthClient::is_federated_domain`] (home-realm discovery
//! on the client's tenant; the free function [`is_federated_domain`] asks any tenant) and
//! [`AuthClient::anonymous`] (anonymous sessions).
//!
//! Every network call can take per-request options through [`AuthClient::with_options`]:
//! extra headers, a timeout, another HTTP client, the telemetry header
//! ([`RequestOptions::telemetry`]), and a [`ResponseRecorder`] that keeps the raw response next
//! to the parsed value. The crate re-exports the [`reqwest`] it is built with, for
//! [`AuthClientBuilder::http_client`].
//!
//! ## Blocking
//!
#![cfg_attr(
    feature = "blocking",
    doc = "With the `blocking` cargo feature, [`AuthClientBuilder::build_blocking`] gives a \
           client ([`blocking::AuthClient`]) whose methods block, for command-line tools and \
           synchronous programs."
)]
#![cfg_attr(
    not(feature = "blocking"),
    doc = "With the `blocking` cargo feature, `AuthClientBuilder::build_blocking` gives a \
           client whose methods block, for command-line tools and synchronous programs."
)]
//!
//! ## Discovery
//!
//! The tenant's metadata (`/.well-known/openid-configuration`) is fetched once and cached
//! process-wide (default: 10 minutes, 100 tenants; see
//! [`discovery_cache_ttl`](AuthClientBuilder::discovery_cache_ttl)). Many clients created at
//! once for one tenant cause one request. [`AuthClient::server_metadata`] returns it.
//!
//! ## Testing without a tenant
//!
//! The `auth0-emulator` crate is a local Auth0-compatible tenant: start it in your tests and
//! point the client at its loopback URL. See the repository's `examples/quickstart.rs`.
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod anonymous;
mod authorize;
#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
mod client_auth;
mod database;
mod discovery;
mod domain_discovery;
mod dpop;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod grants;
mod http;
mod id_token;
mod introspection;
mod jar;
mod jwks;
pub mod jws;
mod jwt;
mod logout;
mod mfa;
mod passkey;
mod passwordless;
mod pkce;
mod request_options;
mod retry;
mod token;
mod token_cache;
mod transaction;
mod userinfo;
mod values;
mod warm_up;

pub use anonymous::{
    ANON_TRANSFER_AUDIENCE, Anonymous, AnonymousSession, AnonymousSessionRequest,
    MAX_ANONYMOUS_METADATA_BYTES,
};
pub use authorize::{
    AuthorizationParams, AuthorizationUrl, AuthorizationUrlRequest, DEFAULT_SCOPE, DisplayMode,
    LinkUserUrlRequest, Prompt, UnlinkUserUrlRequest,
};
pub use client::{
    AudienceParameter, AuthClient, AuthClientBuilder, DEFAULT_CLOCK_LEEWAY,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Telemetry,
};
pub use client_auth::ClientSecretMethod;
pub use database::{ChangePasswordRequest, Database, SignUpRequest, SignedUpUser};
pub use discovery::{DiscoveryCacheSettings, ServerMetadata, is_loopback};
pub use domain_discovery::is_federated_domain;
pub use dpop::{DpopKey, DpopProofRequest};
pub use error::{
    Error, ErrorClass, ErrorCode, ErrorKind, HttpDetails, MfaFactor, MfaRequirements, OAuthError,
    Result,
};
pub use grants::ciba::{BackchannelAuthenticationRequest, BackchannelAuthenticationStarted};
pub use grants::client_credentials::ClientCredentialsRequest;
pub use grants::code::{MagicLinkCodeRequest, TokenByCodeRequest};
pub use grants::device::{DEVICE_CODE_GRANT, DeviceAuthorization, DeviceAuthorizationRequest};
pub use grants::exchange::{
    ACCESS_TOKEN_TYPE, EXTRA_DENY_LIST, ExchangeTokenRequest,
    FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, MAX_EXTRA_VALUES, REFRESH_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT, TOKEN_VAULT_GRANT, TokenForConnectionRequest,
};
pub use grants::password::PasswordRequest;
pub use grants::passwordless::PasswordlessTokenRequest;
pub use grants::refresh::RefreshTokenRequest;
pub use id_token::{Address, Claims, VerifyIdTokenRequest};
pub use introspection::{IntrospectTokenRequest, Introspection};
pub use jwt::SigningAlgorithm;
pub use logout::{
    BACKCHANNEL_LOGOUT_EVENT, LogoutTokenClaims, LogoutTokenReplayGuard, LogoutUrlRequest,
    MAX_LOGOUT_JTI_BYTES, VerifyLogoutTokenRequest,
};
pub use mfa::{
    Authenticator, AuthenticatorType, Challenge, ChallengeRequest, ChallengeType, EnrollRequest,
    Enrollment, Mfa, MfaVerification, OobChannel, OobEnrollment, OtpEnrollment,
};
pub use passkey::{
    CredentialParameter, PASSKEY_GRANT, Passkey, PasskeyChallengeRequest, PasskeyCreationOptions,
    PasskeyCredential, PasskeyCredentialResponse, PasskeyLoginChallenge, PasskeyRegisterRequest,
    PasskeyRequestOptions, PasskeySignupChallenge, PasskeyTokenRequest, PasskeyUser,
    PasskeyUserProfile, RelyingParty,
};
pub use passwordless::{
    DeliveryMethod, OtpChallenge, OtpChallengeRequest, Passwordless, PasswordlessDbTokenRequest,
    PasswordlessSend, SendEmailRequest, SendSmsRequest,
};
pub use request_options::{RequestOptions, ResponseRecorder};
/// The `reqwest` this crate is built with: [`AuthClientBuilder::http_client`] and
/// [`RequestOptions::http_client`] take a `reqwest::Client` of exactly this version.
pub use reqwest;
pub use retry::{RateLimit, RetryPolicy};
pub use secrecy::{ExposeSecret, SecretString};
pub use token::TokenResponse;
pub use token_cache::{
    CachedToken, CachedTokens, FetchLock, MemoryTokenStore, TokenCache, TokenKey, TokenStore,
    TokenStoreError,
};
pub use transaction::LoginTransaction;
pub use userinfo::{RevokeTokenRequest, TokenTypeHint, UserInfoRequest};
pub use values::{
    AuthSession, Connection, MAX_USER_METADATA_KEYS, MAX_USER_METADATA_NAME_CHARS,
    MAX_USER_METADATA_VALUE_CHARS, UserId, UserMetadata,
};
