//! Logout: `GET /oidc/logout` (OpenID RP-initiated logout) and `GET /v2/logout` end the browser
//! session the cookie names and send the browser to an allowed return URL. Every client used in
//! that session that registered a back-channel logout URI gets a `logout_token` POSTed to it
//! before the answer goes out. Also: the logout tokens themselves, and their
//! delivery (by `reqwest`; plain `http://` to loopback only).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use url::{Host, Url};

use crate::endpoints::common::html;
use crate::endpoints::common::refusal::{Refusal, redirect};
use crate::protocol::params::Params;
use crate::tenant::error::OAuthError;
use crate::tenant::session::{
    BackchannelDelivery, BrowserSession, LogoutRecord, session_cookie, set_session_cookie,
};
use crate::tenant::state::{RegisteredClient, Shared, Tenant, now_secs, random_token};

/// The event a back-channel logout token carries.
pub(crate) const BACKCHANNEL_LOGOUT_EVENT: &str =
    "http://schemas.openid.net/event/backchannel-logout";
/// How long a logout token is valid, in seconds.
const LOGOUT_TOKEN_LIFETIME: u64 = 120;
/// How long one back-channel delivery may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Signs a back-channel logout token.
pub(crate) fn logout_token(
    shared: &Shared,
    client_id: &str,
    sub: Option<&str>,
    sid: Option<&str>,
) -> Result<String, OAuthError> {
    let now = now_secs();
    let mut claims = json!({
        "iss": shared.tenant.issuer,
        "aud": client_id,
        "iat": now,
        "exp": now.saturating_add(LOGOUT_TOKEN_LIFETIME),
        "jti": random_token(16),
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    });
    if let Some(sub) = sub {
        claims["sub"] = Value::from(sub);
    }
    if let Some(sid) = sid {
        claims["sid"] = Value::from(sid);
    }
    shared.sign_rs256(&claims)
}

/// What a logout request asks for, once checked.
struct Plan {
    endpoint: &'static str,
    client_id: Option<String>,
    return_to: Option<String>,
    state: Option<String>,
    federated: bool,
    /// A `sid` to end when no session cookie came (`logout_hint`, or the hint's `sid`).
    hint_sid: Option<String>,
}

/// `GET /oidc/logout` (`404` when the tenant was built without an end-session endpoint).
pub(crate) async fn oidc_logout(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if !shared.tenant.end_session_endpoint {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response();
    }
    let params = Params::from_form(query.as_deref().unwrap_or_default().as_bytes());
    match plan_oidc(&shared.tenant, &params) {
        Ok(plan) => finish(&shared, &headers, plan).await,
        Err(refusal) => refusal.into_response(&shared.tenant.issuer),
    }
}

/// `GET /v2/logout`.
pub(crate) async fn v2_logout(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::from_form(query.as_deref().unwrap_or_default().as_bytes());
    match plan_v2(&shared.tenant, &params) {
        Ok(plan) => finish(&shared, &headers, plan).await,
        Err(refusal) => refusal.into_response(&shared.tenant.issuer),
    }
}

fn find_client<'a>(tenant: &'a Tenant, client_id: &str) -> Result<&'a RegisteredClient, Refusal> {
    tenant
        .clients
        .get(client_id)
        .ok_or_else(|| Refusal::page("invalid_request", format!("Unknown client: {client_id}")))
}

fn allows(client: &RegisteredClient, url: &str) -> bool {
    client.config.browser.logout_urls.iter().any(|u| u == url)
}

fn not_allowed(url: &str, client_id: &str) -> Refusal {
    Refusal::page(
        "invalid_request",
        format!("{url} is not in the list of allowed logout URLs of client {client_id}."),
    )
}

