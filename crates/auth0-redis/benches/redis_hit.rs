//! A token-cache hit through Redis next to one raw Redis round trip (issue 19: the hit should
//! cost at most 1.5x the round trip). Starts its own `redis-server` (Debian's package) on a
//! free loopback port with a temporary directory and stops it at the end; the emulator issues
//! the one token. Run with `cargo bench -p auth0-redis --bench redis_hit`.
//!
//! - `redis/raw_get`: a `GET` of a missing key over a multiplexed connection (the round trip);
//! - `redis/cached_hit`: `client.cached(&cache).get_token_by_client_credentials(&request)` with
//!   a `RedisTokenStore` and the default local copy: served from this process's memory (the
//!   token was read from Redis once);
//! - `redis/cached_hit_reading_redis`: the same with `local_copy_ttl(0)`: one `GET`, decrypting
//!   the value, reading the token, on every hit.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use auth0_auth::{AuthClient, ClientCredentialsRequest, SecretString, TokenCache};
use auth0_emulator::{Emulator, demo};
use auth0_redis::{Redis, RedisConfig, RedisTokenStore};
use auth0_server::Secrets;
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("auth0-redis-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut server = Command::new("redis-server")
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
        .spawn()
        .expect("redis-server (apt-get install -y redis-server)");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let url = format!("redis://127.0.0.1:{port}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let tenant = rt
        .block_on(Emulator::builder().demo_tenant().start())
        .expect("the emulator");
    let client = AuthClient::builder(tenant.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .expect("a client");
    let secrets = Secrets::new(SecretString::from(
        "a-bench-secret-that-is-at-least-32-characters",
    ))
    .expect("secrets");
    let redis = rt
        .block_on(Redis::connect(RedisConfig::new(url.as_str())))
        .expect("redis");
    let cache = TokenCache::with_store(RedisTokenStore::new(redis.clone(), secrets.clone()));
    let reading =
        TokenCache::with_store(RedisTokenStore::new(redis, secrets)).local_copy_ttl(Duration::ZERO);
    let request = ClientCredentialsRequest::new().audience(demo::AUDIENCE);
    rt.block_on(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .expect("the first fetch");
    rt.block_on(
        client
            .cached(&reading)
            .get_token_by_client_credentials(&request),
    )
    .expect("the first read");
    let mut raw = rt
        .block_on(async {
            redis::Client::open(url.as_str())?
                .get_multiplexed_async_connection()
                .await
        })
        .expect("a raw connection");

    c.bench_function("redis/raw_get", |b| {
        b.to_async(&rt).iter(|| {
            let mut conn = raw.clone();
            async move {
                let _: Option<String> = redis::cmd("GET")
                    .arg("missing")
                    .query_async(&mut conn)
                    .await
                    .expect("GET");
            }
        })
    });
    c.bench_function("redis/cached_hit", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .cached(&cache)
                .get_token_by_client_credentials(&request)
                .await
                .expect("a hit")
        })
    });
    c.bench_function("redis/cached_hit_reading_redis", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .cached(&reading)
                .get_token_by_client_credentials(&request)
                .await
                .expect("a hit")
        })
    });
    let _ = &mut raw;
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
