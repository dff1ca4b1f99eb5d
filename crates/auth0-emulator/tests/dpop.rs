//! DPoP (RFC 9449): proofs at the token endpoint (every grant), PAR and `/userinfo`; bound
//! access and refresh tokens; the nonce challenge; refused proofs.

mod common;

use auth0_emulator::keys::{self, GeneratedKey};
use auth0_emulator::{Emulator, EmulatorBuilder, RunningEmulator, demo};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{borrow, get_json, http, password_form, within};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ISSUER: &str = "https://tenant.example.com/";

/// A client's DPoP key.
struct ProofKey {
    encoding: EncodingKey,
    alg: Algorithm,
    jwk: Jwk,
}

impl ProofKey {
    fn ec() -> Self {
        Self::from(&keys::generate_ec_p256(), Algorithm::ES256)
    }

    fn from(key: &GeneratedKey, alg: Algorithm) -> Self {
        let encoding = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(key.private_key_pem.as_bytes()),
            _ => EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes()),
        }
        .unwrap();
        let jwk = Jwk::from_encoding_key(&encoding, alg).unwrap();
        Self { encoding, alg, jwk }
    }

    /// The RFC 7638 thumbprint, computed here from the JWK's members.
    fn thumbprint(&self) -> String {
        let v = serde_json::to_value(&self.jwk).unwrap();
        let canonical = if v["kty"] == "EC" {
            format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                v["crv"].as_str().unwrap(),
                v["x"].as_str().unwrap(),
                v["y"].as_str().unwrap()
            )
        } else {
            format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                v["e"].as_str().unwrap(),
                v["n"].as_str().unwrap()
            )
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A proof with a fresh `jti`, `iat` now, and `extra` claims (which replace defaults; a
    /// `null` removes one).
    fn proof(&self, htm: &str, htu: &str, extra: Value) -> String {
        let mut claims = json!({
            "jti": format!("{:x}", rand_u128()),
            "htm": htm,
            "htu": htu,
            "iat": jsonwebtoken::get_current_timestamp(),
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        self.sign(&claims)
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.typ = Some("dpop+jwt".to_owned());
        header.jwk = Some(self.jwk.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    /// A proof whose header is `header` verbatim (signed with this key).
    fn with_raw_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &self.encoding, self.alg).unwrap();
        format!("{input}.{sig}")
    }
}

fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    nanos ^ (u128::from(COUNTER.fetch_add(1, Ordering::Relaxed)) << 64)
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

async fn tenant(builder: EmulatorBuilder) -> RunningEmulator {
    builder
        .demo_tenant()
        .issuer(ISSUER)
        .device_interval(0)
        .start()
        .await
        .expect("emulator starts")
}

fn token_url() -> String {
    format!("{ISSUER}oauth/token")
}

/// The answer of a POST: status, headers, JSON body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    fn description(&self) -> &str {
        self.body["error_description"].as_str().unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn post(
    em: &RunningEmulator,
    path: &str,
    proof: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let mut request = http().post(format!("{}{path}", em.base_url())).form(form);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

const CC: &[(&str, &str)] = &[
    ("grant_type", "client_credentials"),
    ("audience", demo::AUDIENCE),
    ("client_id", demo::CLIENT_ID),
    ("client_secret", demo::CLIENT_SECRET),
];

#[tokio::test]
async fn client_credentials_with_a_proof_gives_a_bound_token() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let doc = get_json(&em, "/.well-known/openid-configuration").await;
        assert!(
            doc["dpop_signing_alg_values_supported"]
                .to_string()
                .contains("ES256")
        );
        let key = ProofKey::ec();
        // htu built on the issuer…
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({}))),
            CC,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["token_type"], "DPoP");
        let claims = claims_of(a.body["access_token"].as_str().unwrap());
        assert_eq!(claims["cnf"]["jkt"], key.thumbprint().as_str());
        assert_eq!(claims["aud"], demo::AUDIENCE);
        assert!(a.header("dpop-nonce").is_none(), "nonces are off");
        // …or on the loopback URL actually called (a query is ignored).
        let loopback = format!("{}/oauth/token?x=1", em.base_url());
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &loopback, json!({}))),
            CC,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(em.dpop_proofs_seen(), 2);

        // RS256 and PS256 keys work too.
        let rsa = keys::generate_rsa();
        for alg in [Algorithm::RS256, Algorithm::PS256] {
            let key = ProofKey::from(&rsa, alg);
            let a = post(
                &em,
                "/oauth/token",
                Some(&key.proof("POST", &token_url(), json!({}))),
                CC,
            )
            .await;
            assert_eq!(a.status, 200, "{alg:?}: {}", a.body);
            let claims = claims_of(a.body["access_token"].as_str().unwrap());
            assert_eq!(claims["cnf"]["jkt"], key.thumbprint().as_str());
        }

        // Without a proof, tokens stay Bearer and unbound.
        let a = post(&em, "/oauth/token", None, CC).await;
        assert_eq!(a.body["token_type"], "Bearer");
        assert!(
            claims_of(a.body["access_token"].as_str().unwrap())
                .get("cnf")
                .is_none()
        );
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn refresh_tokens_issued_with_a_proof_are_bound_to_its_key() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let key = ProofKey::ec();
        let form = password_form("openid profile offline_access");
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({}))),
            &borrow(&form),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["token_type"], "DPoP");
        let refresh = a.body["refresh_token"].as_str().unwrap().to_owned();
        let refresh_form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ];
        // No proof.
        let a = post(&em, "/oauth/token", None, &refresh_form).await;
        assert_eq!(
            (a.status, a.error()),
            (400, "invalid_dpop_proof"),
            "{}",
            a.body
        );
        assert!(a.description().contains("bound"));
        // A proof by another key.
        let other = ProofKey::ec();
        let a = post(
            &em,
            "/oauth/token",
            Some(&other.proof("POST", &token_url(), json!({}))),
            &refresh_form,
        )
        .await;
        assert_eq!(
            (a.status, a.error()),
            (400, "invalid_dpop_proof"),
            "{}",
            a.body
        );
        // The same key.
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({}))),
            &refresh_form,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["token_type"], "DPoP");
        let claims = claims_of(a.body["access_token"].as_str().unwrap());
        assert_eq!(claims["cnf"]["jkt"], key.thumbprint().as_str());

        // A refresh token issued without a proof stays usable without one.
        let a = post(&em, "/oauth/token", None, &borrow(&form)).await;
        let plain = a.body["refresh_token"].as_str().unwrap().to_owned();
        let a = post(
            &em,
            "/oauth/token",
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", plain.as_str()),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(
            (a.status, a.body["token_type"].as_str()),
            (200, Some("Bearer"))
        );

        // The device-code grant binds too (public client).
        let started = post(
            &em,
            "/oauth/device/code",
            None,
            &[
                ("client_id", demo::PUBLIC_CLIENT_ID),
                ("scope", "openid offline_access"),
            ],
        )
        .await;
        assert!(em.approve_device(started.body["user_code"].as_str().unwrap(), demo::USERNAME));
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({}))),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", started.body["device_code"].as_str().unwrap()),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["token_type"], "DPoP");
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_required_nonce_is_demanded_then_accepted() {
    within(async {
        let em = tenant(Emulator::builder().dpop_nonce_required(true)).await;
        let key = ProofKey::ec();
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({}))),
            CC,
        )
        .await;
        assert_eq!(a.status, 400);
        assert_eq!(
            a.body,
            json!({
                "error": "use_dpop_nonce",
                "error_description": "Authorization server requires nonce in DPoP proof"
            })
        );
        let nonce = a.header("dpop-nonce").expect("DPoP-Nonce").to_owned();
        assert_eq!(nonce, em.dpop_nonce());

        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({"nonce": nonce}))),
            CC,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["token_type"], "DPoP");
        assert_eq!(a.header("dpop-nonce"), Some(nonce.as_str()));

        // After a rotation the old nonce is refused and the new one announced.
        let fresh = em.rotate_dpop_nonce();
        assert_ne!(fresh, nonce);
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({"nonce": nonce}))),
            CC,
        )
        .await;
        assert_eq!((a.status, a.error()), (400, "use_dpop_nonce"));
        assert_eq!(a.header("dpop-nonce"), Some(fresh.as_str()));

        // PAR demands it too.
        let par_url = format!("{ISSUER}oauth/par");
        let par_form = [
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
            ("response_type", "code"),
            ("redirect_uri", demo::CALLBACKS[0]),
            ("scope", "openid"),
        ];
        let a = post(
            &em,
            "/oauth/par",
            Some(&key.proof("POST", &par_url, json!({}))),
            &par_form,
        )
        .await;
        assert_eq!((a.status, a.error()), (400, "use_dpop_nonce"));
        let a = post(
            &em,
            "/oauth/par",
            Some(&key.proof("POST", &par_url, json!({"nonce": fresh}))),
            &par_form,
        )
        .await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_eq!(a.header("dpop-nonce"), Some(fresh.as_str()));

        // Requests without DPoP are not affected (but still learn the nonce).
        let a = post(&em, "/oauth/token", None, CC).await;
        assert_eq!(
            (a.status, a.body["token_type"].as_str()),
            (200, Some("Bearer"))
        );
        assert_eq!(a.header("dpop-nonce"), Some(fresh.as_str()));
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn bad_proofs_are_refused() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let key = ProofKey::ec();
        let url = token_url();

        // A replayed proof.
        let proof = key.proof("POST", &url, json!({}));
        assert_eq!(post(&em, "/oauth/token", Some(&proof), CC).await.status, 200);
        let a = post(&em, "/oauth/token", Some(&proof), CC).await;
        assert_eq!((a.status, a.error()), (400, "invalid_dpop_proof"));
        assert!(a.description().contains("already used"), "{}", a.description());

        let now = jsonwebtoken::get_current_timestamp();
        let other = ProofKey::ec();
        let mut jwk = serde_json::to_value(&key.jwk).unwrap();
        jwk["d"] = json!("AAAA");
        let claims = json!({"jti": "raw-1", "htm": "POST", "htu": url, "iat": now});
        let mut header_wrong_key = serde_json::to_value(Header::new(Algorithm::ES256)).unwrap();
        header_wrong_key["typ"] = json!("dpop+jwt");
        header_wrong_key["jwk"] = serde_json::to_value(&other.jwk).unwrap();
        let cases: Vec<(&str, String, &str)> = vec![
            (
                "wrong htu",
                key.proof("POST", "https://elsewhere.example.com/oauth/token", json!({})),
                "htu",
            ),
            (
                "wrong path",
                key.proof("POST", &format!("{ISSUER}oauth/par"), json!({})),
                "htu",
            ),
            ("wrong htm", key.proof("GET", &url, json!({})), "htm"),
            ("old iat", key.proof("POST", &url, json!({"iat": now - 300})), "iat"),
            ("future iat", key.proof("POST", &url, json!({"iat": now + 300})), "iat"),
            ("no jti", key.proof("POST", &url, json!({"jti": null})), "jti"),
            (
                "typ JWT",
                key.with_raw_header(
                    &json!({"typ": "JWT", "alg": "ES256", "jwk": key.jwk}),
                    &claims,
                ),
                "typ",
            ),
            (
                "no jwk",
                key.with_raw_header(&json!({"typ": "dpop+jwt", "alg": "ES256"}), &claims),
                "jwk",
            ),
            (
                "private jwk",
                key.with_raw_header(&json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}), &claims),
                "private",
            ),
            (
                "signed by another key",
                key.with_raw_header(&header_wrong_key, &claims),
                "signature",
            ),
            (
                "HS256",
                {
                    let input = format!(
                        "{}.{}",
                        URL_SAFE_NO_PAD.encode(json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}).to_string()),
                        URL_SAFE_NO_PAD.encode(claims.to_string())
                    );
                    format!("{input}.AAAA")
                },
                "alg",
            ),
            ("not a JWT", "garbage".to_owned(), "not a JWT"),
        ];
        for (name, proof, expected) in cases {
            let a = post(&em, "/oauth/token", Some(&proof), CC).await;
            assert_eq!(
                (a.status, a.error()),
                (400, "invalid_dpop_proof"),
                "{name}: {}",
                a.body
            );
            assert!(a.description().contains(expected), "{name}: {}", a.description());
        }
        // PAR checks proofs too.
        let a = post(
            &em,
            "/oauth/par",
            Some(&key.proof("POST", &url, json!({}))),
            &[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("response_type", "code"),
                ("redirect_uri", demo::CALLBACKS[0]),
            ],
        )
        .await;
        assert_eq!((a.status, a.error()), (400, "invalid_dpop_proof"));
        // Two DPoP headers.
        let response = http()
            .post(format!("{}/oauth/token", em.base_url()))
            .header("DPoP", key.proof("POST", &url, json!({})))
            .header("DPoP", key.proof("POST", &url, json!({})))
            .form(CC)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        // Only the first valid proof counted.
        assert_eq!(em.dpop_proofs_seen(), 1);
        em.shutdown().await;
    })
    .await;
}

