//! Our SDK against the reference `@auth0/auth0-auth-js`, on one machine, in one run:
//! `bash bench/compare/run.sh` (which builds this with `--release` and runs it).
//!
//! With no arguments this is the driver. It starts the emulator (two demo tenants served by this
//! one process: one advertising `https://tenant.example.com/` for the reference, whose
//! `customFetch` rewrites that to the loopback address, and one advertising its plain loopback
//! URL for our SDK, which checks that the discovered issuer is the URL it was given), then runs
//! `node bench/compare/reference.mjs` and this same program with the argument `ours`, one after
//! the other, each in its own process so that each one's peak RSS is its own. Both print raw
//! timings as JSON; the driver prints one table of medians, p99s and ratios.
//!
//! `ours` also measures the floor in the same process: a raw `reqwest` POST of a prebuilt body
//! to the same token endpoint, one raw RS256 verification of the logout token, and one raw
//! verification of an ID token's signature (ES256 or RS256, as the tenant signs), each with a
//! key parsed beforehand.
//!
//! Options: `--node PATH` (default `node`), `--script PATH` (default
//! `bench/compare/reference.mjs`), `--quick` (a few iterations, to check that it works),
//! `--json PATH` (also write the raw results), `--set NAME=COUNT` (change one iteration count,
//! e.g. `--set first_call=2000`), `--ours-only` (skip the reference, for profiling),
//! `--rounds N` (default 2: the two sides take turns N times, each with 1/N of the iterations,
//! and their samples are pooled), `--token-alg RS256|ES256` (default `ES256`, see below).
//!
//! The tenants sign access and ID tokens with ES256 by default. Auth0 itself signs with RS256,
//! but an RSA-2048 signature costs the emulator about 1 ms on these machines, more than every
//! other part of a token round trip together, and it sits in both sides' timings: a client that
//! cost nothing at all could then not be even 2x faster than the reference. ES256 signing costs
//! the server a few dozen microseconds, so the table shows what the clients cost. Both SDKs still
//! check the ID tokens (ours verifies their ES256 signatures against the JWKS). Run with
//! `--token-alg RS256` to see Auth0's default; logout tokens are RS256 either way.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use auth0_auth::{
    AuthClient, AuthClientBuilder, AuthorizationParams, AuthorizationUrlRequest,
    ClientCredentialsRequest, ExposeSecret, LoginTransaction, RefreshTokenRequest,
    SigningAlgorithm, TokenByCodeRequest,
};
use auth0_auth::{SecretString, VerifyLogoutTokenRequest};
use auth0_emulator::{Emulator, RunningEmulator, TokenSigningAlg, demo};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The tenant host the reference is configured with (its issuer is `https://{this}/`).
const REFERENCE_DOMAIN: &str = "tenant.example.com";
/// The `sub` of the logout token both sides verify.
const LOGOUT_SUB: &str = "auth0|bench-user";
/// The callback both sides log in with (one of the demo clients' allowed callbacks).
const CALLBACK: &str = "http://localhost:3000/callback";
/// The concurrency of the throughput measurement.
const CONCURRENCY: usize = 64;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("ours") {
        return ours();
    }
    driver(&args)
}

// ---------------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------------

fn iterations(quick: bool) -> Value {
    if quick {
        json!({
            "cpu_warmup": 50, "authorization_url": 200, "logout_token": 200,
            "http_warmup": 10, "client_credentials": 50, "refresh": 50, "code_exchange": 10,
            "concurrency": CONCURRENCY, "concurrent_rounds": 1, "concurrent_per_worker": 2,
            "first_call": 10,
        })
    } else {
        json!({
            "cpu_warmup": 2000, "authorization_url": 20000, "logout_token": 5000,
            "http_warmup": 200, "client_credentials": 2000, "refresh": 1000, "code_exchange": 300,
            "concurrency": CONCURRENCY, "concurrent_rounds": 6, "concurrent_per_worker": 20,
            "first_call": 200,
        })
    }
}

