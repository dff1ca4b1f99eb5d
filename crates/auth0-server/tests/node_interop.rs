//! Cross-language cookies: `@auth0/auth0-server-js` 1.12.1 (pinned with a committed lockfile in
//! `tests/node/`, installed with `npm ci` on first use) writes cookies this crate reads, and
//! reads cookies this crate writes: chunked session cookies, the transaction cookie, the
//! stateful session-id cookie, and cookies under a rotated-out secret that is still listed.
//!
//! Every wait is bounded.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth0_auth::{ExposeSecret, LoginTransaction, SecretString};
use auth0_server::{
    CookieJar, CookieProblem, CookieTransactionStore, Error, MemoryCookieJar, MemorySessionStore,
    Secrets, SessionStore, StateData, StateStore, StatefulStateStore, StatelessStateStore,
    TransactionData, TransactionStore, crypto,
};
use serde_json::{Value, json};

const A: &str = "a-cookie-secret-of-at-least-32-characters";
const B: &str = "the-previous-secret-also-32-characters-long";
const C: &str = "a-third-secret-that-nobody-lists-anywhere!!";
const SESSION: &str = "__a0_session";
const TX: &str = "__a0_tx";
const LIMIT: Duration = Duration::from_secs(60);

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node")
}

/// Installs the pinned package once per test binary (like cargo fetching crates).
fn install() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        auth0_test_support::ensure_npm_package(&node_dir(), "@auth0/auth0-server-js")
    });
    if let Err(why) = result {
        panic!("auth0-server-js could not be installed: {why}");
    }
}

/// Runs one operation of `tests/node/cookies.js`.
fn node(request: Value) -> Value {
    // One Node process at a time keeps the two shared cores free for the rest.
    static ONE: Mutex<()> = Mutex::new(());
    install();
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = Command::new("node")
        .arg("cookies.js")
        .current_dir(node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let deadline = Instant::now() + LIMIT;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "node did not answer in time");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let answer: Value = serde_json::from_slice(&out.stdout).expect("node printed JSON");
    assert!(answer.get("error").is_none(), "node failed: {answer}");
    answer
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn secrets(list: &[&str]) -> Secrets {
    let mut s = Secrets::new(SecretString::from(list[0].to_owned())).unwrap();
    for old in &list[1..] {
        s = s
            .with_previous(SecretString::from(old.to_string()))
            .unwrap();
    }
    s
}

/// A session as the reference writes one, large enough to need two or more chunks.
fn session_json() -> Value {
    json!({
        "user": {"sub": "auth0|123", "name": "Jane", "sid": "sid-1", "bio": "x".repeat(4000)},
        "idToken": "header.payload.signature",
        "refreshToken": "refresh-token-value",
        "tokenSets": [
            {"audience": "default", "accessToken": "at-default", "scope": "openid profile", "expiresAt": now() + 3600},
            {"audience": "https://api.example.com/", "accessToken": "at-api", "scope": "read:messages", "expiresAt": now() + 60}
        ],
        "internal": {"sid": "sid-1", "createdAt": now() - 10}
    })
}

fn jar_of(cookies: &Value) -> MemoryCookieJar {
    MemoryCookieJar::from_pairs(
        cookies
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())),
    )
}

fn cookies_of(jar: &MemoryCookieJar) -> Value {
    json!(jar.pairs())
}

