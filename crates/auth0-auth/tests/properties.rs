//! Property tests of the pure parts and of request encoding:
//!
//! - `AuthorizationParams`: set / unset / get / iter against a model, and the merge of the
//!   default scope, the client's parameters and the call's parameters into an authorization URL
//!   (later wins, unset dropped, order kept, every key once);
//! - form and JSON encoding of requests: whatever the values (spaces, `&`, `=`, `+`, `%`,
//!   non-ASCII), the emulator decodes exactly the parameters the SDK was given, none lost and
//!   none duplicated;
//! - the token-exchange extras: deny-listed names never reach the wire, the others arrive with
//!   every value in order, and more than `MAX_EXTRA_VALUES` values are refused before sending.
//!
//! Case counts are kept small (every case that talks to the emulator is a real HTTP request);
//! `PROPTEST_CASES` raises them.

mod common;

use std::collections::BTreeMap;
use std::future::Future;

use auth0_auth::{
    AudienceParameter, AuthClient, AuthorizationParams, AuthorizationUrlRequest, ChallengeRequest,
    ChallengeType, ClientCredentialsRequest, DEFAULT_SCOPE, EXTRA_DENY_LIST, ErrorKind,
    ExchangeTokenRequest, MAX_EXTRA_VALUES, MfaVerification, PasswordRequest,
    PasswordlessTokenRequest, RefreshTokenRequest, SendEmailRequest, SignUpRequest, TokenTypeHint,
};
use auth0_emulator::{DEFAULT_CONNECTION, RecordedRequest, RunningEmulator, demo};
use common::{LIMIT, confidential};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(default_cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(default_cases),
        failure_persistence: None,
        ..Config::default()
    })
}

/// A runtime and a demo tenant for the properties that talk to it.
fn with_tenant(test: impl FnOnce(&tokio::runtime::Runtime, &RunningEmulator)) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(common::demo_tenant());
    test(&rt, &t);
}

fn block<T>(rt: &tokio::runtime::Runtime, fut: impl Future<Output = T>) -> T {
    rt.block_on(async { tokio::time::timeout(LIMIT, fut).await.expect("bounded") })
}

/// Parameter names: the ones the SDK treats specially, and awkward ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("scope".to_string()),
        Just("audience".to_string()),
        Just("redirect_uri".to_string()),
        Just("state".to_string()),
        Just("client_id".to_string()),
        Just("response_type".to_string()),
        Just("code_challenge".to_string()),
        Just("screen_hint".to_string()),
        Just("a b".to_string()),
        Just("x&y=z".to_string()),
        Just("ключ".to_string()),
        "[a-z_]{1,6}",
    ]
}

/// Any printable text (spaces, `&`, `=`, `+`, `%`, `#`, quotes, non-ASCII), possibly empty.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,16}", "[ &=+%#?/\"'\\\\]{0,6}", Just(String::new()),]
}

/// Like [`text`], but never blank (required inputs are refused when blank).
fn required_text() -> impl Strategy<Value = String> {
    text().prop_filter("not blank", |s| !s.trim().is_empty())
}

#[derive(Clone, Debug)]
enum Op {
    Set(String, String),
    Unset(String),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    vec(
        prop_oneof![
            3 => (key(), text()).prop_map(|(k, v)| Op::Set(k, v)),
            1 => key().prop_map(Op::Unset),
        ],
        0..8,
    )
}

/// The model: entries in first-set order; setting again replaces in place; unset keeps the
/// slot with no value.
type Model = Vec<(String, Option<String>)>;

fn put(model: &mut Model, key: &str, value: Option<String>) {
    match model.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => model.push((key.to_string(), value)),
    }
}

fn apply(ops: &[Op]) -> (AuthorizationParams, Model) {
    let mut params = AuthorizationParams::new();
    let mut model = Model::new();
    for op in ops {
        match op {
            Op::Set(k, v) => {
                params = params.set(k.clone(), v.clone());
                put(&mut model, k, Some(v.clone()));
            }
            Op::Unset(k) => {
                params = params.unset(k.clone());
                put(&mut model, k, None);
            }
        }
    }
    (params, model)
}

