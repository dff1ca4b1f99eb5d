//! Token exchange: RFC 8693 profiles (fixed subject tokens, tenant JWTs, actor tokens,
//! organizations) and Token Vault (federated connection access tokens).

mod common;

use auth0_emulator::{
    ApiConfig, Emulator, FederatedConnection, RunningEmulator, TokenExchangeProfile, UserConfig,
    demo,
};
use common::{borrow, password_form, token, verify, within};
use serde_json::{Value, json};

/// A form, the expected status and the expected `error`.
type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const VAULT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
const FEDERATED_TYPE: &str = "http://auth0.com/oauth/token-type/federated-connection-access-token";
const LEGACY: &str = "urn:acme:legacy-token";
const TENANT_JWT: &str = "urn:acme:tenant-jwt";
const OTHER_API: &str = "https://other.example.com/";

fn jane() -> String {
    UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_owned()
}

async fn tenant() -> RunningEmulator {
    Emulator::builder()
        .demo_tenant()
        .api(ApiConfig::new(OTHER_API, &["x"]))
        .user(UserConfig::new("bob@example.com", "bob-password-1"))
        .token_exchange_profile(
            TokenExchangeProfile::new(LEGACY)
                .subject("legacy-token-for-jane", &jane())
                .subject("legacy-token-for-ghost", "auth0|ghost")
                .audience(demo::AUDIENCE),
        )
        .token_exchange_profile(TokenExchangeProfile::new(TENANT_JWT).accept_tenant_jwts())
        .federated_connection(
            FederatedConnection::new("google-oauth2")
                .account(
                    &jane(),
                    Some("jane@gmail.com"),
                    "ya29.jane-personal",
                    &["calendar.read", "gmail.read"],
                )
                .account(
                    &jane(),
                    Some("jane@work.example.com"),
                    "ya29.jane-work",
                    &["calendar.read"],
                ),
        )
        .start()
        .await
        .expect("emulator starts")
}

/// A token-endpoint call as the demo confidential client.
async fn call(em: &RunningEmulator, grant: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", grant)];
    form.extend_from_slice(fields);
    form.push(("client_id", demo::CLIENT_ID));
    form.push(("client_secret", demo::CLIENT_SECRET));
    token(em, &form).await
}

