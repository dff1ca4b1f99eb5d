//! The token path's CPU cost next to raw `reqwest` (issue 19), in one run:
//! `cargo run --release -p auth0-auth --example token_cpu`.
//!
//! The emulator runs in a child process (this program with the argument `serve`), signing its
//! tokens ES256, so this process's CPU time is the client's alone: what the SDK spends per
//! client-credentials request, next to what `reqwest` spends posting the same body, prebuilt.
//! Both clients are built with the same settings (no redirects, 5 s connect timeout, idle
//! connections kept 90 s) and each has its own connection pool; the raw side sends the body
//! with a `content-type` header and reads the answer without parsing it.
//!
//! Two measurements, the SDK and the raw side taking turns block by block so that a machine
//! that gets busier or quieter during the run weighs on both alike:
//!
//! - sequential: one request at a time; CPU per request (`getrusage(RUSAGE_SELF)`, user +
//!   system, over the block) and the median latency;
//! - 64-way: 64 tasks, each making requests back to back. The server shares the machine's
//!   cores and is the bottleneck, so whatever the client spends per request comes out of
//!   throughput; requests per second and CPU per request.
//!
//! Each figure is given for the whole run and as the median of the rounds' SDK/raw ratios (each
//! round is one block of each side, back to back), which a burst of load from another program
//! skews less.
//!
//! Options: `--quick` (a short smoke run), `--requests N` (sequential requests per side and
//! block, default 200), `--rounds N` (blocks per side, default 16), `--per-task N` (requests per
//! task and 64-way block, default 20). For profiling one side alone (for example under
//! `valgrind --tool=callgrind`, which does not follow the server child): `--only sdk N` or
//! `--only raw N` makes N sequential requests after a short warm-up and prints nothing else.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use auth0_auth::{AuthClient, ClientCredentialsRequest};
use auth0_emulator::{Emulator, TokenSigningAlg, demo};
use nix::sys::resource::{UsageWho, getrusage};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The concurrency of the throughput measurement.
const CONCURRENCY: usize = 64;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return serve();
    }
    let mut settings = Settings {
        requests: 200,
        rounds: 16,
        per_task: 20,
        only: None,
    };
    let mut it = args.iter();
    let number = |v: Option<&String>, what: &str| -> Result<usize, Error> {
        v.and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{what} needs a positive number").into())
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => {
                settings.requests = 50;
                settings.rounds = 2;
                settings.per_task = 4;
            }
            "--requests" => settings.requests = number(it.next(), "--requests")?,
            "--rounds" => settings.rounds = number(it.next(), "--rounds")?,
            "--per-task" => settings.per_task = number(it.next(), "--per-task")?,
            "--only" => {
                let side = match it.next().map(String::as_str) {
                    Some("sdk") => Side::Sdk,
                    Some("raw") => Side::Raw,
                    _ => return Err("--only needs `sdk` or `raw`".into()),
                };
                settings.only = Some((side, number(it.next(), "--only")?));
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    // The server: a child process, so this process's CPU time is the client's alone.
    let mut child = Command::new(std::env::current_exe()?)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let mut base = String::new();
    BufReader::new(stdout).read_line(&mut base)?;
    let base = base.trim().to_string();
    let result = if base.is_empty() {
        Err("the server did not start".into())
    } else {
        tokio::runtime::Runtime::new()?.block_on(measure(&base, &settings))
    };
    // Closing its stdin stops the server.
    drop(child.stdin.take());
    let _ = child.wait();
    result
}

/// The child: one demo tenant signing ES256; prints its base URL, serves until stdin closes.
fn serve() -> Result<(), Error> {
    let runtime = tokio::runtime::Runtime::new()?;
    let tenant = runtime.block_on(
        Emulator::builder()
            .demo_tenant()
            .token_signing_alg(TokenSigningAlg::ES256)
            .start(),
    )?;
    {
        // The emulator records every request for tests; forget them so its memory stays flat.
        let tenant = tenant.clone();
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                tenant.clear_requests();
            }
        });
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", tenant.base_url())?;
    out.flush()?;
    drop(out);
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line)? > 0 {
        line.clear();
    }
    Ok(())
}

