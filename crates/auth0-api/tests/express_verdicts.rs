//! Verdicts compared case by case with Auth0's Node middleware, `express-oauth2-jwt-bearer`
//! 1.10.0 (pinned in `tests/express/package.json` and its lockfile), Bearer and DPoP alike: the
//! same tokens, proofs and requests go to both, the middleware runs in-process in Node
//! (`tests/express/verdicts.mjs`, no HTTP server), and each verdict (accepted, or refused with a
//! status and an error code) is compared. Where the middleware follows the RFCs the verdicts
//! are the same; each case where it does not is listed with the RFC section we follow, and the
//! test checks that the two verdicts really differ (so the list stays true).
//!
//! Needs Node 20+. On a fresh clone the test installs the pinned middleware itself (`npm ci` in
//! `crates/auth0-api/tests/express`, bounded); without Node it fails with a message saying so.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use auth0_api::{ApiClient, DpopMode, VerifyAccessTokenRequest};
use auth0_emulator::{RunningEmulator, demo};
use common::*;
use serde_json::{Value, json};

const HOST: &str = "api.example.com";
const PATH: &str = "/orders";
const URL: &str = "https://api.example.com/orders";

/// What a verifier said about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Verdict {
    accepted: bool,
    status: u16,
    code: String,
}

impl Verdict {
    fn accepted() -> Self {
        Self {
            accepted: true,
            status: 200,
            code: String::new(),
        }
    }

    fn refused(status: u16, code: &str) -> Self {
        Self {
            accepted: false,
            status,
            code: code.to_string(),
        }
    }
}

/// How our verdict relates to the middleware's.
enum Expect {
    /// Both follow the RFCs: the same verdict.
    Same,
    /// The middleware departs from `rfc`; ours is this.
    Diverges { rfc: &'static str, ours: Verdict },
}

struct Case {
    name: &'static str,
    mode: DpopMode,
    method: &'static str,
    headers: Vec<(&'static str, String)>,
    scopes: Vec<&'static str>,
    expect: Expect,
}

fn case(name: &'static str, headers: Vec<(&'static str, String)>, expect: Expect) -> Case {
    Case {
        name,
        mode: DpopMode::Allowed,
        method: "GET",
        headers,
        scopes: Vec::new(),
        expect,
    }
}

fn mode_name(mode: DpopMode) -> &'static str {
    match mode {
        DpopMode::Allowed => "allowed",
        DpopMode::Required => "required",
        DpopMode::Disabled => "disabled",
    }
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

fn dpop(token: &str, proof: String) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("DPoP {token}")), ("dpop", proof)]
}

