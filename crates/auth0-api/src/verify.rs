//! `verify_access_token`: the request value ([`VerifyAccessTokenRequest`]) and the order of the
//! checks — scheme and DPoP mode, issuer choice, signature (through `auth0_auth::jws`), the
//! token rules of `claims.rs`, the DPoP binding and proof of `dpop.rs`, then scopes and claim
//! checks. Every failure gets its challenges here.
//!
//! Imports every other module of the crate but `metadata.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{ErrorKind, ExposeSecret, SecretString};
use serde_json::Value;

use crate::claims::{AccessTokenClaims, ClaimCheck, TokenRules, check_claims, check_scopes};
use crate::client::{ApiClient, DomainContext, DpopMode, Issuers, normalize_domain};
use crate::dpop::{ProofContext, verify_proof};
use crate::error::{ApiError, ApiErrorCode, Target};

/// The authorization scheme a token came with.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
    Other,
}

impl Scheme {
    fn parse(text: &str) -> Self {
        if text.eq_ignore_ascii_case("bearer") {
            Self::Bearer
        } else if text.eq_ignore_ascii_case("dpop") {
            Self::Dpop
        } else {
            Self::Other
        }
    }
}

/// One access token to verify, with what the request around it says.
///
/// ```
/// use auth0_api::VerifyAccessTokenRequest;
///
/// // From the `Authorization` header (and, for DPoP, the `DPoP` header and the request line):
/// let request = VerifyAccessTokenRequest::from_authorization_header("DPoP eyJ…")
///     .dpop_proof("eyJ…")
///     .http_method("GET")
///     .http_url("https://api.example.com/orders?page=2")
///     .required_scopes(["read:orders"]);
/// ```
#[derive(Clone)]
pub struct VerifyAccessTokenRequest {
    token: SecretString,
    scheme: Option<String>,
    dpop_proof: Option<String>,
    http_method: Option<String>,
    http_url: Option<String>,
    required_claims: Vec<String>,
    required_scopes: Vec<String>,
    required_permissions: Vec<String>,
    checks: Vec<ClaimCheck>,
}

impl fmt::Debug for VerifyAccessTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyAccessTokenRequest")
            .field("token", &"[redacted]")
            .field("scheme", &self.scheme)
            .field(
                "dpop_proof",
                &self.dpop_proof.as_ref().map(|_| "[redacted]"),
            )
            .field("http_method", &self.http_method)
            .field("http_url", &self.http_url)
            .field("required_claims", &self.required_claims)
            .field("required_scopes", &self.required_scopes)
            .field("required_permissions", &self.required_permissions)
            .field("checks", &self.checks)
            .finish()
    }
}

impl VerifyAccessTokenRequest {
    /// A token as it came, without a scheme (treated as `Bearer`).
    pub fn new(token: SecretString) -> Self {
        Self {
            token,
            scheme: None,
            dpop_proof: None,
            http_method: None,
            http_url: None,
            required_claims: Vec::new(),
            required_scopes: Vec::new(),
            required_permissions: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// The token and scheme of an `Authorization` header value (`Bearer <token>` or
    /// `DPoP <token>`, the scheme in any case). A value that is not `<scheme> <token>` leaves
    /// the token empty, which verification answers as a missing token.
    pub fn from_authorization_header(value: &str) -> Self {
        let value = value.trim();
        match value.split_once(' ') {
            Some((scheme, token)) if !scheme.is_empty() && !token.trim().is_empty() => {
                Self::new(SecretString::from(token.trim().to_string())).scheme(scheme)
            }
            _ => Self::new(SecretString::from(String::new())),
        }
    }

    /// The authorization scheme the token came with (`Bearer` or `DPoP`, any case).
    pub fn scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = Some(scheme.into());
        self
    }

    /// The value of the request's `DPoP` header.
    pub fn dpop_proof(mut self, proof: impl Into<String>) -> Self {
        self.dpop_proof = Some(proof.into());
        self
    }

    /// The request method (for the proof's `htm`).
    pub fn http_method(mut self, method: impl Into<String>) -> Self {
        self.http_method = Some(method.into());
        self
    }

    /// The full URL the request was made at, as the client saw it (for the proof's `htu`; also
    /// given to a [`DomainResolver`](crate::DomainResolver)).
    pub fn http_url(mut self, url: impl Into<String>) -> Self {
        self.http_url = Some(url.into());
        self
    }

    /// Claims the token must carry besides `iss`, `aud`, `exp` and `iat`.
    pub fn required_claims<I, S>(mut self, claims: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required_claims
            .extend(claims.into_iter().map(Into::into));
        self
    }

    /// Scopes the token's `scope` must all hold (`403 insufficient_scope` otherwise).
    pub fn required_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required_scopes
            .extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Permissions the token's RBAC `permissions` array must all hold (`403
    /// insufficient_scope` otherwise).
    pub fn required_permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required_permissions
            .extend(permissions.into_iter().map(Into::into));
        self
    }