fn assert_same_session(ours: &StateData, theirs: &Value) {
    assert_eq!(ours.sub(), theirs["user"]["sub"].as_str());
    assert_eq!(ours.user.as_ref().unwrap()["bio"], theirs["user"]["bio"]);
    assert_eq!(
        ours.refresh_token.as_ref().unwrap().expose_secret(),
        theirs["refreshToken"].as_str().unwrap()
    );
    assert_eq!(
        ours.id_token.as_ref().unwrap().expose_secret(),
        theirs["idToken"].as_str().unwrap()
    );
    assert_eq!(ours.token_sets.len(), 2);
    for (ts, js) in ours
        .token_sets
        .iter()
        .zip(theirs["tokenSets"].as_array().unwrap())
    {
        assert_eq!(ts.audience, js["audience"].as_str().unwrap());
        assert_eq!(
            ts.access_token.expose_secret(),
            js["accessToken"].as_str().unwrap()
        );
        assert_eq!(ts.scope.as_deref(), js["scope"].as_str());
        assert_eq!(ts.expires_at, js["expiresAt"].as_u64().unwrap());
    }
    assert_eq!(
        ours.internal.sid.as_deref(),
        theirs["internal"]["sid"].as_str()
    );
    assert_eq!(
        ours.internal.created_at,
        theirs["internal"]["createdAt"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn a_session_written_by_node_is_read_by_rust() {
    let data = session_json();
    let written = node(json!({"op": "write-session", "secret": A, "name": SESSION, "data": data}));
    let cookies = &written["cookies"];
    assert!(
        cookies.get("__a0_session.1").is_some(),
        "chunked: {cookies}"
    );
    let mut jar = jar_of(cookies);
    let store = StatelessStateStore::new(secrets(&[A]));
    let ours = store
        .get(SESSION, &mut jar, now())
        .await
        .unwrap()
        .expect("a session");
    assert_same_session(&ours, &data);
}

#[tokio::test]
async fn a_session_written_by_rust_is_read_by_node() {
    let data = session_json();
    let state: StateData = serde_json::from_value(data.clone()).unwrap();
    let mut jar = MemoryCookieJar::new();
    // A stale third chunk from an earlier, larger session must be removed.
    jar.insert("__a0_session.5", "stale");
    StatelessStateStore::new(secrets(&[A]))
        .set(SESSION, &state, false, &mut jar, now())
        .await
        .unwrap();
    assert!(jar.get("__a0_session.5").is_none());
    assert!(
        jar.pairs()
            .values()
            .all(|v| v.len() <= auth0_server::CHUNK_SIZE)
    );
    let read = node(
        json!({"op": "read-session", "secret": A, "name": SESSION, "cookies": cookies_of(&jar)}),
    );
    let theirs = &read["data"];
    assert!(theirs.is_object(), "node read nothing: {read}");
    assert_same_session(&state, theirs);
    assert_eq!(theirs["tokenSets"], data["tokenSets"]);
}

#[tokio::test]
async fn a_transaction_written_by_node_is_read_by_rust() {
    let written = node(json!({
        "op": "write-tx", "secret": A, "name": TX,
        "data": {"audience": "https://api.example.com/", "codeVerifier": "verifier-from-node", "appState": {"returnTo": "/inbox"}}
    }));
    let mut jar = jar_of(&written["cookies"]);
    let tx = CookieTransactionStore::new(secrets(&[A]))
        .get(TX, &mut jar, now())
        .await
        .unwrap()
        .expect("a transaction");
    assert_eq!(
        tx.code_verifier.as_ref().unwrap().expose_secret(),
        "verifier-from-node"
    );
    assert_eq!(tx.audience.as_deref(), Some("https://api.example.com/"));
    assert_eq!(tx.app_state, Some(json!({"returnTo": "/inbox"})));
    assert!(tx.login.is_none());

    // A magic-link transaction: a bare state.
    let written = node(json!({
        "op": "write-tx", "secret": A, "name": TX,
        "data": {"audience": "https://api.example.com/", "domain": "tenant.example", "state": "node-state"}
    }));
    let mut jar = jar_of(&written["cookies"]);
    let tx = CookieTransactionStore::new(secrets(&[A]))
        .get(TX, &mut jar, now())
        .await
        .unwrap()
        .expect("a transaction");
    assert_eq!(tx.state.as_deref(), Some("node-state"));
    assert!(tx.code_verifier.is_none());
    assert_eq!(tx.extra["domain"], "tenant.example");
}

#[tokio::test]
async fn a_transaction_written_by_rust_is_read_by_node() {
    let login: LoginTransaction = serde_json::from_value(json!({
        "codeVerifier": "verifier-from-rust", "state": "st", "nonce": "no",
        "redirectUri": "http://localhost:3000/callback", "audience": "https://api.example.com/",
        "createdAt": now()
    }))
    .unwrap();
    let data = TransactionData::from_login(login, Some(json!({"returnTo": "/x"})));
    let mut jar = MemoryCookieJar::new();
    CookieTransactionStore::new(secrets(&[A]))
        .set(TX, &data, &mut jar, now())
        .await
        .unwrap();
    let read = node(json!({"op": "read-tx", "secret": A, "name": TX, "cookies": cookies_of(&jar)}));
    let theirs = &read["data"];
    assert_eq!(theirs["codeVerifier"], "verifier-from-rust");
    assert_eq!(theirs["audience"], "https://api.example.com/");
    assert_eq!(theirs["appState"], json!({"returnTo": "/x"}));
}

#[tokio::test]
async fn a_session_id_cookie_is_shared_both_ways() {
    // Node → Rust.
    let data = session_json();
    let written = node(json!({"op": "write-id", "secret": A, "name": SESSION, "data": data}));
    let (id, kept) = written["sessions"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let memory = MemorySessionStore::default();
    memory
        .set(id, &serde_json::from_value(kept.clone()).unwrap())
        .await
        .unwrap();
    let store = StatefulStateStore::new(secrets(&[A]), memory);
    let mut jar = jar_of(&written["cookies"]);
    let ours = store
        .get(SESSION, &mut jar, now())
        .await
        .unwrap()
        .expect("a session");
    assert_same_session(&ours, &data);

    // Rust → Node.
    let mut jar = MemoryCookieJar::new();
    store
        .set(SESSION, &ours, true, &mut jar, now())
        .await
        .unwrap();
    let cookie = jar.get(SESSION).unwrap();
    let (payload, _) = crypto::decrypt(&cookie, &secrets(&[A]), SESSION, now()).unwrap();
    let new_id = payload["id"].as_str().unwrap().to_owned();
    assert_ne!(&new_id, id, "a new login gets a new session id");
    let read = node(json!({
        "op": "read-id", "secret": A, "name": SESSION, "cookies": cookies_of(&jar),
        "sessions": {new_id: serde_json::to_value(&ours).unwrap()}
    }));
    assert_same_session(&ours, &read["data"]);
}

#[tokio::test]
async fn a_cookie_under_a_rotated_out_secret_is_read_while_listed() {
    // Node wrote with the old secret B; Rust has rotated to A and still lists B.
    let data = session_json();
    let written = node(json!({"op": "write-session", "secret": B, "name": SESSION, "data": data}));
    let rotated = StatelessStateStore::new(secrets(&[A, B]));
    let mut jar = jar_of(&written["cookies"]);
    let ours = rotated
        .get(SESSION, &mut jar, now())
        .await
        .unwrap()
        .expect("read under B");
    assert_same_session(&ours, &data);

    // Once B is no longer listed the cookie is refused (and cleared).
    let mut jar = jar_of(&written["cookies"]);
    let err = StatelessStateStore::new(secrets(&[A, C]))
        .get(SESSION, &mut jar, now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::CookieRejected {
                problem: CookieProblem::NotAuthentic,
                ..
            }
        ),
        "{err}"
    );
    assert!(jar.pairs().is_empty());

    // Rust writes under its current secret A; Node, rotated to C and still listing A, reads it.
    let mut jar = MemoryCookieJar::new();
    rotated
        .set(SESSION, &ours, false, &mut jar, now())
        .await
        .unwrap();
    let read = node(
        json!({"op": "read-session", "secret": [C, A], "name": SESSION, "cookies": cookies_of(&jar)}),
    );
    assert_same_session(&ours, &read["data"]);
    // And a Node transaction under an old secret likewise.
    let tx =
        node(json!({"op": "write-tx", "secret": B, "name": TX, "data": {"codeVerifier": "v"}}));
    let mut jar = jar_of(&tx["cookies"]);
    let got = CookieTransactionStore::new(secrets(&[A, B]))
        .get(TX, &mut jar, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.code_verifier.unwrap().expose_secret(), "v");
}

#[tokio::test]
async fn node_refuses_what_rust_refuses() {
    // A Rust cookie with one character changed: neither side accepts it.
    let state: StateData = serde_json::from_value(session_json()).unwrap();
    let mut jar = MemoryCookieJar::new();
    StatelessStateStore::new(secrets(&[A]))
        .set(SESSION, &state, false, &mut jar, now())
        .await
        .unwrap();
    let mut cookies = cookies_of(&jar);
    let first = cookies["__a0_session.0"].as_str().unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        &first[..100],
        if &first[100..101] == "A" { "B" } else { "A" }
    );
    cookies["__a0_session.0"] = Value::from(format!("{flipped}{}", &first[101..]));
    let read =
        node(json!({"op": "read-session", "secret": A, "name": SESSION, "cookies": cookies}));
    assert!(read["data"].is_null(), "node accepted a tampered cookie");
    let mut jar = jar_of(&cookies);
    assert!(
        StatelessStateStore::new(secrets(&[A]))
            .get(SESSION, &mut jar, now())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_login_begun_by_node_is_completed_by_rust() {
    use base64::Engine;
    use sha2::Digest;

    // Node keeps the transaction of a login it began (no state, no nonce, as auth0-server-js).
    let verifier = "a-node-made-pkce-verifier-0123456789abcdefghijklmnop";
    let written = node(json!({
        "op": "write-tx", "secret": common::SECRET, "name": TX,
        "data": {"audience": auth0_emulator::demo::AUDIENCE, "codeVerifier": verifier, "appState": {"returnTo": "/from-node"}}
    }));
    let t = common::tenant().await;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let mut authorize = url::Url::parse(&t.base_url())
        .unwrap()
        .join("/authorize")
        .unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", auth0_emulator::demo::CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", common::CALLBACK)
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("audience", auth0_emulator::demo::AUDIENCE)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let callback = common::browser_login(
        authorize.as_str(),
        auth0_emulator::demo::USERNAME,
        auth0_emulator::demo::PASSWORD,
    )
    .await;

    let client = common::stateless(&t, common::ManualClock::new(), Default::default());
    let mut jar = jar_of(&written["cookies"]);
    let done = common::bounded(client.complete_interactive_login(
        auth0_server::CompleteInteractiveLoginRequest::new(callback),
        &mut jar,
    ))
    .await
    .unwrap();
    assert_eq!(done.app_state, Some(json!({"returnTo": "/from-node"})));
    let session = client
        .get_session(&mut jar)
        .await
        .unwrap()
        .expect("a session");
    assert_eq!(
        session.token_sets[0].audience,
        auth0_emulator::demo::AUDIENCE
    );
    // And Node reads the session Rust kept.
    let read = node(
        json!({"op": "read-session", "secret": common::SECRET, "name": SESSION, "cookies": cookies_of(&jar)}),
    );
    assert_eq!(
        read["data"]["user"]["email"],
        auth0_emulator::demo::USERNAME
    );
}

/// A resolver-mode client over `allowed` domains (the request's host is the domain), with the
/// stateless store under `secret`.
fn resolver_client(
    secret: &str,
    allowed: &[String],
) -> auth0_server::ServerClient<
    CookieTransactionStore,
    StatelessStateStore,
    auth0_server::MultiDomain,
> {
    let mut domains = auth0_server::MultiDomain::new(
        |host: Option<&str>| host.map(str::to_owned),
        |d: &str| {
            // Plain http:// for the loopback emulators only.
            let base = if d.starts_with("127.0.0.1:") {
                format!("http://{d}")
            } else {
                d.to_owned()
            };
            auth0_auth::AuthClient::builder(base, auth0_emulator::demo::CLIENT_ID)
                .client_secret(auth0_emulator::demo::CLIENT_SECRET)
                .build()
        },
    );
    for d in allowed {
        domains = domains.allow_domain(d);
    }
    auth0_server::ServerClient::builder_for_domains(
        domains,
        CookieTransactionStore::new(secrets(&[secret])),
        StatelessStateStore::new(secrets(&[secret])),
    )
    .authorization_params(auth0_auth::AuthorizationParams::new().redirect_uri(common::CALLBACK))
    .build()
    .unwrap()
}

#[tokio::test]
async fn resolver_mode_cookies_written_by_node_keep_their_domain() {
    use base64::Engine;
    use sha2::Digest;

    // A session Node wrote for one domain is that domain's only.
    let mut data = session_json();
    data["domain"] = json!("a.example");
    let written = node(json!({"op": "write-session", "secret": A, "name": SESSION, "data": data}));
    let client = resolver_client(A, &["a.example".into(), "b.example".into()]);
    let mut on_a = jar_of(&written["cookies"]);
    on_a.set_request_host("A.example");
    let session = client
        .get_session(&mut on_a)
        .await
        .unwrap()
        .expect("A's session");
    assert_eq!(session.domain.as_deref(), Some("a.example"));
    let mut on_b = jar_of(&written["cookies"]);
    on_b.set_request_host("b.example");
    assert!(client.get_session(&mut on_b).await.unwrap().is_none());

    // A login Node began on tenant A, its callback arriving on B's host: the code goes to A.
    let (a, b) = (common::tenant().await, common::tenant().await);
    let (da, db) = (
        format!("127.0.0.1:{}", a.port()),
        format!("127.0.0.1:{}", b.port()),
    );
    let verifier = "a-node-made-pkce-verifier-for-the-resolver-mode-0123456789";
    let written = node(json!({
        "op": "write-tx", "secret": common::SECRET, "name": TX,
        "data": {"codeVerifier": verifier, "domain": da, "appState": {"returnTo": "/a"}}
    }));
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let mut authorize = url::Url::parse(&a.base_url())
        .unwrap()
        .join("/authorize")
        .unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", auth0_emulator::demo::CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", common::CALLBACK)
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let callback = common::browser_login(
        authorize.as_str(),
        auth0_emulator::demo::USERNAME,
        auth0_emulator::demo::PASSWORD,
    )
    .await;
    let client = resolver_client(common::SECRET, &[da.clone(), db.clone()]);
    let mut jar = jar_of(&written["cookies"]);
    jar.set_request_host(db.clone());
    let done = common::bounded(client.complete_interactive_login(
        auth0_server::CompleteInteractiveLoginRequest::new(callback),
        &mut jar,
    ))
    .await
    .unwrap();
    assert_eq!(done.app_state, Some(json!({"returnTo": "/a"})));
    assert_eq!(a.requests_to("/oauth/token").len(), 1);
    assert!(b.requests_to("/oauth/token").is_empty());
    jar.set_request_host(da.clone());
    let session = client
        .get_session(&mut jar)
        .await
        .unwrap()
        .expect("A's session");
    assert_eq!(session.domain.as_deref(), Some(da.as_str()));
}