fn visible(model: &Model) -> Vec<(String, String)> {
    model
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
        .collect()
}

#[test]
fn authorization_params_behave_like_an_ordered_map_with_unset() {
    runner(256)
        .run(&ops(), |ops| {
            let (params, model) = apply(&ops);
            let listed: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            prop_assert_eq!(&listed, &visible(&model));
            let mut keys: Vec<&String> = listed.iter().map(|(k, _)| k).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), listed.len(), "a key listed twice");
            for (k, v) in &model {
                prop_assert_eq!(params.get(k), v.as_deref());
            }
            prop_assert_eq!(params.get("never-set-key"), None);
            Ok(())
        })
        .unwrap();
}

#[test]
fn authorization_urls_merge_defaults_client_and_call_parameters() {
    with_tenant(|rt, t| {
        // One HTTP client for every case (building one per client is slow).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        block(rt, confidential(t).build().unwrap().server_metadata()).unwrap();
        runner(192)
            .run(&(ops(), ops()), |(client_ops, call_ops)| {
                let (client_params, client_model) = apply(&client_ops);
                let (call_params, call_model) = apply(&call_ops);
                let c = confidential(t)
                    .http_client(http.clone())
                    .authorization_params(client_params)
                    .build()
                    .unwrap();
                let login = block(
                    rt,
                    c.build_authorization_url(AuthorizationUrlRequest::new().params(call_params)),
                )
                .unwrap();

                // The model of the merge: scope, then the client's, then the call's (later
                // wins, in place), then the SDK's own four.
                let mut expected: Model = vec![("scope".into(), Some(DEFAULT_SCOPE.into()))];
                for (k, v) in client_model.into_iter().chain(call_model) {
                    put(&mut expected, &k, v);
                }
                // A state when none (or an empty one) is given, and a nonce for an openid
                // scope: both generated.
                let given = |m: &Model, k: &str| {
                    m.iter()
                        .find(|(mk, _)| mk == k)
                        .and_then(|(_, v)| v.clone())
                };
                if given(&expected, "state").is_none_or(|s| s.is_empty()) {
                    put(&mut expected, "state", Some(String::new()));
                }
                if given(&expected, "scope")
                    .is_some_and(|s| s.split_whitespace().any(|s| s == "openid"))
                {
                    put(&mut expected, "nonce", Some(String::new()));
                }
                put(&mut expected, "client_id", Some(demo::CLIENT_ID.into()));
                put(&mut expected, "code_challenge", Some(String::new()));
                put(&mut expected, "code_challenge_method", Some("S256".into()));
                put(&mut expected, "response_type", Some("code".into()));
                let expected = visible(&expected);

                let got: Vec<(String, String)> = login.url.query_pairs().into_owned().collect();
                prop_assert_eq!(got.len(), expected.len(), "{:?} vs {:?}", got, expected);
                for ((gk, gv), (ek, ev)) in got.iter().zip(&expected) {
                    prop_assert_eq!(gk, ek);
                    if gk == "code_challenge" {
                        prop_assert_eq!(gv.len(), 43, "an S256 challenge");
                    } else if ev.is_empty() && (gk == "state" || gk == "nonce") {
                        prop_assert_eq!(gv.len(), 43, "a generated value");
                        prop_assert_eq!(
                            Some(gv.as_str()),
                            if gk == "state" {
                                Some(login.transaction.state())
                            } else {
                                login.transaction.nonce()
                            }
                        );
                    } else {
                        prop_assert_eq!(gv, ev);
                    }
                }
                Ok(())
            })
            .unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// Form and JSON encoding, decoded by the emulator.

/// The last request the tenant received at `path`.
fn last(t: &RunningEmulator, path: &str) -> RecordedRequest {
    t.requests_to(path).pop().expect("a request was sent")
}

/// `pairs` sorted (the form's multiset).
fn multiset(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut pairs = pairs;
    pairs.sort();
    pairs
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn client_auth() -> Vec<(String, String)> {
    pairs(&[
        ("client_id", demo::CLIENT_ID),
        ("client_secret", demo::CLIENT_SECRET),
    ])
}

#[derive(Clone, Debug)]
struct GrantInput {
    a: String,
    b: String,
    scope: Option<String>,
    audience: Option<String>,
    resource_parameter: bool,
}

fn grant_input() -> impl Strategy<Value = GrantInput> {
    (
        required_text(),
        required_text(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        any::<bool>(),
    )
        .prop_map(|(a, b, scope, audience, resource_parameter)| GrantInput {
            a,
            b,
            scope,
            audience,
            resource_parameter,
        })
}

#[test]
fn token_request_forms_round_trip_every_parameter_once() {
    with_tenant(|rt, t| {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let plain = confidential(t).http_client(http.clone()).build().unwrap();
        let resource = confidential(t)
            .http_client(http)
            .audience_parameter(AudienceParameter::Resource)
            .build()
            .unwrap();
        block(rt, plain.server_metadata()).unwrap();
        runner(128)
            .run(&grant_input(), |input| {
                let c: &AuthClient = if input.resource_parameter {
                    &resource
                } else {
                    &plain
                };
                let audience_name = if input.resource_parameter {
                    "resource"
                } else {
                    "audience"
                };
                let optional = |extra: &mut Vec<(String, String)>| {
                    if let Some(a) = &input.audience {
                        extra.push((audience_name.to_string(), a.clone()));
                    }
                    if let Some(s) = &input.scope {
                        extra.push(("scope".to_string(), s.clone()));
                    }
                };

                // Password: username, password, audience, scope.
                let mut request = PasswordRequest::new(&input.a, input.b.clone().into());
                if let Some(a) = &input.audience {
                    request = request.audience(a);
                }
                if let Some(s) = &input.scope {
                    request = request.scope(s);
                }
                let _ = block(rt, c.get_token_by_password(request));
                let mut expected = pairs(&[("grant_type", "password")]);
                expected.push(("username".into(), input.a.clone()));
                expected.push(("password".into(), input.b.clone()));
                optional(&mut expected);
                expected.extend(client_auth());
                prop_assert_eq!(multiset(last(t, "/oauth/token").form()), multiset(expected));

                // Refresh: refresh_token, audience, scope.
                let mut request = RefreshTokenRequest::new(input.a.clone().into());
                if let Some(a) = &input.audience {
                    request = request.audience(a);
                }
                if let Some(s) = &input.scope {
                    request = request.scope(s);
                }
                let _ = block(rt, c.get_token_by_refresh_token(request));
                let mut expected = pairs(&[("grant_type", "refresh_token")]);
                expected.push(("refresh_token".into(), input.a.clone()));
                optional(&mut expected);
                expected.extend(client_auth());
                prop_assert_eq!(multiset(last(t, "/oauth/token").form()), multiset(expected));

                // Client credentials: audience, organization.
                let _ = block(
                    rt,
                    c.get_token_by_client_credentials(
                        ClientCredentialsRequest::new()
                            .audience(&input.a)
                            .organization(&input.b),
                    ),
                );
                let mut expected = pairs(&[("grant_type", "client_credentials")]);
                expected.push((audience_name.into(), input.a.clone()));
                expected.push(("organization".into(), input.b.clone()));
                expected.extend(client_auth());
                prop_assert_eq!(multiset(last(t, "/oauth/token").form()), multiset(expected));

                // Passwordless code: username, otp, realm, audience, scope.
                let mut request = PasswordlessTokenRequest::new(&input.a, input.b.clone().into());
                if let Some(a) = &input.audience {
                    request = request.audience(a);
                }
                if let Some(s) = &input.scope {
                    request = request.scope(s);
                }
                let _ = block(rt, c.get_token_by_passwordless_email(request));
                let mut expected = pairs(&[
                    (
                        "grant_type",
                        "http://auth0.com/oauth/grant-type/passwordless/otp",
                    ),
                    ("realm", "email"),
                ]);
                expected.push(("username".into(), input.a.clone()));
                expected.push(("otp".into(), input.b.clone()));
                optional(&mut expected);
                expected.extend(client_auth());
                prop_assert_eq!(multiset(last(t, "/oauth/token").form()), multiset(expected));

                // MFA: mfa_token, otp, audience.
                let mut verification = MfaVerification::otp(input.b.clone().into());
                if let Some(a) = &input.audience {
                    verification = verification.audience(a);
                }
                let _ = block(rt, c.mfa(input.a.clone().into()).verify(verification));
                let mut expected =
                    pairs(&[("grant_type", "http://auth0.com/oauth/grant-type/mfa-otp")]);
                expected.push(("mfa_token".into(), input.a.clone()));
                expected.push(("otp".into(), input.b.clone()));
                if let Some(a) = &input.audience {
                    expected.push((audience_name.into(), a.clone()));
                }
                expected.extend(client_auth());
                prop_assert_eq!(multiset(last(t, "/oauth/token").form()), multiset(expected));

                // Revocation: token, token_type_hint.
                let _ = block(
                    rt,
                    c.revoke_token(
                        auth0_auth::RevokeTokenRequest::new(input.a.clone().into())
                            .token_type_hint(TokenTypeHint::AccessToken),
                    ),
                );
                let mut expected = pairs(&[("token_type_hint", "access_token")]);
                expected.push(("token".into(), input.a.clone()));
                expected.extend(client_auth());
                prop_assert_eq!(
                    multiset(last(t, "/oauth/revoke").form()),
                    multiset(expected)
                );
                Ok(())
            })
            .unwrap();
    });
}

#[test]
fn json_request_bodies_round_trip_every_field() {
    with_tenant(|rt, t| {
        let c = confidential(t).build().unwrap();
        runner(128)
            .run(
                &(
                    required_text(),
                    required_text(),
                    text(),
                    vec((key(), text()), 0..4),
                ),
                |(a, b, c_text, link_params)| {
                    // Passwordless start (magic link with authorization parameters).
                    let mut params = AuthorizationParams::new();
                    for (k, v) in &link_params {
                        params = params.set(k.clone(), v.clone());
                    }
                    let expected_params: BTreeMap<String, Value> = params
                        .iter()
                        .map(|(k, v)| (k.to_string(), json!(v)))
                        .collect();
                    let _ = block(
                        rt,
                        c.passwordless().send_email(
                            SendEmailRequest::new(&a)
                                .send(auth0_auth::PasswordlessSend::Link)
                                .auth_params(params),
                        ),
                    );
                    let expected = json!({
                        "connection": "email",
                        "email": a,
                        "send": "link",
                        "client_id": demo::CLIENT_ID,
                        "client_secret": demo::CLIENT_SECRET,
                        "authParams": expected_params,
                    });
                    prop_assert_eq!(last(t, "/passwordless/start").json(), Some(expected));

                    // Sign-up with profile fields.
                    let _ = block(
                        rt,
                        c.database().sign_up(
                            SignUpRequest::new(
                                auth0_auth::Connection::new(DEFAULT_CONNECTION),
                                &a,
                                b.clone().into(),
                            )
                            .name(&c_text)
                            .username(&b),
                        ),
                    );
                    let expected = json!({
                        "client_id": demo::CLIENT_ID,
                        "email": a,
                        "password": b,
                        "connection": DEFAULT_CONNECTION,
                        "name": c_text,
                        "username": b,
                    });
                    prop_assert_eq!(last(t, "/dbconnections/signup").json(), Some(expected));

                    // MFA challenge.
                    let _ = block(
                        rt,
                        c.mfa(a.to_string().into()).challenge_authenticator(
                            ChallengeRequest::new(ChallengeType::Oob).authenticator_id(&b),
                        ),
                    );
                    let expected = json!({
                        "mfa_token": a,
                        "client_id": demo::CLIENT_ID,
                        "client_secret": demo::CLIENT_SECRET,
                        "challenge_type": "oob",
                        "authenticator_id": b,
                    });
                    prop_assert_eq!(last(t, "/mfa/challenge").json(), Some(expected));
                    Ok(())
                },
            )
            .unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// The extras deny-list of token exchange.

fn extra_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(EXTRA_DENY_LIST).prop_map(str::to_string),
        Just("device_id".to_string()),
        Just("Scope".to_string()),
        Just("client_secret ".to_string()),
        Just("a b".to_string()),
        Just("code_verifier".to_string()),
        "[a-z_]{1,8}",
    ]
}

fn extras() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    vec(
        (
            extra_name(),
            prop_oneof![
                6 => vec(text(), 1..4),
                1 => vec(text(), MAX_EXTRA_VALUES..MAX_EXTRA_VALUES + 3),
            ],
        ),
        0..5,
    )
}

#[test]
fn exchange_extras_never_override_and_never_lose_values() {
    with_tenant(|rt, t| {
        let c = confidential(t).build().unwrap();
        block(rt, c.server_metadata()).unwrap();
        runner(192)
            .run(
                &(extras(), proptest::option::of(text()), required_text()),
                |(extras, scope, subject)| {
                    let subject = subject.trim().to_string();
                    prop_assume!(
                        !subject.is_empty() && !subject.to_ascii_lowercase().starts_with("bearer")
                    );
                    let mut request =
                        ExchangeTokenRequest::profile("urn:acme:legacy", subject.clone().into())
                            .audience(demo::AUDIENCE);
                    if let Some(s) = &scope {
                        request = request.scope(s);
                    }
                    for (name, values) in &extras {
                        request = request.extra_values(name, values.clone());
                    }
                    let before = t.requests_to("/oauth/token").len();
                    let outcome = block(rt, c.exchange_token(request));
                    let denied = |name: &str| EXTRA_DENY_LIST.contains(&name);
                    let too_many = extras
                        .iter()
                        .any(|(n, v)| !denied(n) && v.len() > MAX_EXTRA_VALUES);
                    if too_many {
                        let e = outcome.expect_err("too many values");
                        prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                        prop_assert_eq!(t.requests_to("/oauth/token").len(), before);
                        return Ok(());
                    }
                    let mut expected = pairs(&[
                        (
                            "grant_type",
                            "urn:ietf:params:oauth:grant-type:token-exchange",
                        ),
                        ("subject_token_type", "urn:acme:legacy"),
                        ("audience", demo::AUDIENCE),
                    ]);
                    expected.push(("subject_token".into(), subject.clone()));
                    if let Some(s) = &scope {
                        expected.push(("scope".into(), s.clone()));
                    }
                    for (name, values) in &extras {
                        if !denied(name) {
                            for v in values {
                                expected.push((name.clone(), v.clone()));
                            }
                        }
                    }
                    expected.extend(client_auth());
                    let sent = last(t, "/oauth/token").form();
                    // Values of one name stay in the order given.
                    for (name, _) in extras.iter().filter(|(n, _)| !denied(n)) {
                        let got: Vec<&String> = sent
                            .iter()
                            .filter(|(k, _)| k == name)
                            .map(|(_, v)| v)
                            .collect();
                        let want: Vec<&String> = extras
                            .iter()
                            .filter(|(n, _)| n == name)
                            .flat_map(|(_, v)| v)
                            .collect();
                        prop_assert_eq!(got, want, "values of {}", name);
                    }
                    prop_assert_eq!(multiset(sent), multiset(expected));
                    Ok(())
                },
            )
            .unwrap();
    });
}