struct Settings {
    requests: usize,
    rounds: usize,
    per_task: usize,
    only: Option<(Side, usize)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Sdk,
    Raw,
}

/// Both sides' clients and the raw side's prebuilt body.
#[derive(Clone)]
struct Clients {
    sdk: AuthClient,
    raw: reqwest::Client,
    token_url: String,
    body: &'static str,
}

impl Clients {
    async fn one(&self, side: Side) -> Result<(), Error> {
        match side {
            Side::Sdk => {
                let tokens = self
                    .sdk
                    .get_token_by_client_credentials(
                        ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                    )
                    .await?;
                std::hint::black_box(tokens);
            }
            Side::Raw => {
                let response = self
                    .raw
                    .post(&self.token_url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(self.body)
                    .send()
                    .await?;
                if !response.status().is_success() {
                    return Err(format!("the raw POST answered {}", response.status()).into());
                }
                std::hint::black_box(response.bytes().await?);
            }
        }
        Ok(())
    }
}

/// This process's CPU time so far (user + system, every thread).
fn cpu_time() -> Result<Duration, Error> {
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    let micros = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec().max(0) as u64)
            + Duration::from_micros(t.tv_usec().max(0) as u64)
    };
    Ok(micros(usage.user_time()) + micros(usage.system_time()))
}

/// The median of some ratios (0 for none).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// What one block of requests cost.
#[derive(Default)]
struct Totals {
    requests: usize,
    cpu: Duration,
    wall: Duration,
    latencies_ns: Vec<u64>,
}

impl Totals {
    fn cpu_us_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64
    }

    fn per_second(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn median_us(&mut self) -> f64 {
        self.latencies_ns.sort_unstable();
        self.latencies_ns
            .get(self.latencies_ns.len() / 2)
            .map_or(0.0, |&ns| ns as f64 / 1000.0)
    }
}

async fn sequential(
    clients: &Clients,
    side: Side,
    n: usize,
    into: &mut Totals,
) -> Result<(), Error> {
    let cpu0 = cpu_time()?;
    let t0 = Instant::now();
    for _ in 0..n {
        let s = Instant::now();
        clients.one(side).await?;
        into.latencies_ns.push(s.elapsed().as_nanos() as u64);
    }
    into.wall += t0.elapsed();
    into.cpu += cpu_time()?.saturating_sub(cpu0);
    into.requests += n;
    Ok(())
}

