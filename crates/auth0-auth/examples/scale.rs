//! One process serving many tenants: `cargo run --release -p auth0-auth --example scale`.
//!
//! 1. Memory per tenant and lookup cost as the tenant count grows from 10 to 1,000. Each tenant
//!    is its own emulator (its own port, issuer and signing key): the SDK checks that the
//!    discovered issuer is the domain it was given, so one emulator is one domain. The 1,000
//!    emulators run in a child process (this program with `host N`), so this process's resident
//!    memory is the SDK's alone. For each tenant this process builds an `AuthClient` and warms the
//!    shared discovery and JWKS caches (one discovery, one JWKS fetch). Memory per tenant is the
//!    growth of `VmRSS` divided by the tenants added; the lookup cost is the median time of a
//!    call made round-robin over every tenant so far (so each call is a lookup of a different
//!    tenant): `server_metadata` (the discovery cache alone), `build_authorization_url`
//!    (discovery cache + URL + PKCE) and `verify_logout_token` (discovery and JWKS caches +
//!    one RS256 verification).
//! 2. Throughput of concurrent client-credentials requests, one client, as concurrency grows
//!    from 1 to 256, against a tenant that signs its tokens ES256 (an RS256 signature costs the
//!    emulator about 1 ms, which would cap the figure at the emulator's signing rate).
//!
//! The memory part runs twice, each time in a fresh process: once with every `AuthClient` built
//! by the builder's default (clients built in one runtime share a `reqwest::Client`, and every
//! client one TLS configuration), once with one `reqwest::Client` passed through `http_client`.
//!
//! Options: `--tenants N` (default 1000), `--quick` (100 tenants, fewer requests).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrlRequest, ClientCredentialsRequest,
};
use auth0_auth::{SecretString, VerifyLogoutTokenRequest};
use auth0_emulator::{Emulator, RunningEmulator, TokenSigningAlg, demo};
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("host") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10);
            return host(n);
        }
        Some("measure") => {
            let file = args.get(1).ok_or("measure needs a file")?;
            let shared = args.get(2).map(String::as_str) == Some("shared");
            let quick = args.iter().any(|a| a == "--quick");
            let specs = std::fs::read_to_string(file)?
                .lines()
                .map(|line| {
                    let v: Value = serde_json::from_str(line)?;
                    Ok((
                        v["base"].as_str().unwrap_or_default().to_string(),
                        v["logout_token"].as_str().unwrap_or_default().to_string(),
                    ))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let runtime = tokio::runtime::Runtime::new()?;
            return runtime.block_on(measure_async(specs, quick, shared));
        }
        _ => {}
    }
    let mut tenants = 1000;
    let mut quick = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--tenants" => {
                tenants = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--tenants needs a number")?
            }
            "--quick" => {
                quick = true;
                tenants = tenants.min(100);
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    measure(tenants, quick)
}

