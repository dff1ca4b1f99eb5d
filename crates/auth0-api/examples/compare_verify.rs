//! Access-token verification side by side with Auth0's Node middleware,
//! `express-oauth2-jwt-bearer` 1.10.0, in one run on one machine: `bash bench/compare/run.sh`
//! builds this with `--release` and runs it after the SDK table.
//!
//! The driver starts the emulator (a demo tenant on 127.0.0.1, RS256 access tokens as Auth0
//! signs them), signs a Bearer token and a DPoP-bound token (`cnf.jkt` of an ES256 key), then
//! lets the two sides take turns (`--rounds`, default 2, each round with its share of the
//! iterations; samples are pooled):
//!
//! - Node: `bench/compare/api/api_verify.mjs` (the middleware pinned in that folder's
//!   `package.json` and `package-lock.json`), called in-process with request-like objects, no
//!   HTTP server;
//! - ours: [`ApiClient::verify_access_token`] in this process, with the same tokens.
//!
//! Two jobs, each with the route's scope check: `bearer` (warm discovery and JWKS caches) and
//! `dpop` (the bound token and a fresh proof per call: both sides get the same list of proofs,
//! made before the side starts; ours also records every `jti` in its replay cache, which the
//! middleware has none of). Both sides also measure their raw floors in the same process: one
//! RS256 and one ES256 signature check with a key parsed beforehand (aws-lc here,
//! `crypto.verify` in Node). The table shows medians and p99s, the Node/ours ratio, and each
//! side's cost over its floors; the targets are `bearer` at most 1.2x the RS256 floor
//! and `dpop` at most 1.3x the RS256 + ES256 floors.
//!
//! Options: `--quick` (a few iterations, to check that it works), `--rounds N`, `--node PATH`
//! (default `node`), `--script PATH` (default `bench/compare/api/api_verify.mjs`), `--json PATH`
//! (also write the raw timings, to `PATH.api.json`), `--ours-only` (skip Node, for profiling),
//! `--set NAME=COUNT` (`warmup`, `bearer`, `dpop` or `floor`: iterations over all rounds; other
//! names are the SDK table's). `--token-alg` is the SDK table's and skipped here. Everything
//! stays on loopback.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use auth0_api::{ApiClient, Audience, VerifyAccessTokenRequest};
use auth0_auth::{DpopKey, DpopProofRequest};
use auth0_emulator::{Emulator, RunningEmulator, demo};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The API both sides protect (the request's host and path; proofs are made for this URL).
const HOST: &str = "api.example.com";
const PATH: &str = "/orders";
const URL: &str = "https://api.example.com/orders";
/// The scope the route requires (the tokens carry it).
const SCOPE: &str = "read:messages";

struct Options {
    node: String,
    script: String,
    quick: bool,
    rounds: usize,
    json: Option<String>,
    ours_only: bool,
    overrides: Vec<(String, usize)>,
}

fn options() -> Result<Options, Error> {
    let mut o = Options {
        node: "node".into(),
        script: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../bench/compare/api/api_verify.mjs"
        )
        .into(),
        quick: false,
        rounds: 2,
        json: None,
        ours_only: false,
        overrides: Vec::new(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--node" => o.node = value()?,
            "--script" => o.script = value()?,
            "--json" => o.json = Some(value()?),
            "--rounds" => o.rounds = value()?.parse::<usize>()?.max(1),
            "--quick" => o.quick = true,
            "--ours-only" => o.ours_only = true,
            // `--set NAME=COUNT` changes one of this table's counts (`warmup`, `bearer`, `dpop`,
            // `floor`, over all rounds); the SDK table's names are left to it.
            "--set" => {
                let kv = value()?;
                let (k, v) = kv.split_once('=').ok_or("--set needs NAME=COUNT")?;
                if matches!(k, "warmup" | "bearer" | "dpop" | "floor") {
                    o.overrides.push((k.to_string(), v.parse()?));
                }
            }
            // The SDK table's option (run.sh passes its arguments to both drivers).
            "--token-alg" => {
                value()?;
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    Ok(o)
}

/// Iterations per side, over all rounds.
struct Counts {
    warmup: usize,
    bearer: usize,
    dpop: usize,
    floor: usize,
}

impl Counts {
    fn new(quick: bool, rounds: usize, overrides: &[(String, usize)]) -> Self {
        let (mut warmup, mut bearer, mut dpop, mut floor): (usize, usize, usize, usize) = if quick {
            (50, 200, 200, 200)
        } else {
            (1000, 20_000, 10_000, 20_000)
        };
        for (name, count) in overrides {
            match name.as_str() {
                "warmup" => warmup = *count,
                "bearer" => bearer = *count,
                "dpop" => dpop = *count,
                _ => floor = *count,
            }
        }
        Self {
            warmup,
            bearer: bearer.div_ceil(rounds),
            dpop: dpop.div_ceil(rounds),
            floor: floor.div_ceil(rounds),
        }
    }
}

/// What both sides verify.
struct Workload {
    bearer: String,
    bound: String,
    key: DpopKey,
    /// The tenant's RSA JWK (the access tokens' key).
    rsa_jwk: Value,
}

impl Workload {
    fn new(tenant: &RunningEmulator, jwks: &Value) -> Result<Self, Error> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = json!({
            "iss": tenant.issuer(), "sub": "auth0|bench", "aud": demo::AUDIENCE,
            "iat": now, "exp": now + 3600, "scope": SCOPE, "azp": demo::CLIENT_ID,
        });
        let key = DpopKey::generate()?;
        let mut bound_claims = claims.clone();
        bound_claims["cnf"] = json!({ "jkt": key.thumbprint() });
        let bearer = tenant.sign_jwt(None, &claims);
        let kid = header(&bearer)?["kid"].clone();
        let rsa_jwk = jwks["keys"]
            .as_array()
            .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
            .cloned()
            .ok_or("the access token's key is not in the JWKS")?;
        Ok(Self {
            bearer,
            bound: tenant.sign_jwt(None, &bound_claims),
            key,
            rsa_jwk,
        })
    }

    /// `count` fresh proofs for a GET of [`URL`] presenting the bound token.
    fn proofs(&self, count: usize) -> Result<Vec<String>, Error> {
        let request = DpopProofRequest::new(auth0_auth::reqwest::Method::GET, URL)
            .access_token(self.bound.clone().into());
        (0..count).map(|_| Ok(self.key.proof(&request)?)).collect()
    }
}

fn header(token: &str) -> Result<Value, Error> {
    let segment = token.split('.').next().ok_or("not a JWT")?;
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment)?)?)
}