fn side_config(
    tenant: &RunningEmulator,
    domain: &str,
    iterations: &Value,
    alg: TokenSigningAlg,
) -> Value {
    json!({
        "tokenAlg": alg.as_str(),
        "domain": domain,
        "loopback": tenant.base_url(),
        "issuer": tenant.issuer(),
        "clientId": demo::CLIENT_ID,
        "clientSecret": demo::CLIENT_SECRET,
        "audience": demo::AUDIENCE,
        "username": demo::USERNAME,
        "password": demo::PASSWORD,
        "callback": CALLBACK,
        // Valid for two minutes: made just before the side starts.
        "logoutToken": tenant.logout_token(demo::CLIENT_ID, Some(LOGOUT_SUB), Some("bench-sid")),
        "logoutSub": LOGOUT_SUB,
        "iterations": iterations,
    })
}

fn driver(args: &[String]) -> Result<(), Error> {
    let mut node = "node".to_string();
    let mut script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/compare/reference.mjs"
    )
    .to_string();
    let mut quick = false;
    let mut rounds = 2usize;
    let mut ours_only = false;
    let mut overrides = Vec::new();
    let mut json_out = None;
    let mut alg = TokenSigningAlg::ES256;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--node" => node = it.next().ok_or("--node needs a path")?.clone(),
            "--script" => script = it.next().ok_or("--script needs a path")?.clone(),
            "--json" => json_out = Some(it.next().ok_or("--json needs a path")?.clone()),
            "--quick" => quick = true,
            "--token-alg" => {
                alg = match it.next().map(String::as_str) {
                    Some("RS256") => TokenSigningAlg::RS256,
                    Some("ES256") => TokenSigningAlg::ES256,
                    _ => return Err("--token-alg needs RS256 or ES256".into()),
                }
            }
            "--ours-only" => ours_only = true,
            "--rounds" => rounds = it.next().ok_or("--rounds needs a number")?.parse()?,
            "--set" => {
                let kv = it.next().ok_or("--set needs NAME=COUNT")?;
                let (k, v) = kv.split_once('=').ok_or("--set needs NAME=COUNT")?;
                overrides.push((k.to_string(), v.parse::<u64>()?));
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }

    // The emulator: one process, two demo tenants (see the module docs for why two).
    let runtime = tokio::runtime::Runtime::new()?;
    let (reference_tenant, our_tenant) = runtime.block_on(async {
        let reference = Emulator::builder()
            .demo_tenant()
            .token_signing_alg(alg)
            .issuer(&format!("https://{REFERENCE_DOMAIN}/"))
            .start()
            .await?;
        let ours = Emulator::builder()
            .demo_tenant()
            .token_signing_alg(alg)
            .start()
            .await?;
        Ok::<_, std::io::Error>((reference, ours))
    })?;
    // The emulator records every request for tests; forget them so its memory stays flat.
    {
        let (a, b) = (reference_tenant.clone(), our_tenant.clone());
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                a.clear_requests();
                b.clear_requests();
            }
        });
    }
    eprintln!(
        "emulator ({} tokens): reference tenant {} (issuer {}), our tenant {} (issuer {})",
        alg.as_str(),
        reference_tenant.base_url(),
        reference_tenant.issuer(),
        our_tenant.base_url(),
        our_tenant.issuer()
    );

    let mut counts = iterations(quick);
    for (k, v) in overrides {
        counts[k.as_str()] = Value::from(v);
    }
    // The sides take turns, `rounds` times each with their share of the iterations, and their
    // samples are pooled: a machine that gets busier or quieter during the run weighs on both.
    if rounds > 1 {
        for key in [
            "authorization_url",
            "logout_token",
            "client_credentials",
            "refresh",
            "code_exchange",
            "first_call",
            "concurrent_rounds",
        ] {
            let n = counts[key].as_u64().unwrap_or(1);
            counts[key] = Value::from(n.div_ceil(rounds as u64));
        }
    }
    let load_before = load_average();
    let (mut reference, mut ours) = (json!({}), json!({}));
    for round in 1..=rounds {
        if !ours_only {
            eprintln!("round {round}/{rounds}: the reference (@auth0/auth0-auth-js) …");
            let r = run_side(
                Command::new(&node).arg(&script),
                &side_config(&reference_tenant, REFERENCE_DOMAIN, &counts, alg),
            )?;
            merge(&mut reference, r);
        }
        eprintln!("round {round}/{rounds}: ours (auth0-auth) …");
        let o = run_side(
            Command::new(std::env::current_exe()?).arg("ours"),
            &side_config(&our_tenant, &our_tenant.base_url(), &counts, alg),
        )?;
        merge(&mut ours, o);
    }
    println!(
        "load average (1 min) before / after the run: {load_before} / {}",
        load_average()
    );
    if let Some(path) = json_out {
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&json!({"ours": ours, "reference": reference}))?,
        )?;
    }
    print_table(&ours, &reference);
    println!(
        "tokens signed {} by the emulator (--token-alg; Auth0 signs RS256); logout tokens RS256",
        alg.as_str()
    );
    runtime.block_on(async {
        reference_tenant.shutdown().await;
        our_tenant.shutdown().await;
    });
    Ok(())
}