/// The child: `n` emulators; prints one JSON line per tenant, then serves until stdin closes.
fn host(n: usize) -> Result<(), Error> {
    let runtime = tokio::runtime::Runtime::new()?;
    let tenants: Vec<RunningEmulator> = runtime.block_on(async {
        let mut starting = tokio::task::JoinSet::new();
        for i in 0..n {
            starting.spawn(async move {
                // The first tenant serves the throughput part: it signs ES256, so the emulator's
                // RSA signing (about 1 ms a token) does not cap what the client can do.
                let alg = if i == 0 {
                    TokenSigningAlg::ES256
                } else {
                    TokenSigningAlg::RS256
                };
                Emulator::builder()
                    .demo_tenant()
                    .token_signing_alg(alg)
                    .start()
                    .await
                    .map(|t| (i, t))
            });
        }
        let mut tenants = Vec::with_capacity(n);
        while let Some(t) = starting.join_next().await {
            tenants.push(t??);
        }
        tenants.sort_by_key(|(i, _)| *i);
        Ok::<_, Error>(tenants.into_iter().map(|(_, t)| t).collect())
    })?;
    {
        // The emulator records every request for tests; forget them so its memory stays flat.
        let tenants = tenants.clone();
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                for t in &tenants {
                    t.clear_requests();
                }
            }
        });
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut out = std::io::stdout().lock();
    for t in &tenants {
        let token = t.sign_jwt(
            None,
            &json!({
                "iss": t.issuer(), "aud": demo::CLIENT_ID, "iat": now, "exp": now + 3600,
                "jti": "scale", "sub": "auth0|scale", "sid": "scale-sid",
                "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            }),
        );
        writeln!(
            out,
            "{}",
            json!({"base": t.base_url(), "logout_token": token})
        )?;
    }
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    // Serve until the parent closes our stdin (or dies).
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line)? > 0 {
        line.clear();
    }
    Ok(())
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn median_ns(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn quantile_ns(v: &mut [u64], q: f64) -> u64 {
    v.sort_unstable();
    if v.is_empty() {
        return 0;
    }
    v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

struct Tenant {
    client: AuthClient,
    logout_token: String,
}

fn measure(count: usize, quick: bool) -> Result<(), Error> {
    let started = Instant::now();
    eprintln!("starting {count} emulators in a child process …");
    let mut child = Command::new(std::env::current_exe()?)
        .args(["host", &count.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let mut specs = String::new();
    let mut started_tenants = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line == "ready" {
            break;
        }
        specs.push_str(&line);
        specs.push('\n');
        started_tenants += 1;
    }
    if started_tenants != count {
        return Err(format!("the host started {started_tenants} of {count} tenants").into());
    }
    eprintln!(
        "{count} emulators up after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let file = std::env::temp_dir().join(format!("auth0-auth-scale-{}.jsonl", std::process::id()));
    std::fs::write(&file, specs)?;

    // Each way of building the clients is measured in a fresh process of its own, so that
    // its resident memory starts from the same point.
    let mut result = Ok(());
    for mode in ["own", "shared"] {
        let mut measure = Command::new(std::env::current_exe()?);
        measure.arg("measure").arg(&file).arg(mode);
        if quick {
            measure.arg("--quick");
        }
        let status = measure.status()?;
        if !status.success() {
            result = Err(format!("the {mode} measurement failed: {status}").into());
            break;
        }
    }
    let _ = std::fs::remove_file(&file);
    drop(child.stdin.take());
    let _ = child.wait();
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    result
}

async fn measure_async(
    specs: Vec<(String, String)>,
    quick: bool,
    shared: bool,
) -> Result<(), Error> {
    let shared_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let build = |base: &str| {
        let builder = AuthClient::builder(base, demo::CLIENT_ID)
            .client_secret(demo::CLIENT_SECRET)
            // The default keeps 100 tenants' discovery documents; this process serves more.
            .discovery_cache_max_entries(specs.len() as u64 + 16);
        if shared {
            builder.http_client(shared_http.clone()).build()
        } else {
            builder.build()
        }
    };
    // Warm up the process (runtime, allocator, TLS roots, first client) before the baseline.
    {
        let (base, token) = &specs[0];
        let c = build(base)?;
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            token.to_string(),
        )))
        .await?;
    }
    let mut tenants: Vec<Tenant> = Vec::with_capacity(specs.len());
    let mut checkpoints: Vec<usize> = [10, 30, 100, 300, 1000, 3000]
        .into_iter()
        .filter(|&n| n < specs.len())
        .collect();
    checkpoints.push(specs.len());
    println!(
        "\n{}: memory per tenant and lookup cost (median ns per call, round-robin over every tenant)",
        if shared {
            "every AuthClient given one shared reqwest::Client (http_client)"
        } else {
            "every AuthClient with the builder's default HTTP client"
        }
    );
    println!(
        "{:>8} | {:>10} {:>14} | {:>16} {:>18} {:>20}",
        "tenants",
        "RSS",
        "per tenant",
        "server_metadata",
        "authorization URL",
        "verify_logout_token"
    );
    let mut rss_before = rss_kb();
    let mut tenants_before = 0usize;
    let first_rss = rss_before;
    for &checkpoint in &checkpoints {
        for (base, token) in &specs[tenants.len()..checkpoint] {
            let client = build(base)?;
            // Warms this tenant's discovery and JWKS cache entries.
            client
                .verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
                    token.to_string(),
                )))
                .await?;
            tenants.push(Tenant {
                client,
                logout_token: token.clone(),
            });
        }
        let rss = rss_kb();
        let per_tenant =
            (rss.saturating_sub(rss_before)) as f64 * 1024.0 / (checkpoint - tenants_before) as f64;
        rss_before = rss;
        tenants_before = checkpoint;

        // Round-robin lookups: every call hits a different tenant's cache entries.
        let rounds = (if quick { 2_000 } else { 20_000 }).max(checkpoint * 2);
        let mut metadata = Vec::with_capacity(rounds);
        for i in 0..rounds {
            let t = &tenants[i % tenants.len()];
            let t0 = Instant::now();
            std::hint::black_box(t.client.server_metadata().await?);
            metadata.push(t0.elapsed().as_nanos() as u64);
        }
        let mut urls = Vec::with_capacity(rounds);
        let params = AuthorizationParams::new().redirect_uri("http://localhost:3000/callback");
        for i in 0..rounds {
            let t = &tenants[i % tenants.len()];
            let request = AuthorizationUrlRequest::new().params(params.clone());
            let t0 = Instant::now();
            std::hint::black_box(t.client.build_authorization_url(request).await?);
            urls.push(t0.elapsed().as_nanos() as u64);
        }
        let mut verifies = Vec::with_capacity(rounds / 4);
        for i in 0..rounds / 4 {
            let t = &tenants[i % tenants.len()];
            let t0 = Instant::now();
            std::hint::black_box(
                t.client
                    .verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
                        t.logout_token.to_string(),
                    )))
                    .await?,
            );
            verifies.push(t0.elapsed().as_nanos() as u64);
        }
        println!(
            "{:>8} | {:>7.1} MiB {:>11.1} KiB | {:>16} {:>18} {:>20}",
            checkpoint,
            rss as f64 / 1024.0,
            per_tenant / 1024.0,
            median_ns(metadata),
            median_ns(urls),
            median_ns(verifies)
        );
    }
    println!(
        "overall: {:.1} KiB per tenant ({} tenants, RSS {:.1} → {:.1} MiB)",
        (rss_before.saturating_sub(first_rss)) as f64 / tenants.len() as f64,
        tenants.len(),
        first_rss as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );

    if shared {
        return Ok(());
    }
    // Throughput of concurrent token requests through one client.
    let client = tenants[0].client.clone();
    println!("\nconcurrent client-credentials requests, one client, one emulator");
    println!(
        "{:>11} | {:>10} | {:>10} {:>10}",
        "concurrency", "req/s", "p50", "p99"
    );
    for concurrency in [1usize, 4, 16, 64, 256] {
        let total = if quick { 256 } else { 2048 }.max(concurrency * 4);
        let per_task = total / concurrency;
        // One warm-up round opens the connections.
        for measured in [false, true] {
            let t0 = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..concurrency {
                let client = client.clone();
                tasks.spawn(async move {
                    let mut l = Vec::with_capacity(per_task);
                    for _ in 0..per_task {
                        let s = Instant::now();
                        client
                            .get_token_by_client_credentials(
                                ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                            )
                            .await?;
                        l.push(s.elapsed().as_nanos() as u64);
                    }
                    Ok::<_, auth0_auth::Error>(l)
                });
            }
            let mut latencies = Vec::with_capacity(total);
            while let Some(done) = tasks.join_next().await {
                latencies.extend(done??);
            }
            let elapsed = t0.elapsed().as_secs_f64();
            if measured {
                let p50 = quantile_ns(&mut latencies, 0.5);
                let p99 = quantile_ns(&mut latencies, 0.99);
                println!(
                    "{:>11} | {:>10.0} | {:>7.0} µs {:>7.0} µs",
                    concurrency,
                    (per_task * concurrency) as f64 / elapsed,
                    p50 as f64 / 1000.0,
                    p99 as f64 / 1000.0
                );
            }
        }
    }
    Ok(())
}