async fn concurrent(
    clients: &Clients,
    side: Side,
    per_task: usize,
    into: &mut Totals,
) -> Result<(), Error> {
    let cpu0 = cpu_time()?;
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let clients = clients.clone();
        tasks.spawn(async move {
            for _ in 0..per_task {
                clients.one(side).await?;
            }
            Ok::<_, Error>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    into.wall += t0.elapsed();
    into.cpu += cpu_time()?.saturating_sub(cpu0);
    into.requests += CONCURRENCY * per_task;
    Ok(())
}

async fn measure(base: &str, settings: &Settings) -> Result<(), Error> {
    let sdk = AuthClient::builder(base, demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()?;
    // The settings the SDK's own client is built with.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(auth0_auth::DEFAULT_CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()?;
    // Exactly the body the SDK sends.
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("audience", demo::AUDIENCE)
        .append_pair("client_id", demo::CLIENT_ID)
        .append_pair("client_secret", demo::CLIENT_SECRET)
        .finish();
    let clients = Clients {
        sdk,
        raw,
        token_url: format!("{}/oauth/token", base.trim_end_matches('/')),
        body: Box::leak(body.into_boxed_str()),
    };
    // Warm-up: discovery, connections, allocator, both sides.
    let mut scratch = Totals::default();
    for side in [Side::Sdk, Side::Raw] {
        sequential(&clients, side, 100, &mut scratch).await?;
        concurrent(&clients, side, 2, &mut scratch).await?;
    }
    if let Some((side, n)) = settings.only {
        return sequential(&clients, side, n, &mut scratch).await;
    }

    let (mut seq_sdk, mut seq_raw) = (Totals::default(), Totals::default());
    let (mut par_sdk, mut par_raw) = (Totals::default(), Totals::default());
    // Per round, SDK/raw: CPU per request (sequential, 64-way) and 64-way throughput. Their
    // medians shrug off a round that another program on the machine slowed on one side only.
    let mut round_ratios: [Vec<f64>; 3] = Default::default();
    for round in 0..settings.rounds {
        let before = [
            (seq_sdk.cpu, seq_sdk.requests, seq_sdk.wall),
            (seq_raw.cpu, seq_raw.requests, seq_raw.wall),
            (par_sdk.cpu, par_sdk.requests, par_sdk.wall),
            (par_raw.cpu, par_raw.requests, par_raw.wall),
        ];
        // Who goes first alternates, so neither side always follows the other's load.
        let order = if round % 2 == 0 {
            [Side::Sdk, Side::Raw]
        } else {
            [Side::Raw, Side::Sdk]
        };
        for side in order {
            let into = if side == Side::Sdk {
                &mut seq_sdk
            } else {
                &mut seq_raw
            };
            sequential(&clients, side, settings.requests, into).await?;
        }
        for side in order {
            let into = if side == Side::Sdk {
                &mut par_sdk
            } else {
                &mut par_raw
            };
            concurrent(&clients, side, settings.per_task, into).await?;
        }
        let delta = |t: &Totals, (cpu, requests, wall): (Duration, usize, Duration)| {
            let n = (t.requests - requests).max(1) as f64;
            (
                (t.cpu - cpu).as_secs_f64() / n,
                n / (t.wall - wall).as_secs_f64().max(1e-9),
            )
        };
        let (s_sdk, s_raw) = (delta(&seq_sdk, before[0]), delta(&seq_raw, before[1]));
        let (p_sdk, p_raw) = (delta(&par_sdk, before[2]), delta(&par_raw, before[3]));
        round_ratios[0].push(s_sdk.0 / s_raw.0.max(1e-12));
        round_ratios[1].push(p_sdk.0 / p_raw.0.max(1e-12));
        round_ratios[2].push(p_sdk.1 / p_raw.1.max(1e-12));
    }
    let [seq_cpu_ratio, par_cpu_ratio, throughput_ratio] = round_ratios.map(median);

    println!(
        "client credentials through the SDK vs raw reqwest posting the same prebuilt body \
         (server in a child process; client CPU = this process's user + system time)"
    );
    println!(
        "{:<30} | {:>12} | {:>12} | {:>8} | {:>14}",
        "", "SDK", "raw reqwest", "SDK/raw", "rounds' median"
    );
    let row = |label: &str, sdk: f64, raw: f64, unit: &str, rounds: Option<f64>| {
        let rounds = rounds.map_or(String::new(), |r| format!("{r:.3}x"));
        println!(
            "{label:<30} | {:>9.1} {unit:<2} | {:>9.1} {unit:<2} | {:>7.3}x | {rounds:>14}",
            sdk,
            raw,
            sdk / raw.max(1e-9)
        );
    };
    row(
        "sequential: CPU per request",
        seq_sdk.cpu_us_per_request(),
        seq_raw.cpu_us_per_request(),
        "µs",
        Some(seq_cpu_ratio),
    );
    let (sdk_median, raw_median) = (seq_sdk.median_us(), seq_raw.median_us());
    row(
        "sequential: median latency",
        sdk_median,
        raw_median,
        "µs",
        None,
    );
    row(
        "64-way: CPU per request",
        par_sdk.cpu_us_per_request(),
        par_raw.cpu_us_per_request(),
        "µs",
        Some(par_cpu_ratio),
    );
    println!(
        "{:<30} | {:>8.0} /s | {:>8.0} /s | {:>7.1}% | {:>13.1}%",
        "64-way: throughput",
        par_sdk.per_second(),
        par_raw.per_second(),
        100.0 * par_sdk.per_second() / par_raw.per_second().max(1e-9),
        100.0 * throughput_ratio
    );
    println!(
        "({} + {} requests per side; targets: CPU per request ≤ 1.1x raw, 64-way throughput ≥ 95% of raw)",
        seq_sdk.requests, par_sdk.requests
    );
    Ok(())
}
