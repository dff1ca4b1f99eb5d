//! An API protected by Auth0 with axum: a public route, a route for any valid token, routes
//! that need a scope, and the RFC 9728 protected resource metadata. Bearer and DPoP-bound
//! tokens are both accepted.
//!
//! ```text
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_AUDIENCE=https://api.example.com/ \
//!   PUBLIC_ORIGIN=http://127.0.0.1:3001 cargo run -p auth0-axum --features api --example api_server
//! ```
//!
//! `tests/api_server.rs` runs this router against the emulator.

use auth0_api::{ApiClient, Audience, PROTECTED_RESOURCE_METADATA_PATH};
use auth0_axum::api::{ApiGuard, Authenticated};
use axum::extract::State;
use axum::handler::Handler;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

/// The API's routes.
pub fn app(guard: ApiGuard) -> Router {
    Router::new()
        .route("/api/public", get(|| async { "anyone may read this" }))
        .route("/api/me", get(me))
        // One scope per method: each handler gets its own layer.
        .route(
            "/api/messages",
            get(read_messages.layer(guard.require_scopes(["read:messages"])))
                .post(write_message.layer(guard.require_scopes(["write:messages"]))),
        )
        // A layer over several routes, and a stricter one nested inside it.
        .route(
            "/api/admin",
            get(me)
                .route_layer(guard.require_scopes(["write:messages"]))
                .route_layer(guard.layer()),
        )
        .route(PROTECTED_RESOURCE_METADATA_PATH, get(metadata))
        .with_state(guard)
}

async fn me(Authenticated(claims): Authenticated) -> String {
    format!("you are {}", claims.subject().unwrap_or("nobody"))
}

async fn read_messages(Authenticated(claims): Authenticated) -> String {
    format!("messages for {}", claims.subject().unwrap_or("nobody"))
}

async fn write_message(Authenticated(claims): Authenticated) -> String {
    format!("written by {}", claims.subject().unwrap_or("nobody"))
}

async fn metadata(State(guard): State<ApiGuard>) -> impl IntoResponse {
    Json(guard.api().protected_resource_metadata())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let domain = std::env::var("AUTH0_DOMAIN")?;
    let audience = std::env::var("AUTH0_AUDIENCE")?;
    let origin =
        std::env::var("PUBLIC_ORIGIN").unwrap_or_else(|_| "http://127.0.0.1:3001".to_string());
    let api = ApiClient::builder(domain, Audience::new(audience)).build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on {origin}");
    axum::serve(listener, app(ApiGuard::new(api).public_origin(origin))).await?;
    Ok(())
}