/// Jane's tokens from the password grant.
async fn jane_tokens(em: &RunningEmulator) -> Value {
    let form = password_form("openid offline_access");
    let (status, body) = token(em, &borrow(&form)).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A client-credentials access token of the demo client.
async fn client_token(em: &RunningEmulator) -> String {
    let (status, body) = call(em, "client_credentials", &[("audience", demo::AUDIENCE)]).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_fixed_subject_token_maps_to_its_user() {
    within(async {
        let em = tenant().await;
        let (status, body) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", "legacy-token-for-jane"),
                ("subject_token_type", LEGACY),
                ("audience", demo::AUDIENCE),
                ("scope", "openid profile read:messages"),
                ("device_id", "device-12345"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["issued_token_type"], ACCESS_TOKEN_TYPE);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "openid profile read:messages");
        assert!(body["expires_in"].as_u64().unwrap() > 0);
        let access = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(access["sub"], jane());
        assert_eq!(access["gty"], "token-exchange");
        assert!(access.get("act").is_none());
        let id = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(
            (id["sub"].as_str(), id["name"].as_str()),
            (Some(jane().as_str()), Some(demo::NAME))
        );
        // Extra parameters are recorded and ignored.
        let sent = em.requests_to("/oauth/token").pop().unwrap();
        assert_eq!(
            sent.form_value("device_id").as_deref(),
            Some("device-12345")
        );

        // Without openid there is no ID token; without an audience, a userinfo token.
        let (status, body) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", "legacy-token-for-jane"),
                ("subject_token_type", LEGACY),
                ("scope", "profile"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("id_token").is_none());

        // A mapped user that is not configured is created on first use.
        let (status, body) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", "legacy-token-for-ghost"),
                ("subject_token_type", LEGACY),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let id = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(id["sub"], "auth0|ghost");
    })
    .await;
}

#[tokio::test]
async fn bad_exchanges_are_refused() {
    within(async {
        let em = tenant().await;
        let base = [
            ("subject_token", "legacy-token-for-jane"),
            ("subject_token_type", LEGACY),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            v
        };
        let cases: Vec<Case> = vec![
            (
                vec![
                    ("subject_token", "legacy-token-for-jane"),
                    ("subject_token_type", "urn:unknown"),
                ],
                400,
                "invalid_request",
            ),
            (
                vec![
                    ("subject_token", "who-knows"),
                    ("subject_token_type", LEGACY),
                ],
                403,
                "invalid_grant",
            ),
            (vec![("subject_token_type", LEGACY)], 400, "invalid_request"),
            (
                vec![("subject_token", "legacy-token-for-jane")],
                400,
                "invalid_request",
            ),
            (with(&[("audience", OTHER_API)]), 403, "access_denied"),
            (with(&[("actor_token", "x")]), 400, "invalid_request"),
            (
                with(&[("actor_token_type", ACCESS_TOKEN_TYPE)]),
                400,
                "invalid_request",
            ),
            (
                with(&[
                    ("actor_token", "not-a-jwt"),
                    ("actor_token_type", ACCESS_TOKEN_TYPE),
                ]),
                403,
                "invalid_grant",
            ),
            (
                with(&[("requested_token_type", REFRESH_TOKEN_TYPE)]),
                400,
                "invalid_request",
            ),
            (
                with(&[("organization", "org_nope")]),
                400,
                "invalid_request",
            ),
        ];
        for (fields, status, error) in cases {
            let (got, body) = call(&em, EXCHANGE, &fields).await;
            assert_eq!(
                (got, body["error"].as_str()),
                (status, Some(error)),
                "{fields:?}: {body}"
            );
        }
        let (_, body) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", "t"),
                ("subject_token_type", "urn:unknown"),
            ],
        )
        .await;
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("unsupported subject_token_type")
        );
        // Public clients may not exchange.
        let (status, body) = token(
            &em,
            &[
                ("grant_type", EXCHANGE),
                ("subject_token", "legacy-token-for-jane"),
                ("subject_token_type", LEGACY),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("unauthorized_client"))
        );
        // The fixed-token profile does not take tenant JWTs.
        let jwt = jane_tokens(&em).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = call(
            &em,
            EXCHANGE,
            &[("subject_token", &jwt), ("subject_token_type", LEGACY)],
        )
        .await;
        assert_eq!(status, 403);
    })
    .await;
}