fn main() -> Result<(), Error> {
    let o = options()?;
    let rt = tokio::runtime::Runtime::new()?;
    let tenant = rt.block_on(Emulator::builder().demo_tenant().start())?;
    let jwks: Value = rt.block_on(async {
        reqwest::get(format!("{}/.well-known/jwks.json", tenant.base_url()))
            .await?
            .json()
            .await
    })?;
    let work = Workload::new(&tenant, &jwks)?;
    let counts = Counts::new(o.quick, o.rounds, &o.overrides);
    let api = ApiClient::builder(tenant.base_url(), Audience::new(demo::AUDIENCE)).build()?;
    eprintln!(
        "emulator: {} (RS256 access tokens); {} round(s)",
        tenant.base_url(),
        o.rounds
    );

    let load_before = load_average();
    let (mut ours, mut node) = (Samples::default(), Samples::default());
    let mut node_runtime = String::new();
    for round in 1..=o.rounds {
        if !o.ours_only {
            eprintln!(
                "round {round}/{}: express-oauth2-jwt-bearer (Node) …",
                o.rounds
            );
            let result = run_node(&o, &tenant, &work, &counts)?;
            node_runtime = result["runtime"].as_str().unwrap_or_default().to_string();
            node.merge(&result["ops"]);
        }
        eprintln!("round {round}/{}: ours (auth0-api) …", o.rounds);
        let proofs = work.proofs(counts.warmup + counts.dpop)?;
        let result = rt.block_on(run_ours(&api, &work, &counts, proofs))?;
        ours.merge(&result);
    }
    println!(
        "\naccess-token verification, in-process; ours: auth0-api {} (release), Node: \
         express-oauth2-jwt-bearer 1.10.0 on {}",
        env!("CARGO_PKG_VERSION"),
        if node_runtime.is_empty() {
            "-"
        } else {
            &node_runtime
        }
    );
    println!(
        "load average (1 min) before / after: {load_before} / {}",
        load_average()
    );
    print_table(&ours, &node);
    if let Some(path) = &o.json {
        std::fs::write(
            format!("{path}.api.json"),
            serde_json::to_vec_pretty(&json!({ "ours": ours.0, "node": node.0 }))?,
        )?;
    }
    rt.block_on(tenant.shutdown());
    Ok(())
}

