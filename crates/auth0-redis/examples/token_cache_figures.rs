//! The token cache's figures for `bench/compare` (issue 19), printed as a table: an in-memory
//! hit in nanoseconds, a hit through Redis next to one raw Redis `GET` (measured in the same
//! run, interleaved), and token requests counted at the emulator for a fleet of 4 processes ×
//! 250 tasks sharing Redis and for 1,000 concurrent tasks on one key.
//!
//! Run by `bench/compare/token_cache.sh` (release build), or
//! `cargo run --release -p auth0-redis --example token_cache_figures [-- --quick]`. Starts its
//! own `redis-server` (Debian's package) on a free loopback port with a temporary directory and
//! stops it at the end, and the emulator on 127.0.0.1; the fleet's workers are this program
//! again (`--worker REDIS_URL TENANT_URL`). Everything stays on loopback.

use std::collections::HashSet;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth0_auth::{AuthClient, ClientCredentialsRequest, ExposeSecret, SecretString, TokenCache};
use auth0_emulator::{Emulator, Fault, demo};
use auth0_redis::{Redis, RedisConfig, RedisTokenStore};
use auth0_server::Secrets;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const TOKEN_PATH: &str = "/oauth/token";

fn secrets() -> Res<Secrets> {
    Ok(Secrets::new(SecretString::from(
        "a-figures-secret-that-is-at-least-32-characters",
    ))?)
}