/// Pools one round's results into `into`: samples and throughputs are concatenated, the peak
/// RSS is the largest.
fn merge(into: &mut Value, round: Value) {
    if into.as_object().is_none_or(|o| o.is_empty()) {
        *into = round;
        return;
    }
    if let Some(ops) = round["ops"].as_object() {
        for (k, v) in ops {
            if let (Some(all), Some(new)) = (into["ops"][k].as_array_mut(), v.as_array()) {
                all.extend(new.iter().cloned());
            }
        }
    }
    for k in ["throughput", "floor_throughput"] {
        if let (Some(all), Some(new)) = (into[k].as_array_mut(), round[k].as_array()) {
            all.extend(new.iter().cloned());
        }
    }
    let rss = |v: &Value| v["peak_rss_kb"].as_u64().unwrap_or(0);
    into["peak_rss_kb"] = Value::from(rss(into).max(rss(&round)));
}

/// The 1-minute load average, as `/proc/loadavg` has it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

fn run_side(command: &mut Command, config: &Value) -> Result<Value, Error> {
    // Named by program and arguments only: the environment carries the client secret.
    let name = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let output = command
        .env("COMPARE_CONFIG", config.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{name}`: {e}"))?;
    if !output.status.success() {
        return Err(format!("`{name}` failed: {}", output.status).into());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| format!("`{name}` printed no JSON result"))?;
    Ok(serde_json::from_str(line)?)
}

/// Median and p99 (nearest rank) of nanosecond samples.
fn stats(samples: &Value) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = samples
        .as_array()?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Some((rank(0.5), rank(0.99)))
}

fn us(ns: f64) -> String {
    let us = ns / 1000.0;
    if us < 10.0 {
        format!("{us:.2} µs")
    } else if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

fn print_table(ours: &Value, reference: &Value) {
    let rows = [
        ("authorization_url", "authorization URL (discovery cached)"),
        ("logout_token", "logout-token verification (JWKS cached)"),
        ("client_credentials", "client credentials, sequential"),
        ("refresh", "refresh (ID token validated), sequential"),
        ("code_exchange", "code exchange + ID-token validation"),
        (
            "concurrent_client_credentials",
            "64-way client credentials, per request",
        ),
        ("first_call", "new client's first call (discovery)"),
        (
            "first_call_shared_http",
            "  the same, one reqwest::Client shared",
        ),
    ];
    let w = 44;
    let mut out = String::new();
    out.push_str(&format!(
        "\n{:<w$} | {:>10} {:>10} | {:>10} {:>10} | {:>7}\n",
        "operation", "ours p50", "ours p99", "ref p50", "ref p99", "ref/ours"
    ));
    out.push_str(&format!("{}\n", "-".repeat(w + 62)));
    let mut medians = BTreeMap::new();
    let mut floor_line = String::new();
    for (key, label) in rows {
        let o = stats(&ours["ops"][key]);
        let r = stats(&reference["ops"][key]);
        match (o, r) {
            (Some((om, op)), Some((rm, rp))) => {
                medians.insert(key, (om, rm));
                out.push_str(&format!(
                    "{label:<w$} | {:>10} {:>10} | {:>10} {:>10} | {:>6.2}x\n",
                    us(om),
                    us(op),
                    us(rm),
                    us(rp),
                    rm / om
                ));
            }
            (Some((om, op)), None) => {
                medians.insert(key, (om, f64::NAN));
                out.push_str(&format!(
                    "{label:<w$} | {:>10} {:>10} | {:>10} {:>10} |\n",
                    us(om),
                    us(op),
                    "-",
                    "-"
                ));
            }
            _ => {}
        }
    }

    let (ot, rt) = (
        stats(&ours["throughput"]).map(|s| s.0).unwrap_or(0.0),
        stats(&reference["throughput"]).map(|s| s.0).unwrap_or(0.0),
    );
    let tp_ratio = ot / rt.max(1e-9);
    out.push_str(&format!(
        "{:<w$} | {:>21} | {:>21} | {:>6.2}x\n",
        "64-way client credentials, throughput",
        format!("{ot:.0} req/s"),
        format!("{rt:.0} req/s"),
        tp_ratio
    ));
    if let Some((ft, _)) = stats(&ours["floor_throughput"]) {
        floor_line = format!(
            "{:<w$} | {:>21} |\n",
            "floor: raw reqwest POST, 64-way throughput",
            format!("{ft:.0} req/s")
        );
    }
    let (orss, rrss) = (
        ours["peak_rss_kb"].as_f64().unwrap_or(0.0),
        reference["peak_rss_kb"].as_f64().unwrap_or(0.0),
    );
    out.push_str(&format!(
        "{:<w$} | {:>21} | {:>21} | {:>6.2}x\n",
        "peak RSS of the process",
        format!("{:.1} MiB", orss / 1024.0),
        format!("{:.1} MiB", rrss / 1024.0),
        rrss / orss.max(1.0)
    ));
    out.push_str(&format!("{}\n", "-".repeat(w + 62)));
    let floors = [
        (
            "floor_post_client_credentials",
            "floor: raw reqwest POST, client credentials",
        ),
        ("floor_post_refresh", "floor: raw reqwest POST, refresh"),
        ("floor_post_code", "floor: raw reqwest POST, code exchange"),
        (
            "floor_rs256_verify",
            "floor: one raw RS256 verify (aws-lc, parsed)",
        ),
        (
            "floor_rs256_verify_jsonwebtoken",
            "floor: one RS256 verify (jsonwebtoken)",
        ),
        (
            "floor_id_token_verify",
            "floor: one raw ID-token signature check",
        ),
    ];
    let mut floor_medians = BTreeMap::new();
    for (key, label) in floors {
        if let Some((m, p)) = stats(&ours["ops"][key]) {
            floor_medians.insert(key, m);
            out.push_str(&format!("{label:<w$} | {:>10} {:>10} |\n", us(m), us(p)));
        }
    }
    out.push_str(&floor_line);
    out.push_str(&format!(
        "\nours: {}; reference: {} with @auth0/auth0-auth-js {}\n",
        ours["runtime"].as_str().unwrap_or("?"),
        reference["runtime"].as_str().unwrap_or("?"),
        reference["version"].as_str().unwrap_or("1.16.1"),
    ));

    // The targets, against the medians above.
    let ratio = |k: &str| medians.get(k).map(|(o, r)| r / o).unwrap_or(0.0);
    let over_floor = |k: &str, f: &str| match (medians.get(k), floor_medians.get(f)) {
        (Some((o, _)), Some(fl)) => o / fl,
        _ => f64::INFINITY,
    };
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    out.push_str("\ntargets (medians):\n");
    let mut target = |text: String, ok: bool| {
        out.push_str(&format!("  [{:>6}] {text}\n", mark(ok)));
    };
    let r = ratio("authorization_url");
    target(
        format!("authorization URL ≥ 10x faster: {r:.1}x"),
        r >= 10.0,
    );
    let r = ratio("logout_token");
    target(
        format!("logout-token verification ≥ 2.5x faster: {r:.1}x"),
        r >= 2.5,
    );
    let f = over_floor("logout_token", "floor_rs256_verify");
    target(
        format!("logout-token verification ≤ 1.3x one raw RS256 verify: {f:.2}x"),
        f <= 1.3,
    );
    for (key, floor, label) in [
        (
            "client_credentials",
            "floor_post_client_credentials",
            "client credentials",
        ),
        ("refresh", "floor_post_refresh", "refresh"),
        ("code_exchange", "floor_post_code", "code exchange"),
    ] {
        let r = ratio(key);
        target(format!("{label} ≥ 3x faster: {r:.2}x"), r >= 3.0);
        let f = over_floor(key, floor);
        target(
            format!("{label} ≤ 1.5x the raw reqwest POST: {f:.2}x"),
            f <= 1.5,
        );
    }
    target(
        format!("64-way client credentials ≥ 4x the throughput: {tp_ratio:.2}x"),
        tp_ratio >= 4.0,
    );
    let r = ratio("first_call");
    target(
        format!("new client's first call ≥ 3x faster: {r:.2}x"),
        r >= 3.0,
    );
    let r = rrss / orss.max(1.0);
    target(
        format!("peak RSS ≤ 1/5 of the reference's: 1/{r:.1}"),
        r >= 5.0,
    );
    print!("{out}");
    let _ = std::io::stdout().flush();
}

// ---------------------------------------------------------------------------------------------
// Our side
// ---------------------------------------------------------------------------------------------

struct Config {
    loopback: String,
    client_id: String,
    client_secret: String,
    audience: String,
    username: String,
    password: String,
    callback: String,
    logout_token: String,
    logout_sub: String,
    token_alg: SigningAlgorithm,
    n: Value,
}

impl Config {
    fn from_env() -> Result<Self, Error> {
        let c: Value = serde_json::from_str(&std::env::var("COMPARE_CONFIG")?)?;
        let s = |k: &str| c[k].as_str().map(String::from).ok_or(format!("no {k}"));
        Ok(Self {
            loopback: s("loopback")?,
            client_id: s("clientId")?,
            client_secret: s("clientSecret")?,
            audience: s("audience")?,
            username: s("username")?,
            password: s("password")?,
            callback: s("callback")?,
            logout_token: s("logoutToken")?,
            logout_sub: s("logoutSub")?,
            token_alg: match s("tokenAlg")?.as_str() {
                "ES256" => SigningAlgorithm::ES256,
                _ => SigningAlgorithm::RS256,
            },
            n: c["iterations"].clone(),
        })
    }

    fn n(&self, key: &str) -> usize {
        self.n[key].as_u64().unwrap_or(1) as usize
    }

    /// A builder for the confidential client, accepting the tenant's token algorithm (and
    /// RS256, which logout tokens are always signed with).
    fn builder(&self) -> AuthClientBuilder {
        AuthClient::builder(&self.loopback, &self.client_id)
            .client_secret(&self.client_secret)
            .id_token_signing_algs([self.token_alg, SigningAlgorithm::RS256])
    }

    fn client(&self) -> Result<AuthClient, Error> {
        Ok(self.builder().build()?)
    }
}

/// Runs `op` `warmup` times untimed, then `count` times timed; nanoseconds per call.
async fn timed<I>(
    warmup: usize,
    count: usize,
    mut prepare: impl AsyncFnMut() -> Result<I, Error>,
    mut op: impl AsyncFnMut(I) -> Result<(), Error>,
) -> Result<Vec<u64>, Error> {
    for _ in 0..warmup {
        let input = prepare().await?;
        op(input).await?;
    }
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let input = prepare().await?;
        let t0 = Instant::now();
        op(input).await?;
        samples.push(t0.elapsed().as_nanos() as u64);
    }
    Ok(samples)
}

async fn nothing() -> Result<(), Error> {
    Ok(())
}

/// Plays the browser: opens the authorization URL, submits the login form, returns the
/// callback URL.
async fn browser_login(
    http: &reqwest::Client,
    cfg: &Config,
    authorization_url: &str,
) -> Result<String, Error> {
    let html = http.get(authorization_url).send().await?.text().await?;
    let marker = "name=\"tx\" value=\"";
    let start = html.find(marker).ok_or("no login form")? + marker.len();
    let end = html[start..].find('"').ok_or("no login form")? + start;
    let tx = html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"");
    let submitted = http
        .post(format!("{}/authorize/login", cfg.loopback))
        .form(&[
            ("tx", tx.as_str()),
            ("username", cfg.username.as_str()),
            ("password", cfg.password.as_str()),
        ])
        .send()
        .await?;
    let location = submitted
        .headers()
        .get("location")
        .ok_or("the login form did not redirect")?
        .to_str()?
        .to_string();
    Ok(url::Url::parse(&cfg.loopback)?.join(&location)?.to_string())
}

/// A fresh authorization code: (callback URL, login transaction).
async fn fresh_code(
    client: &AuthClient,
    http: &reqwest::Client,
    cfg: &Config,
) -> Result<(String, LoginTransaction), Error> {
    let login = client
        .build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(AuthorizationParams::new().redirect_uri(&cfg.callback)),
        )
        .await?;
    let callback = browser_login(http, cfg, login.url.as_str()).await?;
    Ok((callback, login.transaction))
}

fn ours() -> Result<(), Error> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(ours_async())
}

/// Runs `a` and `b` alternately (after `warmup` untimed pairs), each on its own input from
/// `prepare`; nanoseconds per call of each. Alternating makes the ratio of the two immune to
/// the machine getting busier or quieter during the run.
async fn interleaved<I>(
    warmup: usize,
    count: usize,
    mut prepare: impl AsyncFnMut() -> Result<I, Error>,
    mut a: impl AsyncFnMut(I) -> Result<(), Error>,
    mut b: impl AsyncFnMut(I) -> Result<(), Error>,
) -> Result<(Vec<u64>, Vec<u64>), Error> {
    let (mut sa, mut sb) = (Vec::with_capacity(count), Vec::with_capacity(count));
    for i in 0..warmup + count {
        let (ia, ib) = (prepare().await?, prepare().await?);
        let t0 = Instant::now();
        a(ia).await?;
        let ta = t0.elapsed().as_nanos() as u64;
        let t0 = Instant::now();
        b(ib).await?;
        let tb = t0.elapsed().as_nanos() as u64;
        if i >= warmup {
            sa.push(ta);
            sb.push(tb);
        }
    }
    Ok((sa, sb))
}

/// A form body built once and kept for the whole run (reqwest sends a `&'static str` body
/// without copying it).
fn prebuilt_form(pairs: &[(&str, &str)]) -> &'static str {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    Box::leak(s.finish().into_boxed_str())
}

/// The JWKS key of `token`'s `kid`, parsed for its algorithm (ES256 on P-256, or RS256).
fn id_token_key(jwks: &Value, token: &str) -> Result<aws_lc_rs::signature::ParsedPublicKey, Error> {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    };
    let header = token.split('.').next().ok_or("not a JWT")?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header)?)?;
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == header["kid"]))
        .ok_or("the ID token's key is not in the JWKS")?;
    let b64 = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap_or_default());
    match header["alg"].as_str() {
        Some("ES256") => {
            let mut point = vec![4u8];
            point.extend(b64(&jwk["x"])?);
            point.extend(b64(&jwk["y"])?);
            Ok(ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)?)
        }
        Some("RS256") => {
            let (n, e) = (b64(&jwk["n"])?, b64(&jwk["e"])?);
            Ok(
                aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
                    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)?,
            )
        }
        other => Err(format!("the ID token is signed {other:?}").into()),
    }
}

