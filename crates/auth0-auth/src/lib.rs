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
//! ## Get tokens
//!
//! Required inputs are constructor arguments of a request value; optional ones are chained
//! setters. Every grant goes through one token-endpoint path that adds client authentication,
//! parses the answer, and validates any ID token (signature, issuer, audience, expiry, …)
//! before you see it.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
//! use auth0_auth::{ClientCredentialsRequest, ExposeSecret, PasswordRequest, RefreshTokenRequest};
//!
//! // A machine-to-machine token:
//! let m2m = client
//!     .get_token_by_client_credentials(ClientCredentialsRequest::new("https://api.example.com/"))
//!     .await?;
//! println!("Bearer {}", m2m.access_token.expose_secret());
//!
//! // A user's tokens (trusted first-party apps only):
//! let tokens = client
//!     .get_token_by_password(
//!         PasswordRequest::new("jane@example.com", "password").scope("openid profile offline_access"),
//!     )
//!     .await?;
//! println!("hello {:?}", tokens.claims.as_ref().and_then(|c| c.name()));
//!
//! // Later, without the password:
//! if let Some(refresh) = &tokens.refresh_token {
//!     let fresh = client
//!         .get_token_by_refresh_token(RefreshTokenRequest::new(refresh.expose_secret()))
//!         .await?;
//! }
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
//! # use auth0_auth::PasswordRequest;
//! match client.get_token_by_password(PasswordRequest::new("jane@example.com", "pw")).await {
//!     Err(e) if e.is_mfa_required() => {
//!         let mfa_token = e.mfa_token().unwrap_or_default();
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
//! ## Browser login
//!
//! Send the user to Auth0 with PKCE, then exchange the code the callback brings back. The ID
//! token is validated fully: signature, issuer, audience, expiry, and the nonce, `max_age` and
//! organization when you give them.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient, callback_url: &str) -> auth0_auth::Result<()> {
//! use auth0_auth::{AuthorizationParams, AuthorizationUrlRequest, ExposeSecret, TokenByCodeRequest};
//!
//! let login = client
//!     .build_authorization_url(AuthorizationUrlRequest::new().params(
//!         AuthorizationParams::new()
//!             .redirect_uri("http://localhost:3000/callback")
//!             .state("af0ifjsldkj")
//!             .nonce("n-0S6_WzA2Mj"),
//!     ))
//!     .await?;
//! // redirect to login.url; keep login.code_verifier in the session. Then, on the callback:
//! let tokens = client
//!     .get_token_by_code(
//!         callback_url,
//!         TokenByCodeRequest::new(login.code_verifier.expose_secret())
//!             .expected_state("af0ifjsldkj")
//!             .expected_nonce("n-0S6_WzA2Mj"),
//!     )
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! [`AuthorizationUrlRequest::pushed`] sends the parameters with a pushed authorization request
//! (PAR) first; [`AuthorizationParams::authorization_details`] adds rich authorization
//! details. [`AuthClient::build_link_user_url`] and [`AuthClient::build_unlink_user_url`] make
//! the account-linking URLs.
//!
//! ## Logout
//!
//! [`AuthClient::build_logout_url`] gives the URL that ends the Auth0 session (RP-initiated
//! logout when the tenant offers it, `/v2/logout` otherwise; `federated` as an option).
//! [`AuthClient::verify_logout_token`] verifies the back-channel logout tokens Auth0 POSTs to
//! your application and tells which session and user to log out.
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
//! - MFA: [`AuthClient::mfa`] lists, enrolls, challenges and deletes authenticators with the
//!   `mfa_token` of an `mfa_required` answer, and [`Mfa::verify`] finishes the sign-in.
//! - Passkeys: [`AuthClient::passkey`] gets WebAuthn challenges whose options and credentials
//!   are serde-compatible with the browser's `navigator.credentials`.
//!
//! ## More of the Authentication API
//!
//! [`AuthClient::get_user_info`], [`AuthClient::revoke_token`], [`AuthClient::database`]
//! (sign-up and password change), [`AuthClient::is_federated_domain`] (home-realm discovery)
//! and [`AuthClient::anonymous`] (anonymous sessions).
//!
//! Every network call can take per-request options through [`AuthClient::with_options`]:
//! extra headers, a timeout, another HTTP client, and a [`ResponseRecorder`] that keeps the
//! raw response next to the parsed value.
//!
//! ## Blocking
//!
//! With the `blocking` cargo feature, `AuthClientBuilder::build_blocking` gives a client
//! whose methods block, for command-line tools and synchronous programs.
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
mod userinfo;
mod values;