/// GET or POST `/userinfo` with an `Authorization` header and an optional proof.
async fn userinfo(
    em: &RunningEmulator,
    method: &str,
    authorization: &str,
    proof: Option<&str>,
) -> (u16, String, Value) {
    let url = format!("{}/userinfo", em.base_url());
    let mut request = match method {
        "POST" => http().post(url),
        _ => http().get(url),
    }
    .header("Authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, challenge, body)
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_with_a_proof_of_its_key() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let key = ProofKey::ec();
        let form = password_form("openid profile email");
        let a = post(
            &em,
            "/oauth/token",
            Some(&key.proof("POST", &token_url(), json!({}))),
            &borrow(&form),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let token = a.body["access_token"].as_str().unwrap().to_owned();
        let userinfo_url = format!("{ISSUER}userinfo");
        let dpop = format!("DPoP {token}");

        let good = key.proof("GET", &userinfo_url, json!({"ath": ath(&token)}));
        let (status, _, body) = userinfo(&em, "GET", &dpop, Some(&good)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["email"], demo::USERNAME);
        let post_proof = key.proof("POST", &userinfo_url, json!({"ath": ath(&token)}));
        let (status, _, _) = userinfo(&em, "POST", &dpop, Some(&post_proof)).await;
        assert_eq!(status, 200);

        // As a Bearer token it is refused with a DPoP challenge.
        let (status, challenge, _) = userinfo(&em, "GET", &format!("Bearer {token}"), None).await;
        assert_eq!(status, 401);
        assert!(
            challenge.starts_with(r#"DPoP error="invalid_token""#),
            "{challenge}"
        );
        assert!(challenge.contains("algs=\"ES256"), "{challenge}");

        let cases: Vec<(&str, Option<String>, &str)> = vec![
            ("no proof", None, "invalid_dpop_proof"),
            (
                "no ath",
                Some(key.proof("GET", &userinfo_url, json!({}))),
                "invalid_dpop_proof",
            ),
            (
                "wrong ath",
                Some(key.proof("GET", &userinfo_url, json!({"ath": ath("other")}))),
                "invalid_dpop_proof",
            ),
            (
                "wrong htm",
                Some(key.proof("POST", &userinfo_url, json!({"ath": ath(&token)}))),
                "invalid_dpop_proof",
            ),
            (
                "wrong htu",
                Some(key.proof("GET", &token_url(), json!({"ath": ath(&token)}))),
                "invalid_dpop_proof",
            ),
            ("replayed", Some(good.clone()), "invalid_dpop_proof"),
            (
                "another key",
                Some(ProofKey::ec().proof("GET", &userinfo_url, json!({"ath": ath(&token)}))),
                "invalid_token",
            ),
        ];
        for (name, proof, error) in cases {
            let (status, challenge, _) = userinfo(&em, "GET", &dpop, proof.as_deref()).await;
            assert_eq!(status, 401, "{name}");
            assert!(
                challenge.starts_with(&format!(r#"DPoP error="{error}""#)),
                "{name}: {challenge}"
            );
        }

        // An unbound token: Bearer works, the DPoP scheme does not.
        let a = post(&em, "/oauth/token", None, &borrow(&form)).await;
        let plain = a.body["access_token"].as_str().unwrap().to_owned();
        let (status, _, _) = userinfo(&em, "GET", &format!("Bearer {plain}"), None).await;
        assert_eq!(status, 200);
        let proof = key.proof("GET", &userinfo_url, json!({"ath": ath(&plain)}));
        let (status, challenge, _) =
            userinfo(&em, "GET", &format!("DPoP {plain}"), Some(&proof)).await;
        assert_eq!(status, 401);
        assert!(challenge.contains("not DPoP-bound"), "{challenge}");
        em.shutdown().await;
    })
    .await;
}