/// The middleware's verdicts, from Node (run off the runtime's thread: Node fetches the
/// tenant's metadata and keys from the emulator this runtime serves).
async fn express_verdicts(t: &RunningEmulator, cases: &[Case]) -> Vec<Verdict> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/express");
    // Installed from the committed lockfile on a fresh clone; a failure says what to do.
    if let Err(e) = auth0_test_support::ensure_npm_package(&dir, "express-oauth2-jwt-bearer") {
        panic!("{e}");
    }
    let input = json!({
        "issuerBaseURL": t.base_url(),
        "audience": demo::AUDIENCE,
        "cases": cases.iter().map(|c| json!({
            "name": c.name,
            "mode": mode_name(c.mode),
            "method": c.method,
            "protocol": "https",
            "host": HOST,
            "path": PATH,
            "headers": c.headers.iter().map(|(k, v)| ((*k).to_string(), Value::from(v.as_str()))).collect::<serde_json::Map<String, Value>>(),
            "scopes": c.scopes,
        })).collect::<Vec<_>>(),
    });
    let output = bounded(tokio::task::spawn_blocking(move || {
        node_verdicts(&dir, &input)
    }))
    .await
    .unwrap();
    let verdicts: Vec<Value> = serde_json::from_slice(&output).unwrap();
    assert_eq!(verdicts.len(), cases.len());
    verdicts
        .iter()
        .map(|v| Verdict {
            accepted: v["accepted"].as_bool().unwrap(),
            status: v["status"].as_u64().unwrap() as u16,
            code: v["code"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// Runs `verdicts.mjs` on `input`; returns what it printed.
fn node_verdicts(dir: &std::path::Path, input: &Value) -> Vec<u8> {
    let mut child = Command::new("node")
        .arg("verdicts.mjs")
        .current_dir(dir)
        .env("NODE_ENV", "test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (Node 20+ is needed)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "verdicts.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Our verdict on one case.
async fn our_verdict(api: &ApiClient, c: &Case) -> Verdict {
    let header = |name: &str| {
        c.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let Some(authorization) = header("authorization") else {
        let e = api.missing_token_error();
        return Verdict::refused(e.status(), &e.code_str());
    };
    let mut request = VerifyAccessTokenRequest::from_authorization_header(&authorization)
        .required_scopes(c.scopes.iter().copied());
    if let Some(proof) = header("dpop") {
        request = request
            .dpop_proof(proof)
            .http_method(c.method)
            .http_url(URL);
    }
    match bounded(api.verify_access_token(request)).await {
        Ok(_) => Verdict::accepted(),
        Err(e) => Verdict::refused(e.status(), &e.code_str()),
    }
}

trait CodeStr {
    fn code_str(&self) -> String;
}

impl CodeStr for auth0_api::ApiError {
    /// The `error` the challenges carry (what the client sees; empty when none does).
    fn code_str(&self) -> String {
        self.www_authenticate()
            .iter()
            .find_map(|c| {
                let start = c.find("error=\"")? + "error=\"".len();
                let len = c[start..].find('"')?;
                Some(c[start..start + len].to_string())
            })
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn verdicts_match_express_oauth2_jwt_bearer_where_it_follows_the_rfcs() {
    let t = tenant().await;
    let good = token(&t, &good_claims(&t));
    let key = ProofKey::new();
    let bound = token(
        &t,
        &claims_with(&t, |c| c["cnf"] = json!({"jkt": key.jkt()})),
    );
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let mut flipped = sig.to_string();
    let first = if flipped.starts_with('A') { "B" } else { "A" };
    flipped.replace_range(0..1, first);
    let plain = |change: &dyn Fn(&mut Value)| {
        let mut c = good_claims(&t);
        change(&mut c);
        token_with_header(&t, json!({"alg": "RS256", "typ": "JWT"}), &c)
    };
    let replayed = key.proof("GET", URL, &bound);
    let refused = |status, code| Verdict::refused(status, code);
    let proof_with = |change: &dyn Fn(&mut Value)| {
        let mut c = key.claims("GET", URL, &bound);
        change(&mut c);
        key.sign(&key.header(), &c)
    };
    // RFC 9449 §7.1: a resource server answers an invalid proof with 401 and a DPoP challenge.
    let dpop_401 = || Expect::Diverges {
        rfc: "RFC 9449 §7.1",
        ours: refused(401, "invalid_dpop_proof"),
    };

    let mut cases = vec![
        case("bearer: a good token", bearer(&good), Expect::Same),
        case("bearer: no token", vec![], Expect::Same),
        case(
            "bearer: expired",
            bearer(&token(
                &t,
                &claims_with(&t, |c| c["exp"] = json!(now() - 120)),
            )),
            Expect::Same,
        ),
        case(
            "bearer: not yet valid",
            bearer(&token(
                &t,
                &claims_with(&t, |c| c["nbf"] = json!(now() + 600)),
            )),
            Expect::Same,
        ),
        case(
            "bearer: another audience",
            bearer(&token(
                &t,
                &claims_with(&t, |c| c["aud"] = "https://other.example/".into()),
            )),
            Expect::Same,
        ),
        case(
            "bearer: another issuer",
            bearer(&token(
                &t,
                &claims_with(&t, |c| c["iss"] = "https://evil.example/".into()),
            )),
            Expect::Same,
        ),
        case(
            "bearer: bad signature",
            bearer(&format!("{head}.{payload}.{flipped}")),
            Expect::Same,
        ),
        case(
            "bearer: alg none",
            bearer(&format!(
                "{}.{payload}.",
                b64(json!({"alg": "none"}).to_string())
            )),
            Expect::Same,
        ),
        case("bearer: not a JWT", bearer("abc"), Expect::Same),
        case(
            "bearer: a JWT typed plainly",
            bearer(&plain(&|_| {})),
            Expect::Same,
        ),
        case(
            "bearer: an ID token for the API (nonce)",
            bearer(&plain(&|c| c["nonce"] = "n-1".into())),
            Expect::Diverges {
                rfc: "RFC 9068 §4, RFC 8725 §3.11",
                ours: refused(401, "invalid_token"),
            },
        ),
        case(
            "bearer: a logout token for the API",
            bearer(&token_with_header(
                &t,
                json!({"alg": "RS256", "typ": "logout+jwt"}),
                &claims_with(&t, |c| {
                    c["events"] = json!({auth0_auth::BACKCHANNEL_LOGOUT_EVENT: {}});
                    c["sid"] = "s-1".into();
                }),
            )),
            Expect::Diverges {
                rfc: "RFC 8725 §3.11, OIDC Back-Channel Logout §2.4",
                ours: refused(401, "invalid_token"),
            },
        ),
        case(
            "bearer: issued in the future",
            bearer(&token(
                &t,
                &claims_with(&t, |c| c["iat"] = json!(now() + 600)),
            )),
            Expect::Diverges {
                rfc: "RFC 7519 §4.1.6 (iat is the time of issue)",
                ours: refused(401, "invalid_token"),
            },
        ),
        case(
            "dpop: a bound token with a good proof",
            dpop(&bound, replayed.clone()),
            Expect::Same,
        ),
        case(
            "dpop: the same proof again",
            dpop(&bound, replayed.clone()),
            Expect::Diverges {
                rfc: "RFC 9449 §11.1",
                ours: refused(401, "invalid_dpop_proof"),
            },
        ),
        case(
            "dpop: htm of another method",
            dpop(&bound, proof_with(&|c| c["htm"] = "POST".into())),
            dpop_401(),
        ),
        case(
            "dpop: htu of another path",
            dpop(
                &bound,
                proof_with(&|c| c["htu"] = "https://api.example.com/other".into()),
            ),
            dpop_401(),
        ),
        case(
            "dpop: ath of another token",
            dpop(
                &bound,
                proof_with(&|c| c["ath"] = auth0_api::access_token_hash("x").into()),
            ),
            dpop_401(),
        ),
        case(
            "dpop: an old proof",
            dpop(&bound, proof_with(&|c| c["iat"] = json!(now() - 600))),
            dpop_401(),
        ),
        case(
            "dpop: typ JWT",
            dpop(
                &bound,
                key.sign(
                    &json!({"typ": "JWT", "alg": "ES256", "jwk": key.jwk}),
                    &key.claims("GET", URL, &bound),
                ),
            ),
            dpop_401(),
        ),
        case(
            "dpop: the proof of another key",
            dpop(&bound, ProofKey::new().proof("GET", URL, &bound)),
            Expect::Same,
        ),
        case(
            "dpop: a bound token as Bearer",
            bearer(&bound),
            Expect::Same,
        ),
        case(
            "dpop: an unbound token as DPoP",
            dpop(&good, key.proof("GET", URL, &good)),
            Expect::Same,
        ),
        case(
            "dpop: the scheme without a proof",
            vec![("authorization", format!("DPoP {bound}"))],
            Expect::Diverges {
                rfc: "RFC 6750 §3.1 (a missing parameter is invalid_request, named)",
                ours: refused(400, "invalid_request"),
            },
        ),
    ];
    let mut scoped = case(
        "bearer: a scope the token lacks",
        bearer(&good),
        Expect::Same,
    );
    scoped.scopes = vec!["delete:messages"];
    cases.push(scoped);
    let mut has_scope = case("bearer: a scope the token has", bearer(&good), Expect::Same);
    has_scope.scopes = vec!["read:messages"];
    cases.push(has_scope);
    let mut required = case("required: a Bearer token", bearer(&good), Expect::Same);
    required.mode = DpopMode::Required;
    cases.push(required);
    let mut required_ok = case(
        "required: a bound token with a proof",
        dpop(&bound, key.proof("GET", URL, &bound)),
        Expect::Same,
    );
    required_ok.mode = DpopMode::Required;
    cases.push(required_ok);
    let mut disabled = case(
        "disabled: a bound token as Bearer",
        bearer(&bound),
        Expect::Same,
    );
    disabled.mode = DpopMode::Disabled;
    cases.push(disabled);

    let theirs = express_verdicts(&t, &cases).await;
    let apis: Vec<(DpopMode, ApiClient)> =
        [DpopMode::Allowed, DpopMode::Required, DpopMode::Disabled]
            .into_iter()
            .map(|m| (m, api_builder(&t).dpop_mode(m).build().unwrap()))
            .collect();
    let mut report = Vec::new();
    for (c, theirs) in cases.iter().zip(theirs) {
        let api = &apis.iter().find(|(m, _)| *m == c.mode).unwrap().1;
        let ours = our_verdict(api, c).await;
        match &c.expect {
            Expect::Same => {
                if ours != theirs {
                    report.push(format!("{}: ours {ours:?}, express {theirs:?}", c.name));
                }
            }
            Expect::Diverges {
                rfc,
                ours: expected,
            } => {
                if &ours != expected {
                    report.push(format!("{}: ours {ours:?}, expected {expected:?}", c.name));
                }
                if ours == theirs {
                    report.push(format!(
                        "{}: listed as diverging ({rfc}) but both say {ours:?}",
                        c.name
                    ));
                }
            }
        }
    }
    assert!(report.is_empty(), "verdicts differ:\n{}", report.join("\n"));
}