pub use anonymous::{
    ANON_TRANSFER_AUDIENCE, Anonymous, AnonymousSession, AnonymousSessionRequest,
    MAX_ANONYMOUS_METADATA_BYTES,
};
pub use authorize::{
    AuthorizationParams, AuthorizationUrl, AuthorizationUrlRequest, DEFAULT_SCOPE,
    LinkUserUrlRequest, UnlinkUserUrlRequest,
};
pub use client::{
    AudienceParameter, AuthClient, AuthClientBuilder, DEFAULT_CLOCK_LEEWAY,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Telemetry,
};
pub use client_auth::ClientSecretMethod;
pub use database::{ChangePasswordRequest, Database, SignUpRequest, SignedUpUser};
pub use discovery::{DiscoveryCacheSettings, ServerMetadata};
pub use dpop::DpopKey;
pub use error::{
    Error, ErrorCode, ErrorKind, HttpDetails, MfaFactor, MfaRequirements, OAuthError, Result,
};
pub use grants::ciba::{BackchannelAuthenticationRequest, BackchannelAuthenticationStarted};
pub use grants::client_credentials::ClientCredentialsRequest;
pub use grants::code::TokenByCodeRequest;
pub use grants::device::{DEVICE_CODE_GRANT, DeviceAuthorization, DeviceAuthorizationRequest};
pub use grants::exchange::{
    ACCESS_TOKEN_TYPE, EXTRA_DENY_LIST, ExchangeTokenRequest,
    FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, MAX_EXTRA_VALUES, REFRESH_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT, TOKEN_VAULT_GRANT, TokenForConnectionRequest,
};
pub use grants::password::PasswordRequest;
pub use grants::passwordless::PasswordlessTokenRequest;
pub use grants::refresh::RefreshTokenRequest;
pub use id_token::Claims;
pub use jwt::SigningAlgorithm;
pub use logout::{BACKCHANNEL_LOGOUT_EVENT, LogoutTokenClaims, LogoutUrlRequest};
pub use mfa::{
    Authenticator, AuthenticatorType, Challenge, ChallengeRequest, ChallengeType, EnrollRequest,
    Enrollment, Mfa, MfaVerification, OobChannel, OobEnrollment, OtpEnrollment,
};
pub use passkey::{
    CredentialParameter, PASSKEY_GRANT, Passkey, PasskeyCreationOptions, PasskeyCredential,
    PasskeyCredentialResponse, PasskeyLoginChallenge, PasskeyRegisterRequest,
    PasskeyRequestOptions, PasskeySignupChallenge, PasskeyTokenRequest, PasskeyUser,
    PasskeyUserProfile, RelyingParty,
};
pub use passwordless::{
    DeliveryMethod, OtpChallenge, OtpChallengeRequest, Passwordless, PasswordlessDbTokenRequest,
    PasswordlessSend, SendEmailRequest, SendSmsRequest,
};
pub use request_options::{RequestOptions, ResponseRecorder};
pub use retry::{RateLimit, RetryPolicy};
pub use secrecy::{ExposeSecret, SecretString};
pub use token::TokenResponse;
pub use userinfo::TokenTypeHint;
pub use values::{Connection, UserId};
