//! The Redis stores against a real `redis-server` (Debian's package), started by each test on a
//! free loopback port with a temporary directory and killed when the test ends. A missing
//! `redis-server` fails the test; it never skips. Run with
//! `cargo test -p auth0-redis --features redis-tests`.
//!
//! Fleet tests spawn this test binary again as worker processes (selected with the
//! `AUTH0_REDIS_ROLE` variable), each with its own token cache over the same Redis.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use auth0_auth::{AuthClient, ClientCredentialsRequest, ExposeSecret, SecretString, TokenCache};
use auth0_emulator::{Emulator, Fault, RunningEmulator, demo};
use auth0_redis::{Redis, RedisConfig, RedisSessionStore, RedisTokenStore};
use auth0_server::{LogoutClaims, Secrets, SessionStore, StateData};

const LIMIT: Duration = Duration::from_secs(60);
const TOKEN_PATH: &str = "/oauth/token";
const PREFIX: &str = "auth0-test:";
const SECRET: &str = "a-test-secret-that-is-at-least-32-characters";

async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// A `redis-server` on a free loopback port, killed (and its directory removed) on drop.
struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let dir =
            std::env::temp_dir().join(format!("auth0-redis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "redis-server could not be started ({e}): these tests need Debian's \
                     redis-server package (apt-get install -y redis-server)"
                )
            });
        let server = Self { child, port, dir };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start listening"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn secrets() -> Secrets {
    Secrets::new(SecretString::from(SECRET)).expect("a long enough secret")
}

async fn connect(url: &str) -> Redis {
    bounded(Redis::connect(
        RedisConfig::new(url)
            .key_prefix(PREFIX)
            .command_timeout(Duration::from_millis(500))
            .connect_timeout(Duration::from_millis(500)),
    ))
    .await
    .expect("connects to the test redis-server")
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("a Redis URL")
        .get_multiplexed_async_connection()
        .await
        .expect("a raw connection")
}

async fn raw_keys(url: &str, pattern: &str) -> Vec<String> {
    let mut conn = raw(url).await;
    redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .expect("KEYS")
}

async fn tenant() -> RunningEmulator {
    bounded(Emulator::builder().demo_tenant().start())
        .await
        .expect("the emulator starts")
}

