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
//!   `client_secret_post`, `client_secret_basic`, `client_secret_jwt` (HS256 assertions keyed
//!   with the secret), `private_key_jwt` or none (public clients).
//! - The same token endpoint under `/mtls` (the mTLS aliases).
//! - MFA: `GET /mfa/authenticators`, `POST /mfa/associate`, `DELETE /mfa/authenticators/{id}`
//!   (all with `Authorization: Bearer <mfa_token>`), `POST /mfa/challenge`, and the `mfa-otp`
//!   (real TOTP, see [`totp_code`]), `mfa-oob` and `mfa-recovery-code` grants;
//!   [`RunningEmulator::mfa_messages`] shows what was "sent".
//! - Passkeys: `POST /passkey/register`, `POST /passkey/challenge` and the
//!   `urn:okta:params:oauth:grant-type:webauthn` grant, with real WebAuthn checks; tests play
//!   the browser with [`webauthn::SoftwareAuthenticator`].
//! - Browser login: `GET /authorize` (a real HTML login page; `prompt=none` answers from the
//!   `auth0_emulator_session` cookie), `POST /authorize/login` (the page's form), `POST
//!   /oauth/par` (pushed authorization requests, confidential clients) and the
//!   `authorization_code` grant (single-use codes, PKCE `S256`/`plain`, required for public
//!   clients). [`RunningEmulator::sessions`] lists the browser sessions.
//! - Logout: `GET /oidc/logout` and `GET /v2/logout` end the browser session, send the browser
//!   to an allowed logout URL ([`ClientConfig::logout_url`]) and POST back-channel logout
//!   tokens to the clients used in that session ([`ClientConfig::backchannel_logout_uri`]);
//!   see [`RunningEmulator::logouts`], [`RunningEmulator::logout_token`] and
//!   [`RunningEmulator::send_backchannel_logout`].
//! - Passwordless: `POST /passwordless/start` (email code or magic link, SMS code; the
//!   messages are recorded, see [`RunningEmulator::passwordless_messages`]), the magic link
//!   `GET /passwordless/verify_redirect`, and the `passwordless/otp` grant (3 wrong codes burn a
//!   code; users are created on first login).
//! - CIBA: `POST /bc-authorize` and the `urn:openid:params:grant-type:ciba` grant
//!   (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`); tests play the
//!   user with [`RunningEmulator::approve_ciba`] / [`RunningEmulator::deny_ciba`].
//! - Device authorization (RFC 8628): `POST /oauth/device/code`, the `GET`/`POST /activate`
//!   page and the `urn:ietf:params:oauth:grant-type:device_code` grant; tests play the user
//!   with [`RunningEmulator::approve_device`] / [`RunningEmulator::deny_device`].
//! - DPoP (RFC 9449) at the token endpoint (every grant), PAR and `/userinfo`: key-bound
//!   access tokens (`cnf.jkt`, `token_type: DPoP`) and refresh tokens, optional server nonces
//!   ([`EmulatorBuilder::dpop_nonce_required`]).
//! - Token exchange: RFC 8693 profiles ([`TokenExchangeProfile`], with `act` for actor tokens)
//!   and Token Vault ([`FederatedConnection`]). With the audience
//!   `urn:{host:port}:session_transfer` and an actor token, a profile issues a single-use
//!   session transfer token instead, which `GET /authorize?session_transfer_token=…` redeems
//!   without the login form ([`RunningEmulator::set_session_transfer_lifetime`]).
//! - Token introspection (RFC 7662): `POST /oauth/introspect` for confidential clients; the
//!   client's refresh tokens and any unexpired access token the tenant signed are active,
//!   anything else (revoked, expired, unknown) is `{"active": false}`. Plain JSON answers.
//! - Signed request objects (RFC 9101, JAR) at `/authorize` and `/oauth/par`, verified with the
//!   client's registered `private_key_jwt` key (`typ`, signature, `iss`, `aud`, `client_id`,
//!   `exp`, `nbf`); a bad one is `400 invalid_request_object`.
//!
//! ## Errors it answers (JSON `{"error", "error_description"}`)
//! | status | `error` | when |
//! |---|---|---|
//! | 400 | `invalid_request` | a missing parameter (`Missing required parameter: <name>`), an unknown `organization` or `realm`, several client authentication methods at once, a body that is not valid JSON |
//! | 400 | `unsupported_grant_type` | an unknown `grant_type` |
//! | 401 | `invalid_client` | unknown client, missing or wrong secret, a bad `client_assertion` (signature, `iss`/`sub`, `aud`, `exp`, replayed `jti`, …), credentials sent by a public client |
//! | 403 | `unauthorized_client` | a public client using a grant reserved to confidential clients, or a grant the client has not enabled ([`ClientConfig::grant_types`]: `Grant type '<name>' not allowed for the client.`) |
//! | 403 | `access_denied` | no client grant for the API (`Client is not authorized to access "<aud>". …`) or an unknown audience (`Service not found: <aud>`) |
//! | 403 | `invalid_grant` | `Wrong email or password.`, `Unknown or invalid refresh token.` |
//! | 403 | `invalid_grant` | authorization codes: `Invalid authorization code` (unknown, used or expired), `Failed to verify code verifier`, a `redirect_uri` other than the one the code was sent to |
//! | 403 | `invalid_scope` | a refresh asking for scopes beyond the original grant |
//! | 403 | `mfa_required` | a password login of a user that needs MFA (with `mfa_token` and `mfa_requirements`) |
//! | 400 | `authorization_pending` | the `mfa-oob` grant for a push notification not approved yet |
//! | 400 | `unsupported_challenge_type` | `/mfa/challenge` for a factor the user has not enrolled |
//! | 401 | `invalid_token` | `/mfa/authenticators` and `/mfa/associate` without a valid `Authorization: Bearer <mfa_token>` |
//! | 403 | `invalid_grant` | MFA: `Invalid otp_code.`, `Invalid binding_code.`, `Invalid oob_code.`, `Invalid recovery_code.`, `Invalid mfa_token.`; passkeys: a failed WebAuthn check (challenge, origin, RP id, signature, counter) or a used, expired or unknown `auth_session` |
//! | 400 | `invalid_dpop_proof` | a bad `DPoP` proof (`typ`, `alg`, `jwk`, signature, `htm`, `htu`, `iat`, replayed `jti`), a refresh of a DPoP-bound refresh token, or the exchange of a code bound to a DPoP key (PAR with a proof, or `dpop_jkt`), without a proof signed by that key |
//! | 400 | `use_dpop_nonce` | with [`EmulatorBuilder::dpop_nonce_required`]: a proof without the current nonce (the `DPoP-Nonce` header carries it) |
//! | 400 | `authorization_pending`, `slow_down` | device-code polls before the user answered, or sooner than `interval` after the previous one (`interval` grows by 5) |
//! | 403 | `access_denied`, `expired_token` | device-code polls after the user denied, or after the codes expired |
//! | 404 | `not_found` | unknown routes |
//! | 413 | `request_too_large` | bodies over 1 MiB |
//!
//! ## Making it misbehave
//! [`RunningEmulator::inject_fault`] queues a [`Fault`] (delay, HTML 5xx, malformed or
//! oversized JSON, rate limiting, …) for the next requests to a path;
//! [`RunningEmulator::rotate_signing_key`], [`RunningEmulator::sign_jwt`] and
//! [`RunningEmulator::set_next_id_token`] let tests exercise token validation.
//!
//! ## As a program, for tests in any language
//! The `auth0-emulator` binary serves the demo tenant or one declared in a tenant file
//! ([`TenantFile`]; `crates/auth0-emulator/examples/tenant.toml` documents every field) or with
//! one-line flags (`--client`, `--callback`, `--logout-url`, `--user`). Its HTTP control API
//! under [`CONTROL_PREFIX`] (`/__emulator/`, JSON, no authentication) offers what
//! [`RunningEmulator`] offers Rust tests; [`CONTROL_ROUTES`] lists it.
//!
//! ## Inside the emulator
//! The source is four layers, each a folder whose module doc says what lives there and what it
//! may import; imports only point down:
//! 1. `tenant/`: the tenant model (configuration, state, keys, users, sessions, the clock, the
//!    request log, faults, and the state each feature keeps);
//! 2. `protocol/`: protocol pieces that know no routing (token minting, client
//!    authentication, DPoP, WebAuthn and CBOR, TOTP, the MFA and passkey steps);
//! 3. `endpoints/`: the HTTP endpoints, one module or folder per family; families share only
//!    through the layers below or `endpoints/common`;
//! 4. the top: the router (`server.rs`), the builder and test handle (`emulator.rs`, with one
//!    file per feature under `emulator/`), the demo tenant and these re-exports.
//!
//! `tests/layers.rs` reads every source file and fails, naming the file and the import, when
//! an import points up a layer or from one endpoint family into another.
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
// Nothing reachable from a request may panic; the three test-key helpers in `keys` are the
// justified exceptions (documented under `# Panics`).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod control;
pub mod demo;
mod emulator;
mod endpoints;
mod protocol;
mod server;
mod tenant;
mod tenant_file;