fn plan_oidc(tenant: &Tenant, params: &Params) -> Result<Plan, Refusal> {
    let hint = match params.get("id_token_hint") {
        None => None,
        Some(token) => Some(
            jsonwebtoken::dangerous::insecure_decode_claims::<Value>(token)
                .map_err(|_| Refusal::page("invalid_request", "id_token_hint is not a JWT."))?,
        ),
    };
    if let Some(iss) = hint
        .as_ref()
        .and_then(|c| c.get("iss"))
        .and_then(Value::as_str)
        && iss != tenant.issuer
    {
        return Err(Refusal::page(
            "invalid_request",
            format!("id_token_hint was issued by {iss}, not by this tenant."),
        ));
    }
    let hint_audiences: Vec<&str> = match hint.as_ref().and_then(|c| c.get("aud")) {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let client_id = params
        .get("client_id")
        .or_else(|| hint_audiences.first().copied());
    let client = client_id.map(|id| find_client(tenant, id)).transpose()?;
    if let (Some(id), Some(_)) = (client_id, &hint)
        && !hint_audiences.contains(&id)
    {
        return Err(Refusal::page(
            "invalid_request",
            format!("id_token_hint was not issued to client {id}."),
        ));
    }
    let return_to = params.get("post_logout_redirect_uri");
    if let Some(url) = return_to {
        let Some(client) = client else {
            return Err(Refusal::page(
                "invalid_request",
                "post_logout_redirect_uri needs client_id or id_token_hint to name the client.",
            ));
        };
        if !allows(client, url) {
            return Err(not_allowed(url, &client.config.client_id));
        }
    }
    let hint_sid = params.get("logout_hint").map(str::to_owned).or_else(|| {
        hint.as_ref()
            .and_then(|c| c.get("sid"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    Ok(Plan {
        endpoint: "/oidc/logout",
        client_id: client_id.map(str::to_owned),
        return_to: return_to.map(str::to_owned),
        state: params.get("state").map(str::to_owned),
        federated: false,
        hint_sid,
    })
}

fn plan_v2(tenant: &Tenant, params: &Params) -> Result<Plan, Refusal> {
    let client = params
        .get("client_id")
        .map(|id| find_client(tenant, id))
        .transpose()?;
    let return_to = match (params.get("returnTo"), client) {
        (Some(url), Some(client)) if allows(client, url) => Some(url.to_owned()),
        (Some(url), Some(client)) => return Err(not_allowed(url, &client.config.client_id)),
        (Some(url), None) if tenant.clients.values().any(|c| allows(c, url)) => {
            Some(url.to_owned())
        }
        (Some(url), None) => {
            return Err(Refusal::page(
                "invalid_request",
                format!("{url} is not an allowed logout URL of any client; send client_id too."),
            ));
        }
        (None, Some(client)) => client.config.browser.logout_urls.first().cloned(),
        (None, None) => None,
    };
    Ok(Plan {
        endpoint: "/v2/logout",
        client_id: client.map(|c| c.config.client_id.clone()),
        return_to,
        state: None,
        federated: params.has("federated"),
        hint_sid: None,
    })
}

/// Ends the session, notifies the clients, records the logout and answers the browser.
async fn finish(shared: &Arc<Shared>, headers: &HeaderMap, plan: Plan) -> Response {
    let cookie = session_cookie(headers);
    let key = cookie
        .clone()
        .filter(|k| shared.browser.session(k).is_some())
        .or_else(|| {
            plan.hint_sid
                .as_deref()
                .and_then(|sid| shared.browser.key_for_sid(sid))
        });
    let session = key.as_deref().and_then(|k| shared.browser.end_session(k));
    let backchannel = match &session {
        Some(session) => notify(shared, session).await,
        None => Vec::new(),
    };
    let record = LogoutRecord {
        endpoint: plan.endpoint.to_owned(),
        client_id: plan.client_id,
        sid: session.as_ref().map(|s| s.sid.clone()),
        user_id: session.map(|s| s.user_id),
        federated: plan.federated,
        return_to: plan.return_to.clone(),
        backchannel,
    };
    shared.browser.data().logouts.push(record);

    let mut response = match &plan.return_to {
        Some(url) => redirect(url, &[("state", plan.state.as_deref())]),
        None => html::page(
            StatusCode::OK,
            "Logged out",
            "<h1>You are logged out</h1>\n<p>You can close this window.</p>\n",
        ),
    };
    if cookie.is_some() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, set_session_cookie(None));
    }
    response
}

/// POSTs a logout token to every client of `session` that registered a back-channel URI.
async fn notify(shared: &Shared, session: &BrowserSession) -> Vec<BackchannelDelivery> {
    let mut out = Vec::new();
    for client_id in &session.clients {
        let Some(uri) = shared
            .tenant
            .clients
            .get(client_id)
            .and_then(|c| c.config.browser.backchannel_logout_uri.clone())
        else {
            continue;
        };
        let outcome = match logout_token(
            shared,
            client_id,
            Some(&session.user_id),
            Some(&session.sid),
        ) {
            Ok(token) => post_logout_token(&uri, &token)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.description),
        };
        out.push(BackchannelDelivery {
            client_id: client_id.clone(),
            uri,
            outcome,
        });
    }
    out
}

/// POSTs `logout_token=<token>` (a form) to the back-channel logout URI `uri` and returns the
/// HTTP status it answered. Only plain `http://` URIs on a loopback host are called (`localhost`
/// is always 127.0.0.1); no proxy, no redirects, at most 10 seconds.
pub(crate) async fn post_logout_token(uri: &str, token: &str) -> io::Result<u16> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    let url = Url::parse(uri).map_err(|e| invalid(format!("{uri} is not a URL ({e})")))?;
    if url.scheme() != "http" {
        return Err(invalid(format!(
            "{uri}: only plain http:// back-channel logout URIs are called"
        )));
    }
    let ip: IpAddr = match url.host() {
        Some(Host::Ipv4(ip)) if ip.is_loopback() => ip.into(),
        Some(Host::Ipv6(ip)) if ip.is_loopback() => ip.into(),
        Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => Ipv4Addr::LOCALHOST.into(),
        _ => {
            return Err(invalid(format!(
                "{uri}: only loopback back-channel logout URIs are called"
            )));
        }
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let host = url.host_str().unwrap_or("localhost").to_owned();
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DELIVERY_TIMEOUT)
        .user_agent("auth0-emulator")
        .resolve(&host, SocketAddr::new(ip, port))
        .build()
        .map_err(|e| io::Error::other(format!("no HTTP client for {uri}: {e}")))?;
    let response = client
        .post(url)
        .form(&[("logout_token", token)])
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{uri} did not answer within {DELIVERY_TIMEOUT:?}"),
                )
            } else {
                io::Error::other(format!("POST {uri} failed: {e}"))
            }
        })?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn posts_the_token_as_a_form_and_reports_the_status() {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut request = Vec::new();
            let mut chunk = [0u8; 1024];
            while !String::from_utf8_lossy(&request).contains("logout_token=a%2Bb") {
                let n = stream.read(&mut chunk).unwrap();
                assert_ne!(n, 0, "the request ended early");
                request.extend_from_slice(&chunk[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });
        let uri = format!("http://localhost:{port}/backchannel?x=1");
        assert_eq!(post_logout_token(&uri, "a+b").await.unwrap(), 204);
        let request = server.join().unwrap();
        assert!(
            request.starts_with("POST /backchannel?x=1 HTTP/1.1\r\n"),
            "{request}"
        );
        let lower = request.to_ascii_lowercase();
        assert!(lower.contains("content-type: application/x-www-form-urlencoded"));
        assert!(lower.contains("user-agent: auth0-emulator"));
    }

    #[tokio::test]
    async fn a_closed_port_is_an_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let uri = format!("http://127.0.0.1:{port}/logout");
        let err = post_logout_token(&uri, "secret-token").await.unwrap_err();
        assert!(!err.to_string().contains("secret-token"), "{err}");
    }

    #[tokio::test]
    async fn only_loopback_http_is_called() {
        for uri in [
            "https://127.0.0.1/logout",
            "http://example.com/logout",
            "http://10.0.0.1/logout",
            "not a url",
        ] {
            let err = post_logout_token(uri, "t").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{uri}");
        }
    }
}