/// Raw nanosecond timings per operation, pooled over the rounds.
#[derive(Default)]
struct Samples(serde_json::Map<String, Value>);

impl Samples {
    fn merge(&mut self, ops: &Value) {
        let Some(ops) = ops.as_object() else { return };
        for (name, values) in ops {
            let entry = self
                .0
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let (Some(all), Some(new)) = (entry.as_array_mut(), values.as_array()) {
                all.extend(new.iter().cloned());
            }
        }
    }

    /// Median and p99 (nearest rank), in nanoseconds.
    fn stats(&self, name: &str) -> Option<(f64, f64)> {
        let mut v: Vec<f64> = self
            .0
            .get(name)?
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
}

/// Our side: `verify_access_token` for each job, each call alternating with one raw signature
/// check (the job's floor), so that both see the same state of the machine.
async fn run_ours(
    api: &ApiClient,
    work: &Workload,
    counts: &Counts,
    proofs: Vec<String>,
) -> Result<Value, Error> {
    let rsa = rsa_key(&work.rsa_jwk)?;
    let (rsa_input, rsa_sig) = split(&work.bearer)?;
    let sample_proof = proofs.first().ok_or("no DPoP proof")?.clone();
    let ec = ec_key(work.key.public_jwk())?;
    let (ec_input, ec_sig) = split(&sample_proof)?;

    let bearer_header = format!("Bearer {}", work.bearer);
    let (mut bearer, mut floor_rs256) = (Vec::new(), Vec::new());
    for i in 0..counts.warmup + counts.bearer.max(counts.floor) {
        let t0 = Instant::now();
        let claims = api
            .verify_access_token(
                VerifyAccessTokenRequest::from_authorization_header(&bearer_header)
                    .required_scopes([SCOPE]),
            )
            .await?;
        let sdk = t0.elapsed();
        std::hint::black_box(claims);
        let t0 = Instant::now();
        rsa.verify_sig(&rsa_input, &rsa_sig)
            .map_err(|_| "raw RS256 verify failed")?;
        let raw = t0.elapsed();
        if i >= counts.warmup {
            bearer.push(sdk.as_nanos() as u64);
            floor_rs256.push(raw.as_nanos() as u64);
        }
    }
    bearer.truncate(counts.bearer);
    floor_rs256.truncate(counts.floor);

    let dpop_header = format!("DPoP {}", work.bound);
    let (mut dpop, mut floor_es256) = (Vec::new(), Vec::new());
    for (i, proof) in proofs.into_iter().enumerate() {
        let t0 = Instant::now();
        let claims = api
            .verify_access_token(
                VerifyAccessTokenRequest::from_authorization_header(&dpop_header)
                    .dpop_proof(proof)
                    .http_method("GET")
                    .http_url(URL)
                    .required_scopes([SCOPE]),
            )
            .await?;
        let sdk = t0.elapsed();
        std::hint::black_box(claims);
        let t0 = Instant::now();
        ec.verify_sig(&ec_input, &ec_sig)
            .map_err(|_| "raw ES256 verify failed")?;
        let raw = t0.elapsed();
        if i >= counts.warmup {
            dpop.push(sdk.as_nanos() as u64);
            floor_es256.push(raw.as_nanos() as u64);
        }
    }
    while floor_es256.len() < counts.floor {
        let t0 = Instant::now();
        ec.verify_sig(&ec_input, &ec_sig)
            .map_err(|_| "raw ES256 verify failed")?;
        floor_es256.push(t0.elapsed().as_nanos() as u64);
    }
    Ok(json!({
        "bearer": bearer, "dpop": dpop, "floor_rs256": floor_rs256, "floor_es256": floor_es256,
    }))
}

/// The signing input and the decoded signature of a compact JWS.
fn split(token: &str) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let (input, sig) = token.rsplit_once('.').ok_or("not a JWT")?;
    Ok((input.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(sig)?))
}

fn b64(jwk: &Value, member: &str) -> Result<Vec<u8>, Error> {
    let text = jwk[member].as_str().ok_or("a JWK member is missing")?;
    Ok(URL_SAFE_NO_PAD.decode(text)?)
}

fn rsa_key(jwk: &Value) -> Result<aws_lc_rs::signature::ParsedPublicKey, Error> {
    let (n, e) = (b64(jwk, "n")?, b64(jwk, "e")?);
    Ok(
        aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)?,
    )
}