pub use protocol::webauthn;
pub use tenant::keys;

pub use control::{CONTROL_PREFIX, CONTROL_ROUTES};
pub use emulator::{Emulator, EmulatorBuilder, RunningEmulator};
pub use protocol::totp::totp_code;
pub use tenant::accounts::PasswordChangeTicket;
pub use tenant::anonymous::AnonymousSessionInfo;
pub use tenant::ciba::{CibaRequestInfo, CibaStatus};
pub use tenant::config::{
    ApiConfig, ClientConfig, DEFAULT_CONNECTION, OrganizationConfig, UserConfig,
};
pub use tenant::device::{DeviceRequestInfo, DeviceStatus};
pub use tenant::exchange_config::{FederatedConnection, TokenExchangeProfile};
pub use tenant::faults::Fault;
pub use tenant::grant_types::{AppType, KNOWN_GRANT_TYPES};
pub use tenant::keys::TokenSigningAlg;
pub use tenant::log::RecordedRequest;
pub use tenant::mfa::MfaMessage;
pub use tenant::otp::OtpChallengeRecord;
pub use tenant::passwordless::PasswordlessMessage;
pub use tenant::session::SessionInfo;
pub use tenant::session::{BackchannelDelivery, LogoutRecord};
pub use tenant_file::{TenantFile, TenantFileError};
