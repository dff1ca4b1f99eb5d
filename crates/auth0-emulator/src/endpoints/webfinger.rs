//! `GET /.well-known/webfinger` (home-realm discovery): whether an email domain is routed to
//! an enterprise connection, registered with
//! [`EmulatorBuilder::enterprise_domain`](crate::EmulatorBuilder::enterprise_domain).
//!
//! - `resource=urn:auth0:discovery:domain:<domain>` of a registered domain (case-insensitive):
//!   `200 application/jrd+json` `{"subject": resource, "links": [{"rel", "href": issuer}]}`
//!   (`links` keeps only the asked `rel`).
//! - Any other resource: `404`.
//! - No `resource` or no `rel`: `400 invalid_request`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::tenant::error::OAuthError;
use crate::tenant::state::Shared;

/// The `rel` of the issuer link.
const ISSUER_REL: &str = "http://openid.net/specs/connect/1.0/issuer";
/// The resource prefix naming an email domain.
const DOMAIN_RESOURCE: &str = "urn:auth0:discovery:domain:";

/// The WebFinger handler.
pub(crate) async fn webfinger_endpoint(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let param = |key: &str| query.get(key).map(String::as_str).filter(|v| !v.is_empty());
    let Some(resource) = param("resource") else {
        return OAuthError::missing("resource").into_response();
    };
    let Some(rel) = param("rel") else {
        return OAuthError::missing("rel").into_response();
    };
    let known = resource
        .get(..DOMAIN_RESOURCE.len())
        .filter(|prefix| prefix.eq_ignore_ascii_case(DOMAIN_RESOURCE))
        .and_then(|_| resource.get(DOMAIN_RESOURCE.len()..))
        .is_some_and(|domain| {
            shared
                .tenant
                .accounts
                .enterprise_domains
                .iter()
                .any(|(d, _)| d.eq_ignore_ascii_case(domain.trim()))
        });
    if !known {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "not_found", "error_description": "Unknown resource."})),
        )
            .into_response();
    }
    let links: Vec<Value> = if rel == ISSUER_REL {
        vec![json!({"rel": ISSUER_REL, "href": shared.tenant.issuer})]
    } else {
        Vec::new()
    };
    let body = json!({"subject": resource, "links": links}).to_string();
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jrd+json"),
    );
    response
}
