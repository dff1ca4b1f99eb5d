//! # auth0-api: protect your Rust API with Auth0
//!
//! Your API receives access tokens; this crate decides whether to trust them, the way Auth0's
//! `@auth0/auth0-api-js` does for Node APIs, and tells you exactly what to answer when it does
//! not (status and `WWW-Authenticate` challenges, RFC 6750 §3 and RFC 9449 §7.1). It is built
//! on `auth0-auth`: discovery documents and signing keys come from that crate's process-wide
//! caches.
//!
//! ## Verify a bearer token
//!
//! ```no_run
//! use auth0_api::{ApiClient, Audience, VerifyAccessTokenRequest};
//!
//! # async fn demo(authorization_header: &str) -> Result<(), auth0_api::ApiError> {
//! let api = ApiClient::builder("tenant.eu.auth0.com", Audience::new("https://api.example.com/"))
//!     .build()?;
//!
//! let request = VerifyAccessTokenRequest::from_authorization_header(authorization_header)
//!     .required_scopes(["read:messages"]);
//! match api.verify_access_token(request).await {
//!     Ok(claims) => println!("hello {:?}", claims.subject()),
//!     Err(e) => {
//!         // Answer with e.status() and one `WWW-Authenticate` header per e.www_authenticate().
//!         eprintln!("{} {e}", e.status());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! A request without an `Authorization` header gets [`ApiClient::missing_token_error`].
//!
//! ## What is checked
//!
//! 1. The scheme against the DPoP mode (`Bearer` and `DPoP` in [`DpopMode::Allowed`], the
//!    default; `DPoP` only in [`DpopMode::Required`]; `Bearer` only in [`DpopMode::Disabled`]).
//! 2. The signature, with a key from the tenant's JWKS and an algorithm of the allow-list
//!    ([`ApiClientBuilder::algorithms`], default `RS256`; symmetric algorithms are refused).
//! 3. No `crit` header (RFC 7515 §4.1.11: no extension is understood).
//! 4. The type (RFC 9068 §4, RFC 8725 §3.11), see below.
//! 5. `iss` equal to the tenant's issuer; `aud` (a string or an array) holding the audience.
//! 6. `exp` and `iat` present, `exp` not passed, `iat` and `nbf` (when present) not in the
//!    future, all with the clock leeway ([`ApiClientBuilder::clock_leeway`], default 60 s).
//!    NumericDates may have fractions; a date that is not a non-negative number is refused,
//!    never skipped.
//! 7. [`VerifyAccessTokenRequest::required_claims`].
//! 8. DPoP, for bound tokens and the `DPoP` scheme (below).
//! 9. [`required_scopes`](VerifyAccessTokenRequest::required_scopes) (space-delimited
//!    `scope`) and [`required_permissions`](VerifyAccessTokenRequest::required_permissions)
//!    (Auth0's RBAC `permissions` array): `403 insufficient_scope` with the needed scopes in the
//!    challenge.
//! 10. Claim checks, as express-oauth2-jwt-bearer has them:
//!     [`claim_equals`](VerifyAccessTokenRequest::claim_equals),
//!     [`claim_includes`](VerifyAccessTokenRequest::claim_includes) and
//!     [`claim_check`](VerifyAccessTokenRequest::claim_check) (`401 invalid_token`).
//!
//! ### Access tokens, not ID tokens or logout tokens
//!
//! The `typ` header may be `at+jwt` or `application/at+jwt` (RFC 9068), `JWT` or absent (what
//! Auth0 issues), in any case. Any other type (`logout+jwt`, `dpop+jwt`, …) is refused. A token
//! with an `events` claim is a security event token (a back-channel logout token, RFC 8417 /
//! OIDC Back-Channel Logout §2.4) and is refused whatever its type. A token that is not
//! explicitly typed `at+jwt` and carries `nonce`, `at_hash`, `c_hash` or `s_hash` (claims only
//! ID tokens have, OIDC Core §2 and §3.3.2.11), or whose `aud` holds its own `azp` (the party
//! an ID token is issued to is its audience; an access token is issued to an API), is an ID
//! token and is refused. Together with the audience check (ID tokens are issued to a client id,
//! not to an API) this refuses ID tokens and logout tokens presented as access tokens, even for
//! an API whose identifier is a client id.
//!
//! ## DPoP-bound tokens
//!
//! ```no_run
//! use auth0_api::{ApiClient, Audience, DpopMode, VerifyAccessTokenRequest};
//!
//! # async fn demo(authorization: &str, dpop: &str) -> Result<(), auth0_api::ApiError> {
//! let api = ApiClient::builder("tenant.eu.auth0.com", Audience::new("https://api.example.com/"))
//!     .dpop_mode(DpopMode::Required)
//!     .build()?;
//! let claims = api
//!     .verify_access_token(
//!         VerifyAccessTokenRequest::from_authorization_header(authorization)
//!             .dpop_proof(dpop)
//!             .http_method("POST")
//!             .http_url("https://api.example.com/orders"),
//!     )
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! A token with `cnf.jkt` must come as `Authorization: DPoP <token>` with a proof in the `DPoP`
//! header (RFC 9449 §7.1); the `DPoP` scheme with an unbound token is refused. The proof is
//! checked as RFC 9449 §4.3 says: a single proof; `typ` `dpop+jwt`; an allowed asymmetric
//! `alg` ([`ApiClientBuilder::dpop_signing_algs`], default `ES256`); a public `jwk` that
//! verifies the signature; `jti` present and never seen before (a bounded cache,
//! [`ApiClientBuilder::dpop_replay_cache_capacity`]); `htm` equal to the method; `htu` equal to
//! the request URL after normalisation (no query or fragment, lower-case scheme and host,
//! default port dropped, unreserved percent-escapes decoded); `iat` no older than
//! [`dpop_iat_offset`](ApiClientBuilder::dpop_iat_offset) (300 s) and no further ahead than
//! [`dpop_iat_leeway`](ApiClientBuilder::dpop_iat_leeway) (30 s); `ath` equal to the token's
//! hash; the server nonce when [`ApiClientBuilder::dpop_nonces`] is set; and the RFC 7638
//! thumbprint of the key equal to the token's `cnf.jkt`.
//!
//! A client signs every proof with one key under one header, so the key a header carries is
//! read (header checks, key parsing, thumbprint) the first time it verifies a proof and kept,
//! by the exact header text, in a bounded cache (4 MiB, entries idle for 10 minutes leave);
//! later proofs with that header skip straight to their signature and claims. A verification
//! then costs about its two signature checks (the token's and the proof's): `bash
//! bench/compare/run.sh` prints both jobs next to Auth0's Node middleware and the raw floors.
//!
//! ## Answers
//!
//! | failure | status | `error` |
//! |---|---|---|
//! | no token | 401 | none (RFC 6750 §3.1) |
//! | unsupported scheme, proof with `Bearer` on an unbound token, missing proof | 400 | `invalid_request` |
//! | token invalid in any way, bound to another key | 401 | `invalid_token` |
//! | scope or permission missing | 403 | `insufficient_scope` (with `scope`) |
//! | proof invalid or replayed | 401 | `invalid_dpop_proof` (DPoP challenge) |
//! | nonce missing or stale | 401 | `use_dpop_nonce` (and [`ApiError::dpop_nonce`]) |
//! | tenant metadata or keys unreachable | 503 | none |
//!
//! The challenges are `Bearer realm="api", …` and `DPoP …, algs="ES256"`, both in the allowed
//! mode; the error parameters go to the challenge of the scheme the request used (to `DPoP`
//! for proof failures). Quoted values are escaped; `error_description` keeps to the characters
//! RFC 6750 allows. No message contains a token, a proof or a secret.
//!
//! ## Where this differs from auth0-api-js and express-oauth2-jwt-bearer
//!
//! `tests/express_verdicts.rs` gives the same tokens, proofs and requests to this crate and to
//! Auth0's Node middleware `express-oauth2-jwt-bearer` 1.10.0 (pinned in `tests/express/`) and
//! compares the verdicts case by case. They agree (accepted, or refused with the same status and
//! error) except where the middleware departs from an RFC; there this crate follows the RFC:
//!
//! - An invalid DPoP proof (wrong `htm`, `htu`, `ath`, `typ`, a stale `iat`, …) is `401` with
//!   `error="invalid_dpop_proof"` on the `DPoP` challenge, as RFC 9449 §7.1 says for resource
//!   servers; the middleware (and `auth0-api-js`) answers `400`.
//! - An ID token or a back-channel logout token whose `aud` is the API is refused (RFC 9068 §4,
//!   RFC 8725 §3.11, OIDC Back-Channel Logout §2.4); the middleware accepts both with its
//!   default settings.
//! - A DPoP proof used a second time is refused (RFC 9449 §11.1); the middleware (and
//!   `auth0-api-js`) only check that `jti` is a string.
//! - A token whose `iat` is in the future (beyond the leeway) is refused (RFC 7519 §4.1.6: `iat`
//!   is the time of issue); the middleware does not look at it.
//! - The `DPoP` scheme without a proof is `400` naming `error="invalid_request"` (RFC 6750 §3.1:
//!   a missing parameter); the middleware sends no error code.
//!
//! Not covered by the comparison: a failure to fetch the tenant's metadata or keys is `503`
//! here (the client is not at fault); `auth0-api-js` answers `401 invalid_token`.
//!
//! ## Multiple custom domains
//!
//! [`ApiClientBuilder::domains`] accepts tokens from several domains of one tenant (each token
//! is verified with its own issuer's discovery document and keys);
//! [`ApiClientBuilder::domain_resolver`] chooses them per request.
//!
//! ## Calls as a client
//!
//! With [`ApiClientBuilder::client_id`] and [`ApiClientBuilder::client_secret`], the API can
//! exchange the tokens it receives: [`ApiClient::get_access_token_for_connection`] (Token Vault: a
//! federated connection's access token for the same user), [`ApiClient::get_token_by_exchange_profile`]
//! (a custom Token Exchange Profile) and [`ApiClient::get_token_on_behalf_of`] (an access token for a
//! downstream API, for the same user). Without credentials they fail before any request.
//!
//! ## Protected resource metadata
//!
//! [`ProtectedResourceMetadata`] builds the RFC 9728 document to serve at
//! [`PROTECTED_RESOURCE_METADATA_PATH`]; [`ApiClient::protected_resource_metadata`] starts one
//! from the client's configuration.
//!
//! ## Modules
//!
//! `client` (the client and its builder), `verify` (the verification flow), `calls` (the
//! client calls), `claims` (token rules and claim checks, pure), `dpop` (proof checks, pure but
//! for the replay cache), `error` (errors and challenges), `metadata` (RFC 9728). Lower modules
//! never import higher ones: `error` ← `claims`, `dpop`, `metadata` ← `client` ← `verify`,
//! `calls`.
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod calls;
mod claims;
mod client;
mod dpop;
mod error;
mod metadata;
mod verify;

pub use auth0_auth::{SecretString, SigningAlgorithm};
pub use calls::{
    AccessTokenForConnectionRequest, ConnectionTokenSet, ExchangeProfileRequest, OnBehalfOfRequest,
    SubjectTokenType,
};
pub use claims::{AccessTokenClaims, ClaimCheck};
pub use client::{
    ApiClient, ApiClientBuilder, Audience, DEFAULT_CLOCK_LEEWAY, DEFAULT_DPOP_IAT_LEEWAY,
    DEFAULT_DPOP_IAT_OFFSET, DEFAULT_DPOP_REPLAY_CAPACITY, DomainContext, DomainResolver, DpopMode,
};
pub use dpop::{DpopNonces, access_token_hash};
pub use error::{ApiError, ApiErrorCode};
pub use metadata::{BearerMethod, PROTECTED_RESOURCE_METADATA_PATH, ProtectedResourceMetadata};
pub use verify::VerifyAccessTokenRequest;