#[tokio::test]
async fn tenant_jwts_are_subject_tokens_while_their_key_is_published() {
    within(async {
        let em = tenant().await;
        let jwt = jane_tokens(&em).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", &jwt),
                ("subject_token_type", TENANT_JWT),
                ("audience", OTHER_API),
                ("scope", "openid x"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let access = verify(&em, body["access_token"].as_str().unwrap(), OTHER_API).await;
        assert_eq!(access["sub"], jane());
        assert_eq!(access["scope"], "openid x");

        // A hand-made JWT signed by the tenant works too; an expired one or a foreign issuer
        // does not.
        let now = jsonwebtoken::get_current_timestamp();
        let crafted = em.sign_jwt(
            None,
            &json!({"iss": em.issuer(), "sub": "auth0|bob-not-configured", "exp": now + 60}),
        );
        let (status, _) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", &crafted),
                ("subject_token_type", TENANT_JWT),
            ],
        )
        .await;
        assert_eq!(status, 403, "the JWT's user must exist");
        let bob = UserConfig::new("bob@example.com", "x").id().to_owned();
        let good = em.sign_jwt(
            None,
            &json!({"iss": em.issuer(), "sub": bob, "exp": now + 60}),
        );
        let (status, body) = call(
            &em,
            EXCHANGE,
            &[("subject_token", &good), ("subject_token_type", TENANT_JWT)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let expired = em.sign_jwt(
            None,
            &json!({"iss": em.issuer(), "sub": bob, "exp": now - 10}),
        );
        let foreign = em.sign_jwt(
            None,
            &json!({"iss": "https://elsewhere.example.com/", "sub": bob}),
        );
        let unsigned = em.sign_jwt(
            Some(("none", "k")),
            &json!({"iss": em.issuer(), "sub": bob}),
        );
        for bad in [&expired, &foreign, &unsigned] {
            let (status, body) = call(
                &em,
                EXCHANGE,
                &[("subject_token", bad), ("subject_token_type", TENANT_JWT)],
            )
            .await;
            assert_eq!(
                (status, body["error"].as_str()),
                (403, Some("invalid_grant"))
            );
        }

        // Old keys count while published.
        em.rotate_signing_key();
        assert_eq!(
            call(
                &em,
                EXCHANGE,
                &[("subject_token", &jwt), ("subject_token_type", TENANT_JWT)]
            )
            .await
            .0,
            200
        );
        em.retire_old_keys();
        assert_eq!(
            call(
                &em,
                EXCHANGE,
                &[("subject_token", &jwt), ("subject_token_type", TENANT_JWT)]
            )
            .await
            .0,
            403
        );
    })
    .await;
}

#[tokio::test]
async fn an_actor_token_becomes_the_act_claim() {
    within(async {
        let em = tenant().await;
        let actor = client_token(&em).await;
        let (status, body) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", "legacy-token-for-jane"),
                ("subject_token_type", LEGACY),
                ("actor_token", &actor),
                ("actor_token_type", ACCESS_TOKEN_TYPE),
                ("audience", demo::AUDIENCE),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let act = json!({"sub": format!("{}@clients", demo::CLIENT_ID)});
        let access = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(
            (access["sub"].as_str(), &access["act"]),
            (Some(jane().as_str()), &act)
        );
        let id = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(id["act"], act);
    })
    .await;
}

#[tokio::test]
async fn organizations_need_membership() {
    within(async {
        let em = tenant().await;
        for org in [demo::ORGANIZATION_ID, demo::ORGANIZATION_NAME] {
            let (status, body) = call(
                &em,
                EXCHANGE,
                &[
                    ("subject_token", "legacy-token-for-jane"),
                    ("subject_token_type", LEGACY),
                    ("organization", org),
                ],
            )
            .await;
            assert_eq!(status, 200, "{body}");
            let id = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
            assert_eq!(id["org_id"], demo::ORGANIZATION_ID);
            assert_eq!(id["org_name"], demo::ORGANIZATION_NAME);
            let access = verify(
                &em,
                body["access_token"].as_str().unwrap(),
                &format!("{}userinfo", em.issuer()),
            )
            .await;
            assert_eq!(access["org_id"], demo::ORGANIZATION_ID);
        }
        let (status, body) = call(
            &em,
            EXCHANGE,
            &[
                ("subject_token", "legacy-token-for-ghost"),
                ("subject_token_type", LEGACY),
                ("organization", demo::ORGANIZATION_ID),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("access_denied"))
        );
    })
    .await;
}

#[tokio::test]
async fn token_vault_with_an_access_token() {
    within(async {
        let em = tenant().await;
        let access = jane_tokens(&em).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let vault = |extra: &[(&'static str, &'static str)]| {
            let mut fields = vec![
                ("connection", "google-oauth2"),
                ("subject_token", access.as_str()),
                ("subject_token_type", ACCESS_TOKEN_TYPE),
                ("requested_token_type", FEDERATED_TYPE),
            ];
            fields.extend_from_slice(extra);
            fields
        };
        let (status, body) = call(&em, VAULT, &vault(&[])).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body,
            json!({
                "access_token": "ya29.jane-personal",
                "expires_in": 3600,
                "scope": "calendar.read gmail.read",
                "issued_token_type": FEDERATED_TYPE,
                "token_type": "Bearer",
            })
        );
        let (_, body) = call(
            &em,
            VAULT,
            &vault(&[("login_hint", "jane@work.example.com")]),
        )
        .await;
        assert_eq!(body["access_token"], "ya29.jane-work");
        let (_, body) = call(&em, VAULT, &vault(&[("scope", "gmail.read")])).await;
        assert_eq!(
            (body["access_token"].as_str(), body["scope"].as_str()),
            (Some("ya29.jane-personal"), Some("gmail.read"))
        );

        let cases: Vec<Case> = vec![
            (
                vault(&[("audience", demo::AUDIENCE)]),
                400,
                "invalid_request",
            ),
            (
                vault(&[("resource", demo::AUDIENCE)]),
                400,
                "invalid_request",
            ),
            (
                vault(&[("login_hint", "nobody@gmail.com")]),
                403,
                "federated_connection_refresh_token_not_found",
            ),
            (
                vault(&[
                    ("login_hint", "jane@work.example.com"),
                    ("scope", "gmail.read"),
                ]),
                403,
                "invalid_scope",
            ),
        ];
        for (fields, status, error) in cases {
            let (got, body) = call(&em, VAULT, &fields).await;
            assert_eq!(
                (got, body["error"].as_str()),
                (status, Some(error)),
                "{fields:?}: {body}"
            );
        }
        let mut unknown = vault(&[]);
        unknown[0] = ("connection", "github");
        assert_eq!(call(&em, VAULT, &unknown).await.0, 400);
        let mut wrong_type = vault(&[]);
        wrong_type[3] = ("requested_token_type", ACCESS_TOKEN_TYPE);
        assert_eq!(call(&em, VAULT, &wrong_type).await.0, 400);
        let mut bad_subject_type = vault(&[]);
        bad_subject_type[2] = ("subject_token_type", "urn:other");
        assert_eq!(call(&em, VAULT, &bad_subject_type).await.0, 400);
        let mut forged = vault(&[]);
        forged[1] = ("subject_token", "not-a-token");
        let (status, body) = call(&em, VAULT, &forged).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );

        // A client-credentials token belongs to no user: no account.
        let machine = client_token(&em).await;
        let mut machine_fields = vault(&[]);
        machine_fields[1] = ("subject_token", machine.as_str());
        let (status, body) = call(&em, VAULT, &machine_fields).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("federated_connection_refresh_token_not_found"))
        );
        // Public clients may not use Token Vault.
        let mut public = vec![("grant_type", VAULT)];
        public.extend(vault(&[]));
        public.push(("client_id", demo::PUBLIC_CLIENT_ID));
        assert_eq!(token(&em, &public).await.0, 403);
    })
    .await;
}

