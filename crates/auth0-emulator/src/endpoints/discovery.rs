//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::tenant::keys::TokenSigningAlg;
use crate::tenant::state::{Shared, Tenant};

/// The OpenID Provider metadata; `grant_types` are the token endpoint's (the router passes
/// them, so this family does not reach into the token family).
pub(crate) fn openid_configuration(shared: &Shared, grant_types: &[&str]) -> Json<Value> {
    Json(metadata(&shared.tenant, grant_types))
}

/// The public signing keys.
pub(crate) async fn jwks(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(shared.keys().jwks())
}

/// Builds the metadata document; every endpoint is under the issuer.
pub(crate) fn metadata(tenant: &Tenant, grant_types: &[&str]) -> Value {
    let url = |path: &str| tenant.url(path);
    let mut doc = json!({
        "issuer": tenant.issuer,
        "authorization_endpoint": url("authorize"),
        "token_endpoint": url("oauth/token"),
        "device_authorization_endpoint": url("oauth/device/code"),
        "userinfo_endpoint": url("userinfo"),
        "mfa_challenge_endpoint": url("mfa/challenge"),
        "jwks_uri": url(".well-known/jwks.json"),
        "registration_endpoint": url("oidc/register"),
        "revocation_endpoint": url("oauth/revoke"),
        "introspection_endpoint": url("oauth/introspect"),
        "backchannel_authentication_endpoint": url("bc-authorize"),
        "scopes_supported": [
            "openid", "profile", "offline_access", "name", "given_name", "family_name",
            "nickname", "email", "email_verified", "picture", "created_at", "identities",
            "phone", "address"
        ],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": match tenant.token_signing_alg {
            TokenSigningAlg::RS256 => json!(["HS256", "RS256", "PS256"]),
            TokenSigningAlg::ES256 => json!(["ES256", "HS256", "RS256", "PS256"]),
        },
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt",
            "tls_client_auth"
        ],
        "token_endpoint_auth_signing_alg_values_supported": [
            "HS256", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384"
        ],
        "dpop_signing_alg_values_supported": crate::protocol::dpop::ALGS,
        "claims_supported": [
            "aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name",
            "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
            "picture", "sub", "sid", "org_id", "org_name"
        ],
        "request_uri_parameter_supported": false,
        "request_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "backchannel_token_delivery_modes_supported": ["poll"],
    });
    if tenant.end_session_endpoint {
        doc["end_session_endpoint"] = Value::from(url("oidc/logout"));
    }
    if tenant.par {
        doc["pushed_authorization_request_endpoint"] = Value::from(url("oauth/par"));
        doc["require_pushed_authorization_requests"] = Value::from(false);
    }
    if tenant.mtls_aliases {
        doc["mtls_endpoint_aliases"] = json!({
            "token_endpoint": url("mtls/oauth/token"),
            "userinfo_endpoint": url("mtls/userinfo"),
            "revocation_endpoint": url("mtls/oauth/revoke"),
            "pushed_authorization_request_endpoint": url("mtls/oauth/par"),
        });
    }
    doc
}