/// The floor of a token request: a raw POST of a prebuilt body; the answer is read, not parsed.
async fn raw_post(raw: &reqwest::Client, url: &str, body: &'static str) -> Result<(), Error> {
    let response = raw
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("raw POST answered {}", response.status()).into());
    }
    response.bytes().await?;
    Ok(())
}

async fn ours_async() -> Result<(), Error> {
    let cfg = Config::from_env()?;
    let mut ops: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let client = cfg.client()?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // The floors' own HTTP client (default settings, its own connection pool).
    let raw = reqwest::Client::new();
    let token_url = format!("{}/oauth/token", cfg.loopback);

    let cb = cfg.callback.clone();
    ops.insert(
        "authorization_url",
        timed(
            cfg.n("cpu_warmup"),
            cfg.n("authorization_url"),
            nothing,
            async |()| {
                client
                    .build_authorization_url(
                        AuthorizationUrlRequest::new()
                            .params(AuthorizationParams::new().redirect_uri(&cb).state("xyz")),
                    )
                    .await?;
                Ok(())
            },
        )
        .await?,
    );

    // Logout-token verification, alternating with one raw RS256 verification of the same
    // token with a key parsed beforehand (and the signature decoded beforehand).
    let verified = client
        .verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            cfg.logout_token.to_string(),
        )))
        .await?;
    if verified.sub.as_deref() != Some(cfg.logout_sub.as_str()) {
        return Err("the logout token did not verify".into());
    }
    let jwks: Value = raw
        .get(format!("{}/.well-known/jwks.json", cfg.loopback))
        .send()
        .await?
        .json()
        .await?;
    // The logout token's key: the RSA one (an ES256 tenant publishes its P-256 key first).
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kty"] == "RSA"))
        .ok_or("the JWKS has no RSA key")?;
    let b64 = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap_or_default());
    let (n, e) = (b64(&jwk["n"])?, b64(&jwk["e"])?);
    let parsed = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)?;
    let token = cfg.logout_token.as_str();
    let dot = token.rfind('.').ok_or("not a JWT")?;
    let signing_input = &token.as_bytes()[..dot];
    let signature = URL_SAFE_NO_PAD.decode(&token[dot + 1..])?;
    let (sdk, floor) = interleaved(
        cfg.n("cpu_warmup"),
        cfg.n("logout_token"),
        nothing,
        async |()| {
            client
                .verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
                    cfg.logout_token.to_string(),
                )))
                .await?;
            Ok(())
        },
        async |()| {
            parsed
                .verify_sig(signing_input, &signature)
                .map_err(|_| Error::from("raw verify failed"))
        },
    )
    .await?;
    ops.insert("logout_token", sdk);
    ops.insert("floor_rs256_verify", floor);
    // For reference: the same verification through `jsonwebtoken` (which builds the RSA key
    // from its components on every call).
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk)?;
    let signature_b64 = &token[dot + 1..];
    ops.insert(
        "floor_rs256_verify_jsonwebtoken",
        timed(
            cfg.n("cpu_warmup"),
            cfg.n("logout_token"),
            nothing,
            async |()| match jsonwebtoken::crypto::verify(
                signature_b64,
                signing_input,
                &key,
                jsonwebtoken::Algorithm::RS256,
            ) {
                Ok(true) => Ok(()),
                _ => Err("jsonwebtoken verify failed".into()),
            },
        )
        .await?,
    );

    // Sequential token requests, each alternating with a raw POST of a prebuilt body to the
    // same endpoint.
    let cc = || ClientCredentialsRequest::new().audience(&cfg.audience);
    let cc_body = prebuilt_form(&[
        ("grant_type", "client_credentials"),
        ("audience", &cfg.audience),
        ("client_id", &cfg.client_id),
        ("client_secret", &cfg.client_secret),
    ]);
    let (sdk, floor) = interleaved(
        cfg.n("http_warmup"),
        cfg.n("client_credentials"),
        nothing,
        async |()| {
            client.get_token_by_client_credentials(cc()).await?;
            Ok(())
        },
        async |()| raw_post(&raw, &token_url, cc_body).await,
    )
    .await?;
    ops.insert("client_credentials", sdk);
    ops.insert("floor_post_client_credentials", floor);

    let (callback, transaction) = fresh_code(&client, &browser, &cfg).await?;
    let login = client
        .get_token_by_code(TokenByCodeRequest::from_transaction(callback, &transaction))
        .await?;
    let refresh_token = login
        .refresh_token
        .ok_or("the login returned no refresh token")?
        .expose_secret()
        .to_string();

    // The floor of an ID-token check: one raw verification of its signature (ES256 or RS256,
    // as the tenant signs) with a key parsed beforehand.
    let id_token = login
        .id_token
        .ok_or("the login returned no ID token")?
        .expose_secret()
        .to_string();
    let id_key = id_token_key(&jwks, &id_token)?;
    let dot = id_token.rfind('.').ok_or("not a JWT")?;
    let id_signature = URL_SAFE_NO_PAD.decode(&id_token[dot + 1..])?;
    ops.insert(
        "floor_id_token_verify",
        timed(
            cfg.n("cpu_warmup"),
            cfg.n("logout_token"),
            nothing,
            async |()| {
                id_key
                    .verify_sig(&id_token.as_bytes()[..dot], &id_signature)
                    .map_err(|_| Error::from("raw ID-token verify failed"))
            },
        )
        .await?,
    );
    let refresh_body = prebuilt_form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh_token),
        ("client_id", &cfg.client_id),
        ("client_secret", &cfg.client_secret),
    ]);
    let (sdk, floor) = interleaved(
        cfg.n("http_warmup"),
        cfg.n("refresh"),
        nothing,
        async |()| {
            let t = client
                .get_token_by_refresh_token(RefreshTokenRequest::new(refresh_token.clone().into()))
                .await?;
            if t.claims.is_none() {
                return Err("the refresh returned no ID token".into());
            }
            Ok(())
        },
        async |()| raw_post(&raw, &token_url, refresh_body).await,
    )
    .await?;
    ops.insert("refresh", sdk);
    ops.insert("floor_post_refresh", floor);

    // Code exchange: every call gets a fresh code from an (untimed) browser login.
    let (sdk, floor) = interleaved(
        cfg.n("http_warmup").min(20),
        cfg.n("code_exchange"),
        async || fresh_code(&client, &browser, &cfg).await,
        async |(callback, transaction): (String, LoginTransaction)| {
            client
                .get_token_by_code(TokenByCodeRequest::from_transaction(callback, &transaction))
                .await?;
            Ok(())
        },
        async |(callback, transaction): (String, LoginTransaction)| {
            let verifier = transaction.code_verifier().expose_secret();
            let code = url::Url::parse(&callback)?
                .query_pairs()
                .find(|(k, _)| k == "code")
                .ok_or("no code")?
                .1
                .into_owned();
            let body = prebuilt_form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cfg.callback),
                ("code_verifier", verifier),
                ("client_id", &cfg.client_id),
                ("client_secret", &cfg.client_secret),
            ]);
            // Timed from here: the body is prebuilt.
            raw_post(&raw, &token_url, body).await
        },
    )
    .await?;
    ops.insert("code_exchange", sdk);
    ops.insert("floor_post_code", floor);

    // 64-way concurrent client credentials, rounds alternating with the same load as raw
    // POSTs (what the emulator can serve at most).
    let mut latencies = Vec::new();
    let mut throughput = Vec::new();
    let mut floor_throughput = Vec::new();
    let per_worker = cfg.n("concurrent_per_worker");
    let concurrency = cfg.n("concurrency");
    for round in 0..=cfg.n("concurrent_rounds") {
        let t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let client = client.clone();
            let audience = cfg.audience.clone();
            tasks.spawn(async move {
                let mut l = Vec::with_capacity(per_worker);
                for _ in 0..per_worker {
                    let s = Instant::now();
                    client
                        .get_token_by_client_credentials(
                            ClientCredentialsRequest::new().audience(&audience),
                        )
                        .await?;
                    l.push(s.elapsed().as_nanos() as u64);
                }
                Ok::<_, auth0_auth::Error>(l)
            });
        }
        let mut round_latencies = Vec::new();
        while let Some(done) = tasks.join_next().await {
            round_latencies.extend(done??);
        }
        let elapsed = t0.elapsed().as_secs_f64();
        if round > 0 {
            throughput.push((concurrency * per_worker) as f64 / elapsed);
            latencies.extend(round_latencies);
        }

        let t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let (raw, url) = (raw.clone(), token_url.clone());
            tasks.spawn(async move {
                for _ in 0..per_worker {
                    raw_post(&raw, &url, cc_body).await?;
                }
                Ok::<_, Error>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        if round > 0 {
            floor_throughput.push((concurrency * per_worker) as f64 / t0.elapsed().as_secs_f64());
        }
    }
    ops.insert("concurrent_client_credentials", latencies);

    // A new client's first call: discovery (ttl 0: never cached) + client credentials; and
    // the same with one `reqwest::Client` shared by every new client (`http_client`): what a
    // new client costs when it does not build (and load the system's CA roots into) its own.
    let shared_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (own, shared) = interleaved(
        5,
        cfg.n("first_call"),
        nothing,
        async |()| {
            cfg.builder()
                .discovery_cache_ttl(Duration::ZERO)
                .build()?
                .get_token_by_client_credentials(cc())
                .await?;
            Ok(())
        },
        async |()| {
            cfg.builder()
                .discovery_cache_ttl(Duration::ZERO)
                .http_client(shared_http.clone())
                .build()?
                .get_token_by_client_credentials(cc())
                .await?;
            Ok(())
        },
    )
    .await?;
    ops.insert("first_call", own);
    ops.insert("first_call_shared_http", shared);

    let result = json!({
        "side": "ours",
        "runtime": format!("auth0-auth {} (tokio, release)", env!("CARGO_PKG_VERSION")),
        "ops": ops,
        "throughput": throughput,
        "floor_throughput": floor_throughput,
        "peak_rss_kb": peak_rss_kb(),
    });
    println!("{result}");
    Ok(())
}

/// This process's peak resident set size (`VmHWM`), in KiB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