#[tokio::test]
async fn token_vault_with_a_refresh_token() {
    within(async {
        let em = tenant().await;
        let refresh = jane_tokens(&em).await["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let fields = |subject: &str| {
            vec![
                ("connection".to_owned(), "google-oauth2".to_owned()),
                ("subject_token".to_owned(), subject.to_owned()),
                (
                    "subject_token_type".to_owned(),
                    REFRESH_TOKEN_TYPE.to_owned(),
                ),
                ("requested_token_type".to_owned(), FEDERATED_TYPE.to_owned()),
                ("login_hint".to_owned(), "jane@work.example.com".to_owned()),
            ]
        };
        let owned = fields(&refresh);
        let borrowed: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, body) = call(&em, VAULT, &borrowed).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["access_token"], "ya29.jane-work");
        assert_eq!(body["scope"], "calendar.read");

        let owned = fields("unknown-refresh-token");
        let borrowed: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, body) = call(&em, VAULT, &borrowed).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );

        // Bob has no Google account.
        let bob = token(
            &em,
            &[
                ("grant_type", "password"),
                ("username", "bob@example.com"),
                ("password", "bob-password-1"),
                ("scope", "openid offline_access"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await
        .1;
        let owned = fields(bob["refresh_token"].as_str().unwrap());
        let borrowed: Vec<(&str, &str)> = owned
            .iter()
            .filter(|(k, _)| k != "login_hint")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, body) = call(&em, VAULT, &borrowed).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("federated_connection_refresh_token_not_found"))
        );
    })
    .await;
}