fn client(base_url: &str) -> AuthClient {
    AuthClient::builder(base_url, demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .expect("the client builds")
}

fn token_body(access_token: &str) -> Fault {
    Fault::Status(
        200,
        format!(r#"{{"access_token":"{access_token}","expires_in":3600,"token_type":"Bearer"}}"#),
    )
}

fn m2m() -> ClientCredentialsRequest {
    ClientCredentialsRequest::new().audience(demo::AUDIENCE)
}

fn redis_cache(redis: Redis) -> TokenCache<RedisTokenStore> {
    TokenCache::with_store(RedisTokenStore::new(redis, secrets()))
}

/// Starts this test binary as a worker process running `role`.
fn spawn_worker(role: &str, redis_url: &str, tenant_url: &str) -> Child {
    Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "worker", "--nocapture", "--test-threads", "1"])
        .env("AUTH0_REDIS_ROLE", role)
        .env("AUTH0_REDIS_URL", redis_url)
        .env("AUTH0_TENANT_URL", tenant_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("a worker process")
}

/// The worker side of the fleet tests; does nothing unless started by [`spawn_worker`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker() {
    let Ok(role) = std::env::var("AUTH0_REDIS_ROLE") else {
        return;
    };
    let redis_url = std::env::var("AUTH0_REDIS_URL").expect("AUTH0_REDIS_URL");
    let client = client(&std::env::var("AUTH0_TENANT_URL").expect("AUTH0_TENANT_URL"));
    let redis = connect(&redis_url).await;
    match role.as_str() {
        // 250 tasks on each of two keys; prints what each key's token was.
        "fleet" => {
            let cache = redis_cache(redis);
            let requests = Arc::new([m2m(), m2m().organization(demo::ORGANIZATION_ID)]);
            let tasks: Vec<_> = (0..250)
                .map(|i| {
                    let (client, cache, requests) =
                        (client.clone(), cache.clone(), requests.clone());
                    tokio::spawn(async move {
                        let token = client
                            .cached(&cache)
                            .get_token_by_client_credentials(&requests[i % 2])
                            .await
                            .expect("a token");
                        (i % 2, token.access_token().expose_secret().to_owned())
                    })
                })
                .collect();
            for task in tasks {
                let (key, token) = bounded(task).await.expect("the task");
                println!("TOKEN {key} {token}");
            }
        }
        // Takes the fetch lock, then hangs in the fetch until the parent kills the process.
        "crash" => {
            let cache = redis_cache(redis).lock_ttl(Duration::from_millis(1500));
            let _ = client
                .cached(&cache)
                .get_token_by_client_credentials(&m2m())
                .await;
        }
        other => panic!("unknown worker role {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_of_processes_fetches_each_token_once() {
    let server = RedisServer::start();
    let t = tenant().await;
    // The first answer is slow, so that every process asks while it is under way.
    t.inject_fault(TOKEN_PATH, Fault::Delay(Duration::from_millis(400)), 1);
    let children: Vec<Child> = (0..4)
        .map(|_| spawn_worker("fleet", &server.url(), &t.base_url()))
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("the worker's output"))
            .collect::<Vec<_>>()
    });
    let outputs = bounded(outputs).await.expect("the workers");
    let mut seen: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for output in outputs {
        assert!(output.status.success(), "a worker failed");
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            // libtest's own "test worker ... " may precede the first line.
            if let Some(rest) = line.split_once("TOKEN ").map(|(_, rest)| rest) {
                let (key, token) = rest.split_once(' ').expect("key and token");
                seen[key.parse::<usize>().expect("a key index")].push(token.to_owned());
            }
        }
    }
    assert_eq!(seen[0].len() + seen[1].len(), 1000);
    // Exactly one token request per key for the whole fleet...
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
    // ...every process got the same token for a key, and the keys got different ones.
    assert!(seen[0].iter().all(|tok| tok == &seen[0][0]));
    assert!(seen[1].iter().all(|tok| tok == &seen[1][0]));
    assert_ne!(seen[0][0], seen[1][0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_lock_holder_blocks_nobody_past_the_lock_ttl() {
    let server = RedisServer::start();
    let t = tenant().await;
    // The holder's request is never answered: it holds the lock until it is killed.
    t.inject_fault(TOKEN_PATH, Fault::NeverAnswer, 1);
    t.inject_fault(TOKEN_PATH, token_body("after-the-crash"), 1);
    let mut holder = spawn_worker("crash", &server.url(), &t.base_url());
    bounded(async {
        while raw_keys(&server.url(), &format!("{PREFIX}token-lock:*"))
            .await
            .is_empty()
            || t.requests_to(TOKEN_PATH).is_empty()
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    holder.kill().expect("the holder is killed");
    let _ = holder.wait();

    // This process waits for the dead holder's lock (1.5 s) to lapse, then fetches itself.
    let cache = redis_cache(connect(&server.url()).await).lock_ttl(Duration::from_secs(20));
    let token = bounded(
        client(&t.base_url())
            .cached(&cache)
            .get_token_by_client_credentials(&m2m()),
    )
    .await
    .expect("a token once the lock lapsed");
    assert_eq!(token.access_token().expose_secret(), "after-the-crash");
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
}

#[tokio::test]
async fn tokens_and_sessions_are_encrypted_at_rest_and_bound_to_their_key() {
    let server = RedisServer::start();
    let t = tenant().await;
    t.inject_fault(TOKEN_PATH, token_body("token-of-key-a"), 1);
    t.inject_fault(TOKEN_PATH, token_body("token-of-key-b"), 1);
    let redis = connect(&server.url()).await;
    let cache = redis_cache(redis.clone());
    let client = client(&t.base_url());
    let a = m2m();
    let b = m2m().scope("read:reports");
    bounded(client.cached(&cache).get_token_by_client_credentials(&a))
        .await
        .expect("a");

    let keys = raw_keys(&server.url(), &format!("{PREFIX}token:*")).await;
    assert_eq!(keys.len(), 1);
    let mut conn = raw(&server.url()).await;
    let stored: String = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .expect("GET");
    assert!(!stored.contains("token-of-key-a"));
    assert_eq!(stored.split('.').count(), 5, "a compact JWE");

    bounded(client.cached(&cache).get_token_by_client_credentials(&b))
        .await
        .expect("b");
    // Key a's ciphertext copied over key b's entry is not accepted as b's token: b is fetched anew.
    let keys = raw_keys(&server.url(), &format!("{PREFIX}token:*")).await;
    let a_key = keys_first(&keys, &stored, &mut conn).await;
    let b_key = keys.iter().find(|k| **k != a_key).cloned();
    let b_key = b_key.expect("b's key");
    let _: () = redis::cmd("SET")
        .arg(&b_key)
        .arg(&stored)
        .query_async(&mut conn)
        .await
        .expect("SET");
    t.inject_fault(TOKEN_PATH, token_body("token-of-key-b-again"), 1);
    let again = bounded(client.cached(&cache).get_token_by_client_credentials(&b))
        .await
        .expect("b");
    assert_eq!(again.access_token().expose_secret(), "token-of-key-b-again");
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 3);

    // Sessions: the raw value shows neither the user nor the refresh token.
    let sessions = RedisSessionStore::new(redis, secrets());
    bounded(sessions.set("session-1", &session("sid-1", "auth0|alice")))
        .await
        .expect("set");
    let raw_session: String = redis::cmd("GET")
        .arg(sessions.session_key("session-1"))
        .query_async(&mut conn)
        .await
        .expect("GET");
    assert!(!raw_session.contains("alice") && !raw_session.contains("rt-secret"));
    let index_keys = raw_keys(&server.url(), &format!("{PREFIX}s*")).await;
    assert!(
        index_keys
            .iter()
            .all(|k| !k.contains("alice") && !k.contains("sid-1"))
    );
    let back = bounded(sessions.get("session-1"))
        .await
        .expect("get")
        .expect("the session");
    assert_eq!(back.sub(), Some("auth0|alice"));
}

/// The first key in `keys` whose value is `stored`.
async fn keys_first(
    keys: &[String],
    stored: &str,
    conn: &mut redis::aio::MultiplexedConnection,
) -> String {
    for k in keys {
        let v: Option<String> = redis::cmd("GET")
            .arg(k)
            .query_async(conn)
            .await
            .expect("GET");
        if v.as_deref() == Some(stored) {
            return k.clone();
        }
    }
    panic!("no key holds the value")
}

fn session(sid: &str, sub: &str) -> StateData {
    serde_json::from_value(serde_json::json!({
        "user": { "sub": sub, "iss": "https://tenant.example/" },
        "refreshToken": "rt-secret",
        "tokenSets": [],
        "internal": { "sid": sid, "createdAt": 1_700_000_000u64 },
    }))
    .expect("a session")
}

#[tokio::test]
async fn back_channel_logout_finds_sessions_by_sid_and_by_sub() {
    let server = RedisServer::start();
    let sessions = RedisSessionStore::new(connect(&server.url()).await, secrets());
    for (id, sid, sub) in [
        ("s1", "sid-a", "auth0|alice"),
        ("s2", "sid-b", "auth0|alice"),
        ("s3", "sid-c", "auth0|bob"),
    ] {
        bounded(sessions.set(id, &session(sid, sub)))
            .await
            .expect("set");
    }
    let by_sid = LogoutClaims {
        sid: Some("sid-a".into()),
        ..Default::default()
    };
    assert_eq!(
        bounded(sessions.delete_by_logout_token(&by_sid))
            .await
            .expect("logout"),
        1
    );
    assert!(bounded(sessions.get("s1")).await.expect("get").is_none());
    assert!(bounded(sessions.get("s2")).await.expect("get").is_some());

    let by_sub = LogoutClaims {
        sub: Some("auth0|alice".into()),
        ..Default::default()
    };
    assert_eq!(
        bounded(sessions.delete_by_logout_token(&by_sub))
            .await
            .expect("logout"),
        1
    );
    assert!(bounded(sessions.get("s2")).await.expect("get").is_none());
    assert!(bounded(sessions.get("s3")).await.expect("get").is_some());
    // A sid and a sub that do not belong together end nothing.
    let mismatched = LogoutClaims {
        sid: Some("sid-c".into()),
        sub: Some("auth0|alice".into()),
        ..Default::default()
    };
    assert_eq!(
        bounded(sessions.delete_by_logout_token(&mismatched))
            .await
            .expect("logout"),
        0
    );
    bounded(sessions.delete("s3")).await.expect("delete");
    assert!(
        raw_keys(&server.url(), &format!("{PREFIX}session:*"))
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_falls_back_to_fresh_fetches_and_sessions_fail_clearly() {
    let mut server = RedisServer::start();
    let t = tenant().await;
    for name in ["a-1", "a-2", "b-1"] {
        t.inject_fault(TOKEN_PATH, token_body(name), 1);
    }
    let redis = connect(&server.url()).await;
    let cache = redis_cache(redis.clone());
    let sessions = RedisSessionStore::new(redis, secrets());
    let client = client(&t.base_url());
    let a = m2m();
    let b = m2m().organization(demo::ORGANIZATION_ID);
    let first = bounded(client.cached(&cache).get_token_by_client_credentials(&a))
        .await
        .expect("a");
    assert_eq!(first.access_token().expose_secret(), "a-1");

    server.stop();

    // The token cache cannot read Redis: a fresh fetch, each key its own token.
    let a_again = bounded(client.cached(&cache).get_token_by_client_credentials(&a))
        .await
        .expect("a");
    assert_eq!(a_again.access_token().expose_secret(), "a-2");
    let b_tok = bounded(client.cached(&cache).get_token_by_client_credentials(&b))
        .await
        .expect("b");
    assert_eq!(b_tok.access_token().expose_secret(), "b-1");
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 3);

    // The session store says what failed, without the URL.
    let e = bounded(sessions.get("s1"))
        .await
        .expect_err("Redis is gone");
    let message = e.to_string();
    assert!(
        message.contains("redis") && message.contains("get session"),
        "{message}"
    );
    assert!(!message.contains("127.0.0.1"), "{message}");
}

/// How many `GET`s the server has answered (`INFO commandstats`).
async fn gets_served(url: &str) -> u64 {
    let mut conn = raw(url).await;
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn hits_come_from_the_local_copy_and_reach_redis_only_without_one() {
    let server = RedisServer::start();
    let t = tenant().await;
    let client = client(&t.base_url());
    let request = m2m();
    // Another process (another cache and connection) fetched the token into Redis.
    let fetcher = redis_cache(connect(&server.url()).await);
    bounded(
        client
            .cached(&fetcher)
            .get_token_by_client_credentials(&request),
    )
    .await
    .expect("the fetch");

    // This one reads it from Redis once, then hands out its local copy.
    let cache = redis_cache(connect(&server.url()).await);
    let before = gets_served(&server.url()).await;
    for _ in 0..100 {
        bounded(
            client
                .cached(&cache)
                .get_token_by_client_credentials(&request),
        )
        .await
        .expect("a hit");
    }
    assert_eq!(gets_served(&server.url()).await - before, 1);

    // Without a local copy, every hit is a GET.
    let direct = redis_cache(connect(&server.url()).await).local_copy_ttl(Duration::ZERO);
    let before = gets_served(&server.url()).await;
    for _ in 0..100 {
        bounded(
            client
                .cached(&direct)
                .get_token_by_client_credentials(&request),
        )
        .await
        .expect("a hit");
    }
    assert_eq!(gets_served(&server.url()).await - before, 100);
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 1);
}