fn ec_key(jwk: &Value) -> Result<aws_lc_rs::signature::ParsedPublicKey, Error> {
    let mut point = vec![4u8];
    point.extend(b64(jwk, "x")?);
    point.extend(b64(jwk, "y")?);
    Ok(aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )?)
}

/// The Node side, in its own process: the input on stdin, one JSON object on stdout.
fn run_node(
    o: &Options,
    tenant: &RunningEmulator,
    work: &Workload,
    counts: &Counts,
) -> Result<Value, Error> {
    let installed = std::path::Path::new(&o.script)
        .parent()
        .map(|dir| dir.join("node_modules/express-oauth2-jwt-bearer"))
        .is_some_and(|dir| dir.is_dir());
    if !installed {
        return Err(format!(
            "express-oauth2-jwt-bearer is not installed next to {}: run `npm ci` in that folder \
             (bench/compare/run.sh does), or pass --ours-only",
            o.script
        )
        .into());
    }
    let proofs = work.proofs(counts.warmup + counts.dpop)?;
    let sample_proof = proofs.first().ok_or("no DPoP proof")?.clone();
    let input = json!({
        "issuerBaseURL": tenant.base_url(),
        "audience": demo::AUDIENCE,
        "scope": SCOPE,
        "host": HOST,
        "path": PATH,
        "bearer": work.bearer,
        "bound": work.bound,
        "proofs": proofs,
        "rs256": { "jwk": work.rsa_jwk, "token": work.bearer },
        "es256": { "jwk": work.key.public_jwk(), "token": sample_proof },
        "iterations": {
            "warmup": counts.warmup, "bearer": counts.bearer, "dpop": counts.dpop,
            "floor": counts.floor,
        },
    });
    let mut child = Command::new(&o.node)
        .arg(&o.script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            format!(
                "could not start `{} {}` ({e}); it needs Node.js 20+ and `npm ci` in \
                 bench/compare/api",
                o.node, o.script
            )
        })?;
    child
        .stdin
        .take()
        .ok_or("no stdin for node")?
        .write_all(input.to_string().as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(format!("`{} {}` failed: {}", o.node, o.script, output.status).into());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or("the Node side printed no JSON result")?;
    Ok(serde_json::from_str(line)?)
}

fn us(ns: f64) -> String {
    if ns.is_nan() {
        "-".into()
    } else if ns < 10_000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{:.1} µs", ns / 1000.0)
    }
}

fn print_table(ours: &Samples, node: &Samples) {
    let w = 44;
    println!(
        "\n{:<w$} | {:>10} {:>10} | {:>10} {:>10} | {:>9}",
        "operation", "ours p50", "ours p99", "node p50", "node p99", "node/ours"
    );
    println!("{}", "-".repeat(w + 61));
    let rows = [
        ("bearer", "Bearer token, warm JWKS, scope check"),
        ("dpop", "DPoP-bound token + proof, scope check"),
        ("floor_rs256", "floor: one raw RS256 check (key parsed)"),
        ("floor_es256", "floor: one raw ES256 check (key parsed)"),
    ];
    let nan = (f64::NAN, f64::NAN);
    for (key, label) in rows {
        let (om, op) = ours.stats(key).unwrap_or(nan);
        let (nm, np) = node.stats(key).unwrap_or(nan);
        let ratio = if nm.is_nan() || om.is_nan() {
            "-".to_string()
        } else {
            format!("{:.2}x", nm / om)
        };
        println!(
            "{label:<w$} | {:>10} {:>10} | {:>10} {:>10} | {:>9}",
            us(om),
            us(op),
            us(nm),
            us(np),
            ratio
        );
    }
    let median = |s: &Samples, k: &str| s.stats(k).map_or(f64::NAN, |(m, _)| m);
    let over = |s: &Samples| {
        let rs = median(s, "floor_rs256");
        let both = rs + median(s, "floor_es256");
        (median(s, "bearer") / rs, median(s, "dpop") / both)
    };
    let (ob, od) = over(ours);
    let (nb, nd) = over(node);
    println!(
        "\nover the floors (medians): bearer / RS256 floor: ours {ob:.2}x (target <= 1.2x), \
         Node {nb:.2}x"
    );
    println!(
        "                           dpop / (RS256 + ES256 floors): ours {od:.2}x (target <= \
         1.3x), Node {nd:.2}x"
    );
    println!(
        "(each side against its own floors, measured in its own process: aws-lc for ours, \
         node:crypto for Node)"
    );
}

/// The 1-minute load average, as `/proc/loadavg` has it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}