fn demo_client(base_url: &str) -> Res<AuthClient> {
    Ok(AuthClient::builder(base_url, demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()?)
}

/// A `redis-server` on a free loopback port; stopped (and its directory removed) on drop.
struct RedisServer {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl RedisServer {
    fn start() -> Res<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!("auth0-cache-figures-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("redis-server did not start ({e}); apt-get install -y redis-server")
            })?;
        let server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not answer within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// This thread's CPU time (user + system) in nanoseconds, from `/proc/thread-self/stat`
/// (10 ms ticks: read it around long runs only). `None` off Linux.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10_000_000)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Nanoseconds per call of `op`, `n` calls in a row inside one task.
async fn per_call<F, Fut>(n: u32, mut op: F) -> Res<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Res<()>>,
{
    let start = Instant::now();
    for _ in 0..n {
        op().await?;
    }
    Ok(start.elapsed().as_nanos() as f64 / f64::from(n))
}

/// 250 tasks over two keys; prints how many distinct tokens each key got in this process.
async fn worker(redis_url: &str, tenant_url: &str) -> Res<()> {
    let client = demo_client(tenant_url)?;
    let redis = Redis::connect(RedisConfig::new(redis_url)).await?;
    let cache = TokenCache::with_store(RedisTokenStore::new(redis, secrets()?));
    let requests = Arc::new([
        ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ClientCredentialsRequest::new()
            .audience(demo::AUDIENCE)
            .organization(demo::ORGANIZATION_ID),
    ]);
    let tasks: Vec<_> = (0..250)
        .map(|i| {
            let (client, cache, requests) = (client.clone(), cache.clone(), requests.clone());
            tokio::spawn(async move {
                let token = client
                    .cached(&cache)
                    .get_token_by_client_credentials(&requests[i % 2])
                    .await?;
                Ok::<_, auth0_auth::Error>((i % 2, token.access_token().expose_secret().to_owned()))
            })
        })
        .collect();
    let mut seen = [HashSet::new(), HashSet::new()];
    for task in tasks {
        let (key, token) = tokio::time::timeout(Duration::from_secs(30), task).await???;
        seen[key].insert(token);
    }
    for (key, tokens) in seen.iter().enumerate() {
        for token in tokens {
            // No token material leaves the process: a hash tells the tokens apart.
            let mut h = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(token, &mut h);
            println!("TOKEN {key} {:016x}", std::hash::Hasher::finish(&h));
        }
    }
    Ok(())
}

async fn figures(quick: bool) -> Res<()> {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let rounds = if quick { 3 } else { 7 };
    let hits: u32 = if quick { 50_000 } else { 500_000 };
    let trips: u32 = if quick { 500 } else { 5_000 };

    let tenant = Emulator::builder().demo_tenant().start().await?;
    let client = demo_client(&tenant.base_url())?;
    let request = ClientCredentialsRequest::new()
        .audience(demo::AUDIENCE)
        .scope("read:reports")
        .organization(demo::ORGANIZATION_ID);

    // In memory.
    let memory = TokenCache::new();
    for _ in 0..3 {
        client
            .cached(&memory)
            .get_token_by_client_credentials(&request)
            .await?;
    }
    let mut memory_ns = Vec::new();
    let cpu_before = thread_cpu_ns();
    for _ in 0..rounds {
        memory_ns.push(
            per_call(hits, || async {
                client
                    .cached(&memory)
                    .get_token_by_client_credentials(&request)
                    .await?;
                Ok(())
            })
            .await?,
        );
    }

    let memory_cpu_ns = thread_cpu_ns()
        .zip(cpu_before)
        .map(|(after, before)| (after - before) as f64 / (f64::from(hits) * f64::from(rounds)));

    // Through Redis, next to raw GETs on the same server.
    let server = RedisServer::start()?;
    let url = server.url();
    let connect = || async { Redis::connect(RedisConfig::new(url.as_str())).await };
    let copy = TokenCache::with_store(RedisTokenStore::new(connect().await?, secrets()?));
    let each_call = TokenCache::with_store(RedisTokenStore::new(connect().await?, secrets()?))
        .local_copy_ttl(Duration::ZERO);
    for cache in [&copy, &each_call] {
        for _ in 0..3 {
            client
                .cached(cache)
                .get_token_by_client_credentials(&request)
                .await?;
        }
    }
    let raw = redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    let (mut raw_us, mut copy_us, mut each_us) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        raw_us.push(
            per_call(trips, || {
                let mut conn = raw.clone();
                async move {
                    let _: Option<String> = redis::cmd("GET")
                        .arg("auth0:figures-missing")
                        .query_async(&mut conn)
                        .await?;
                    Ok(())
                }
            })
            .await?
                / 1000.0,
        );
        each_us.push(
            per_call(trips, || async {
                client
                    .cached(&each_call)
                    .get_token_by_client_credentials(&request)
                    .await?;
                Ok(())
            })
            .await?
                / 1000.0,
        );
        copy_us.push(
            per_call(trips, || async {
                client
                    .cached(&copy)
                    .get_token_by_client_credentials(&request)
                    .await?;
                Ok(())
            })
            .await?
                / 1000.0,
        );
    }

    // The fleet: 4 processes × 250 tasks, two keys, one slow first answer so that every
    // process asks while it is under way.
    let fleet_tenant = Emulator::builder().demo_tenant().start().await?;
    fleet_tenant.inject_fault(TOKEN_PATH, Fault::Delay(Duration::from_millis(400)), 1);
    let exe = std::env::current_exe()?;
    let children = (0..4)
        .map(|_| {
            Command::new(&exe)
                .args(["--worker", &url, &fleet_tenant.base_url()])
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output())
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    let mut fleet_tokens = [HashSet::new(), HashSet::new()];
    for output in &outputs {
        if !output.status.success() {
            return Err("a fleet worker failed".into());
        }
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Some((key, token)) = line
                .strip_prefix("TOKEN ")
                .and_then(|rest| rest.split_once(' '))
            {
                fleet_tokens[usize::from(key == "1")].insert(token.to_owned());
            }
        }
    }
    let fleet_requests = fleet_tenant.requests_to(TOKEN_PATH).len();

    // 1,000 concurrent tasks on one key, in memory.
    let one_tenant = Emulator::builder().demo_tenant().start().await?;
    let one_client = demo_client(&one_tenant.base_url())?;
    let one_cache = TokenCache::new();
    let one_request = Arc::new(ClientCredentialsRequest::new().audience(demo::AUDIENCE));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (client, cache, request) =
                (one_client.clone(), one_cache.clone(), one_request.clone());
            tokio::spawn(async move {
                client
                    .cached(&cache)
                    .get_token_by_client_credentials(&request)
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(30), task).await???;
    }
    let one_requests = one_tenant.requests_to(TOKEN_PATH).len();

    let (raw, copy, each) = (median(raw_us), median(copy_us), median(each_us));
    println!(
        "Token cache (issue 19), release build, load average {} (median of {rounds} rounds)",
        load.join(" ")
    );
    println!("| row | figure | target |");
    println!("|---|---|---|");
    println!(
        "| in-memory hit (wall clock) | {:.0} ns | ≤ 300 ns, no allocation |",
        median(memory_ns)
    );
    if let Some(cpu) = memory_cpu_ns {
        println!("| in-memory hit (this thread's CPU time, all rounds) | {cpu:.0} ns | |");
    }
    println!("| Redis: one raw GET (round trip) | {raw:.1} µs | |");
    println!(
        "| Redis: hit, local copy (default) | {:.2} µs = {:.3}x a raw GET | ≤ 1.5x |",
        copy,
        copy / raw
    );
    println!(
        "| Redis: hit reading Redis every call (`local_copy_ttl(0)`) | {each:.1} µs = {:.2}x a raw GET | |",
        each / raw
    );
    println!(
        "| fleet: 4 processes × 250 tasks, 2 keys, one Redis | {fleet_requests} token requests, {} + {} distinct tokens | 1 per key |",
        fleet_tokens[0].len(),
        fleet_tokens[1].len()
    );
    println!("| 1,000 concurrent tasks, one key | {one_requests} token request(s) | 1 |");
    drop(server);
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        let (Some(redis_url), Some(tenant_url)) = (args.get(1), args.get(2)) else {
            return Err("--worker REDIS_URL TENANT_URL".into());
        };
        return tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
            .block_on(worker(redis_url, tenant_url));
    }
    let quick = args.iter().any(|a| a == "--quick");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(figures(quick))
}