    /// The claim must exist and equal `value` (`claimEquals`).
    pub fn claim_equals(mut self, claim: impl Into<String>, value: impl Into<Value>) -> Self {
        self.checks.push(ClaimCheck::Equals {
            claim: claim.into(),
            value: value.into(),
        });
        self
    }

    /// The claim (an array or a space-delimited string) must hold every value
    /// (`claimIncludes`).
    pub fn claim_includes<I, S>(mut self, claim: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.checks.push(ClaimCheck::Includes {
            claim: claim.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// `check` must say yes (`claimCheck`); `description` is the error message otherwise.
    pub fn claim_check(
        mut self,
        description: impl Into<String>,
        check: impl Fn(&AccessTokenClaims) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(ClaimCheck::Predicate {
            description: description.into(),
            check: Arc::new(check),
        });
        self
    }
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl ApiClient {
    /// The error to answer a request that carries no access token with: `401` and the
    /// challenges of the DPoP mode, naming no error (RFC 6750 §3.1).
    pub fn missing_token_error(&self) -> ApiError {
        self.fail(
            ApiError::new(ApiErrorCode::MissingToken, "no access token was sent"),
            Target::Bearer,
        )
    }

    /// The error to answer a request with that is malformed before any token can be read (two
    /// `Authorization` headers, a header that is not text, …): `400 invalid_request` with the
    /// challenges of the DPoP mode. For framework integrations; `message` must not contain
    /// request data.
    pub fn invalid_request_error(&self, message: impl Into<String>) -> ApiError {
        self.fail(
            ApiError::new(ApiErrorCode::InvalidRequest, message),
            Target::Bearer,
        )
    }

    /// Checks claims that already passed [`verify_access_token`](Self::verify_access_token)
    /// against more required scopes and permissions (for nested layers of a framework
    /// integration, where an outer layer verified the token): `403 insufficient_scope` naming
    /// them, on the `DPoP` challenge for a DPoP-bound token.
    pub fn check_required_scopes(
        &self,
        claims: &AccessTokenClaims,
        scopes: &[String],
        permissions: &[String],
    ) -> Result<(), ApiError> {
        let target = if claims.confirmation_jkt().is_some() && self.inner.mode != DpopMode::Disabled
        {
            Target::Dpop
        } else {
            Target::Bearer
        };
        check_scopes(claims, scopes, permissions).map_err(|(e, scope)| {
            e.challenged(
                self.inner.mode,
                &self.inner.dpop.algs_text,
                target,
                Some(&scope),
            )
        })
    }

    fn fail(&self, error: ApiError, target: Target) -> ApiError {
        error.challenged(self.inner.mode, &self.inner.dpop.algs_text, target, None)
    }

    /// Verifies an access token (and its DPoP proof) and returns its claims.
    ///
    /// In order: the scheme against the DPoP mode; the issuer (the builder's domain, or one of
    /// the listed or resolved domains); the signature, with a key of that tenant and an allowed
    /// algorithm; no `crit` header; the type (`at+jwt`, `application/at+jwt`, `JWT` or none,
    /// and no ID-token or logout-token claims); `iss`; `aud` (string or array) holding the
    /// audience; `exp`, `iat` and `nbf` with leeway; the required claims; then for DPoP the
    /// binding and the proof; then scopes, permissions and claim checks.
    pub async fn verify_access_token(
        &self,
        request: VerifyAccessTokenRequest,
    ) -> Result<AccessTokenClaims, ApiError> {
        let mode = self.inner.mode;
        let scheme = request
            .scheme
            .as_deref()
            .map(Scheme::parse)
            .unwrap_or(Scheme::Bearer);
        let bearer_or_dpop = if scheme == Scheme::Dpop {
            Target::Dpop
        } else {
            Target::Bearer
        };
        let req_error = |m: &str| ApiError::new(ApiErrorCode::InvalidRequest, m);
        let bad_scheme = || req_error("the authorization scheme is not supported");
        match (mode, &scheme) {
            (DpopMode::Disabled, Scheme::Bearer) => {}
            // As the reference: a scheme the mode does not take names no error in the
            // challenges, which tell the client the schemes that are.
            (DpopMode::Disabled, _)
            | (DpopMode::Allowed, Scheme::Other)
            | (DpopMode::Required, Scheme::Bearer | Scheme::Other) => {
                return Err(self.fail(bad_scheme(), Target::Neither));
            }
            _ => {}
        }
        let has_dpop_params = request.dpop_proof.is_some() || request.http_method.is_some();
        if mode != DpopMode::Disabled && has_dpop_params && request.scheme.is_none() {
            return Err(self.fail(
                req_error("DPoP parameters were given without an authorization scheme"),
                Target::Neither,
            ));
        }
        let token = request.token.expose_secret();
        if token.trim().is_empty() {
            return Err(self.missing_token_error());
        }
        let invalid =
            |m: &str| self.fail(ApiError::new(ApiErrorCode::InvalidToken, m), bearer_or_dpop);

        // Which tenant's keys: with several, read `iss` before trusting it, only to pick one.
        let client = match &self.inner.issuers {
            Issuers::Single => self.inner.auth.clone(),
            listed => {
                let unverified = auth0_auth::jws::decode_unverified(token)
                    .map_err(|_| invalid("the access token is not a well-formed JWT"))?;
                let iss = unverified
                    .claims
                    .get("iss")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("missing required \"iss\" claim"))?;
                let allowed: Vec<String> = match listed {
                    Issuers::List(list) => list.clone(),
                    Issuers::Resolver(resolve) => resolve(&DomainContext {
                        url: request.http_url.as_deref(),
                        unverified_issuer: iss,
                    })
                    .iter()
                    .filter_map(|d| normalize_domain(d).ok())
                    .collect(),
                    Issuers::Single => Vec::new(),
                };
                if !allowed.iter().any(|d| d == iss) {
                    return Err(invalid(
                        "the \"iss\" claim is not one of the accepted domains",
                    ));
                }
                self.client_for(iss)
                    .await
                    .map_err(|e| self.fail(e, bearer_or_dpop))?
            }
        };
        let verified = client
            .verify_jws_claims(token, &self.inner.algs)
            .await
            .map_err(|e| {
                let error = if e.kind() == ErrorKind::TokenValidation {
                    ApiError::new(
                        ApiErrorCode::InvalidToken,
                        "the access token signature or algorithm is not valid",
                    )
                } else {
                    ApiError::new(
                        ApiErrorCode::Unavailable,
                        "the tenant's metadata or signing keys could not be fetched",
                    )
                };
                self.fail(error.with_source(e), bearer_or_dpop)
            })?;
        check_claims(
            verified.typ.as_ref(),
            &verified.claims,
            &TokenRules {
                issuer: &verified.issuer,
                audience: self.inner.audience.as_str(),
                now: now_secs(),
                leeway: self.inner.leeway.as_secs_f64(),
                required_claims: &request.required_claims,
            },
        )
        .map_err(|e| self.fail(e, bearer_or_dpop))?;
        let claims = AccessTokenClaims::new(verified.claims);

        if mode != DpopMode::Disabled {
            self.check_dpop(&request, &scheme, token, &claims).await?;
        }

        check_scopes(
            &claims,
            &request.required_scopes,
            &request.required_permissions,
        )
        .map_err(|(e, scope)| {
            e.challenged(
                mode,
                &self.inner.dpop.algs_text,
                bearer_or_dpop,
                Some(&scope),
            )
        })?;
        for check in &request.checks {
            check
                .apply(&claims)
                .map_err(|e| self.fail(e, bearer_or_dpop))?;
        }
        Ok(claims)
    }

    /// The DPoP part (modes `allowed` and `required`), after the token itself verified.
    async fn check_dpop(
        &self,
        request: &VerifyAccessTokenRequest,
        scheme: &Scheme,
        token: &str,
        claims: &AccessTokenClaims,
    ) -> Result<(), ApiError> {
        let bound = claims.confirmation_jkt();
        let has_proof = request.dpop_proof.is_some();
        let dpop_fail = |code, m: &str| self.fail(ApiError::new(code, m), Target::Dpop);
        match (scheme, bound) {
            (Scheme::Bearer, None) if has_proof => {
                return Err(self.fail(
                    ApiError::new(
                        ApiErrorCode::InvalidRequest,
                        "a DPoP proof needs the DPoP authorization scheme, not Bearer",
                    ),
                    Target::Bearer,
                ));
            }
            (Scheme::Bearer, None) => return Ok(()),
            (Scheme::Bearer, Some(_)) => {
                return Err(self.fail(
                    ApiError::new(
                        ApiErrorCode::InvalidToken,
                        "a DPoP-bound token needs the DPoP authorization scheme, not Bearer",
                    ),
                    Target::Bearer,
                ));
            }
            (_, None) => {
                return Err(dpop_fail(
                    ApiErrorCode::InvalidToken,
                    "the access token is not DPoP-bound (no cnf.jkt)",
                ));
            }
            (_, Some(_)) => {}
        }
        let jkt = bound.unwrap_or_default();
        let Some(proof) = request.dpop_proof.as_deref().filter(|p| !p.is_empty()) else {
            return Err(dpop_fail(
                ApiErrorCode::InvalidRequest,
                "the DPoP proof is missing",
            ));
        };
        let Some(method) = request.http_method.as_deref().filter(|m| !m.is_empty()) else {
            return Err(dpop_fail(
                ApiErrorCode::InvalidRequest,
                "the request method is needed to check a DPoP proof",
            ));
        };
        let Some(url) = request.http_url.as_deref().filter(|u| !u.is_empty()) else {
            return Err(dpop_fail(
                ApiErrorCode::InvalidRequest,
                "the request URL is needed to check a DPoP proof",
            ));
        };
        verify_proof(
            &self.inner.dpop,
            &ProofContext {
                proof,
                access_token: token,
                method,
                url,
                cnf_jkt: jkt,
                now: now_secs(),
            },
        )
        .await
        .map_err(|e| self.fail(e, Target::Dpop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_split_into_scheme_and_token() {
        let r = VerifyAccessTokenRequest::from_authorization_header("dpop  abc.def.ghi ");
        assert_eq!(r.scheme.as_deref(), Some("dpop"));
        assert_eq!(r.token.expose_secret(), "abc.def.ghi");
        let r = VerifyAccessTokenRequest::from_authorization_header("Bearer");
        assert!(r.token.expose_secret().is_empty());
        assert_eq!(Scheme::parse("BEARER"), Scheme::Bearer);
        assert_eq!(Scheme::parse("Basic"), Scheme::Other);
    }

    #[test]
    fn debug_output_redacts_the_token_and_proof() {
        let r = VerifyAccessTokenRequest::new(SecretString::from("secret-token".to_string()))
            .dpop_proof("secret-proof");
        let text = format!("{r:?}");
        assert!(
            !text.contains("secret-token") && !text.contains("secret-proof"),
            "{text}"
        );
    }
}
