//! Secret hygiene: no configured secret, token, code or key shows in the `Debug` (or
//! `Display`) output of any public type that holds one, in any error, or in the log output
//! (`tracing`, and `log` records of dependencies) of full flows captured at TRACE level.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use auth0_auth::{
    AnonymousSessionRequest, AuthClient, AuthorizationParams, AuthorizationUrlRequest,
    ChangePasswordRequest, ClientCredentialsRequest, Connection, DpopKey, EnrollRequest,
    Enrollment, Error, ExchangeTokenRequest, ExposeSecret, LinkUserUrlRequest, MfaVerification,
    OAuthError, OtpChallengeRequest, PasskeyCredential, PasskeyTokenRequest, PasswordRequest,
    PasswordlessDbTokenRequest, PasswordlessTokenRequest, RefreshTokenRequest, RequestOptions,
    ResponseRecorder, SecretString, SendEmailRequest, SignUpRequest, SigningAlgorithm,
    TokenByCodeRequest, TokenForConnectionRequest, TokenTypeHint, UnlinkUserUrlRequest,
};
use auth0_emulator::{ClientConfig, DEFAULT_CONNECTION, Emulator, demo, keys, totp_code};
use common::{
    bounded, browser_login, client, confidential, demo_tenant, public_client, query_value, tenant,
};
use serde_json::json;

/// Secrets a value or a log must not show. Short ones are skipped (a 3-character secret could
/// show by chance).
struct Secrets(Vec<String>);

impl Secrets {
    fn new() -> Self {
        Self(vec![
            demo::CLIENT_SECRET.to_string(),
            demo::PASSWORD.to_string(),
        ])
    }

    fn add(&mut self, secret: impl AsRef<str>) {
        let s = secret.as_ref();
        if s.len() >= 8 {
            self.0.push(s.to_string());
        }
    }

    /// A PEM's base64 lines (each one is secret on its own).
    fn add_pem(&mut self, pem: &str) {
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            self.add(line);
        }
    }

    fn assert_absent(&self, what: &str, shown: &str) {
        for secret in &self.0 {
            assert!(
                !shown.contains(secret.as_str()),
                "{what} shows a secret ({secret:.12}…): {shown}"
            );
        }
    }

    /// `{:?}` of a value holds no secret.
    fn check_debug(&self, what: &str, value: &impl std::fmt::Debug) {
        self.assert_absent(what, &format!("{value:?}"));
        self.assert_absent(what, &format!("{value:#?}"));
    }

    /// `{}` and `{:?}` of an error hold no secret.
    fn check_error(&self, what: &str, e: &Error) {
        self.assert_absent(what, &format!("{e}"));
        self.check_debug(what, e);
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            self.assert_absent(what, &s.to_string());
            source = s.source();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Captured logs: one global subscriber at TRACE for this test binary, also receiving `log`
// records (reqwest, rustls, …).

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Capture {
    static LOGS: OnceLock<Capture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let capture = Capture::default();
        let writer = capture.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber of this test binary");
        capture
    })
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn request_values_print_no_secret() {
    let mut s = Secrets::new();
    for secret in [
        "pw-value-1234",
        "refresh-token-value",
        "code-verifier-value",
        "subject-token-value",
        "actor-token-value",
        "access-token-value",
        "otp-code-value",
        "binding-code-value",
        "auth-session-value",
        "id-token-value",
        "recovery-code-value",
        "passwordless-code",
    ] {
        s.add(secret);
    }
    s.check_debug(
        "PasswordRequest",
        &PasswordRequest::new("jane@example.com", "pw-value-1234".into()),
    );
    s.check_debug(
        "RefreshTokenRequest",
        &RefreshTokenRequest::new("refresh-token-value".into()).scope("openid"),
    );
    s.check_debug(
        "TokenByCodeRequest",
        &TokenByCodeRequest::new(
            "/callback?code=auth-code-value",
            SecretString::from("code-verifier-value"),
        )
        .expected_state("st"),
    );
    s.check_debug(
        "ExchangeTokenRequest",
        &ExchangeTokenRequest::profile("urn:x", "subject-token-value".into())
            .actor_token("actor-token-value".into(), "urn:y"),
    );
    s.check_debug(
        "ExchangeTokenRequest (Token Vault)",
        &ExchangeTokenRequest::token_vault(
            auth0_auth::Connection::new("google-oauth2"),
            "access-token-value".into(),
        ),
    );
    s.check_debug(
        "TokenForConnectionRequest",
        &TokenForConnectionRequest::with_refresh_token(
            auth0_auth::Connection::new("google-oauth2"),
            "refresh-token-value".into(),
        ),
    );
    s.check_debug(
        "TokenForConnectionRequest",
        &TokenForConnectionRequest::with_access_token(
            auth0_auth::Connection::new("google-oauth2"),
            "access-token-value".into(),
        ),
    );
    s.check_debug(
        "MfaVerification",
        &MfaVerification::oob("otp-code-value".into()).binding_code("binding-code-value".into()),
    );
    s.check_debug(
        "MfaVerification",
        &MfaVerification::recovery_code("recovery-code-value".into()),
    );
    s.check_debug(
        "PasswordlessTokenRequest",
        &PasswordlessTokenRequest::new("jane@example.com", "passwordless-code".into()),
    );
    s.check_debug(
        "PasswordlessDbTokenRequest",
        &PasswordlessDbTokenRequest::new(
            SecretString::from("auth-session-value").into(),
            "otp-code-value".into(),
        ),
    );
    s.check_debug(
        "SignUpRequest",
        &SignUpRequest::new(
            auth0_auth::Connection::new(DEFAULT_CONNECTION),
            "new@example.com",
            "pw-value-1234".into(),
        ),
    );
    s.check_debug(
        "LinkUserUrlRequest",
        &LinkUserUrlRequest::new(
            Connection::new("google-oauth2"),
            SecretString::from("id-token-value"),
        ),
    );
    s.check_debug(
        "UnlinkUserUrlRequest",
        &UnlinkUserUrlRequest::new(
            Connection::new("google-oauth2"),
            SecretString::from("id-token-value"),
        ),
    );
    let credential: PasskeyCredential = serde_json::from_value(json!({
        "id": "cred", "rawId": "cred", "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}
    }))
    .expect("a passkey credential");
    s.check_debug(
        "PasskeyTokenRequest",
        &PasskeyTokenRequest::new(
            auth0_auth::AuthSession::new("auth-session-value".into()),
            credential,
        ),
    );
    s.check_debug(
        "RequestOptions",
        &RequestOptions::new().header("x-api-key", "access-token-value"),
    );

    // An `mfa_required` answer's OAuth error.
    let oauth: OAuthError = serde_json::from_value(json!({
        "error": "mfa_required", "mfa_token": "access-token-value",
        "mfa_requirements": {"challenge": [{"type": "otp"}]}
    }))
    .unwrap();
    s.check_debug("OAuthError", &oauth);
}

#[test]
fn clients_and_builders_print_no_credential() {
    let mut s = Secrets::new();
    let key = keys::generate_rsa();
    s.add_pem(&key.private_key_pem);
    let builder = AuthClient::builder("tenant.example.com", "c1")
        .client_secret(demo::CLIENT_SECRET)
        .client_assertion_signing_key(&key.private_key_pem)
        .client_assertion_signing_alg(SigningAlgorithm::RS256);
    s.check_debug("AuthClientBuilder", &builder);
    s.check_debug("AuthClient (private-key JWT)", &builder.build().unwrap());
    let with_secret = AuthClient::builder("tenant.example.com", "c1")
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    s.check_debug("AuthClient (secret)", &with_secret);
    s.check_debug(
        "AuthClient view",
        &with_secret.with_options(RequestOptions::new().header("x-secret", "pw-value-1234")),
    );
    let blocking = AuthClient::builder("tenant.example.com", "c1")
        .client_secret(demo::CLIENT_SECRET)
        .build_blocking()
        .unwrap();
    s.check_debug("blocking::AuthClient", &blocking);

    // A DPoP key's private half.
    let ec = keys::generate_ec_p256();
    s.add_pem(&ec.private_key_pem);
    let dpop = DpopKey::from_pkcs8_pem(&ec.private_key_pem).unwrap();
    s.check_debug("DpopKey", &dpop);
    let builder = AuthClient::builder("tenant.example.com", "c1").dpop_key(dpop);
    s.check_debug("AuthClientBuilder (DPoP)", &builder);
    s.check_debug("AuthClient (DPoP)", &builder.build().unwrap());

    // Configuration errors about the key name what is wrong, never what it contains.
    let e = AuthClient::builder("tenant.example.com", "c1")
        .client_assertion_signing_key(&key.private_key_pem)
        .client_assertion_signing_alg(SigningAlgorithm::ES256)
        .build()
        .unwrap_err();
    s.check_error("a key of the wrong type", &e);
    let e = DpopKey::from_pkcs8_pem(&key.private_key_pem).unwrap_err();
    s.check_error("a DPoP key of the wrong type", &e);
}

/// Full flows against the emulator, with every secret they handle collected; then their
/// values, their errors and the captured logs are checked.
#[tokio::test]
async fn flows_leak_no_secret_to_values_errors_or_logs() {
    logs();
    let mut s = Secrets::new();
    let t = demo_tenant().await;
    let c = client(&t);

    // Client credentials, password, refresh, revocation, user info.
    let m2m = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap();
    s.add(m2m.access_token.expose_secret());
    s.check_debug("TokenResponse (client credentials)", &m2m);

    let recorder = ResponseRecorder::new();
    let tokens = bounded(
        c.with_options(RequestOptions::new().record_response(&recorder))
            .get_token_by_password(
                PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                    .scope("openid profile email offline_access")
                    .audience(demo::AUDIENCE),
            ),
    )
    .await
    .unwrap();
    s.add(tokens.access_token.expose_secret());
    s.add(tokens.id_token.as_ref().unwrap().expose_secret());
    let refresh = tokens
        .refresh_token
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_string();
    s.add(&refresh);
    s.check_debug("TokenResponse (password)", &tokens);
    s.check_debug("ResponseRecorder", &recorder);
    // The recorded raw answer holds the tokens; its Debug must not.
    s.check_debug(
        "HttpDetails (recorded token answer)",
        &recorder.last().unwrap(),
    );

    let fresh =
        bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new(refresh.clone().into())))
            .await
            .unwrap();
    s.add(fresh.access_token.expose_secret());
    s.check_debug("TokenResponse (refresh)", &fresh);
    let user =
        bounded(c.get_user_info(auth0_auth::UserInfoRequest::new(fresh.access_token.clone())))
            .await
            .unwrap();
    s.check_debug("user info claims", &user);
    bounded(
        c.revoke_token(
            auth0_auth::RevokeTokenRequest::new(refresh.clone().into())
                .token_type_hint(TokenTypeHint::RefreshToken),
        ),
    )
    .await
    .unwrap();
    let e = bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new(refresh.clone().into())))
        .await
        .unwrap_err();
    s.check_error("a revoked refresh token", &e);
    let e = bounded(c.get_user_info(auth0_auth::UserInfoRequest::new(
        "not-a-valid-access-token".into(),
    )))
    .await
    .unwrap_err();
    s.add("not-a-valid-access-token");
    s.check_error("user info with a bad token", &e);
    let e = bounded(c.get_token_by_password(PasswordRequest::new(
        demo::USERNAME,
        "wrong-password-value".into(),
    )))
    .await
    .unwrap_err();
    s.add("wrong-password-value");
    s.check_error("a wrong password", &e);

    // Browser login: the authorization URL's verifier, the callback's code.
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new().params(
                AuthorizationParams::new()
                    .redirect_uri(demo::CALLBACKS[0])
                    .state("state-value-1")
                    .nonce("nonce-value-1"),
            ),
        ),
    )
    .await
    .unwrap();
    s.add(login.transaction.code_verifier().expose_secret());
    s.check_debug("AuthorizationUrl", &login);
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let code = query_value(&callback, "code").expect("a code");
    s.add(&code);
    let by_code = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap();
    s.add(by_code.access_token.expose_secret());
    s.add(by_code.id_token.as_ref().unwrap().expose_secret());
    s.check_debug("TokenResponse (code)", &by_code);
    // The code is single use: the second exchange fails, naming no code or verifier.
    let e = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap_err();
    s.check_error("a used code", &e);
    // Link URLs carry the ID token (they must: it is the hint); their Debug must not.
    let link = bounded(
        c.build_link_user_url(
            LinkUserUrlRequest::new(
                Connection::new("google-oauth2"),
                by_code.id_token.clone().unwrap(),
            )
            .params(AuthorizationParams::new().redirect_uri(demo::CALLBACKS[0])),
        ),
    )
    .await
    .unwrap();
    s.add(link.transaction.code_verifier().expose_secret());
    s.check_debug("AuthorizationUrl (link)", &link);

    // MFA: mfa_required, enrollment, verification with a TOTP code.
    let e = bounded(c.get_token_by_password(
        PasswordRequest::new(demo::MFA_USERNAME, demo::PASSWORD.into()).scope("openid"),
    ))
    .await
    .unwrap_err();
    let mfa_token = e.mfa_token().unwrap().to_string();
    s.add(&mfa_token);
    s.check_error("mfa_required", &e);
    s.check_debug("OAuthError (mfa_required)", &e.oauth().unwrap());
    s.check_debug("HttpDetails (mfa_required)", &e.http().unwrap());
    let enrollment = bounded(
        c.mfa(mfa_token.to_string().into())
            .enroll_authenticator(EnrollRequest::otp()),
    )
    .await
    .unwrap();
    let Enrollment::Otp(otp) = &enrollment else {
        panic!("an OTP enrollment")
    };
    s.add(otp.secret.expose_secret());
    s.add(otp.barcode_uri.expose_secret());
    for code in otp.recovery_codes.iter().flatten() {
        s.add(code.expose_secret());
    }
    s.check_debug("Enrollment", &enrollment);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let totp = totp_code(otp.secret.expose_secret(), now).unwrap();
    let e = bounded(
        c.mfa(mfa_token.to_string().into())
            .verify(MfaVerification::otp("000000x".into())),
    )
    .await
    .unwrap_err();
    s.check_error("a wrong OTP", &e);
    let verified = bounded(
        c.mfa(mfa_token.to_string().into())
            .verify(MfaVerification::otp(totp.into())),
    )
    .await
    .unwrap();
    s.add(verified.access_token.expose_secret());
    s.check_debug("TokenResponse (MFA)", &verified);
    let e = bounded(
        c.mfa("mfa-token-that-is-wrong".into())
            .list_authenticators(),
    )
    .await
    .unwrap_err();
    s.add("mfa-token-that-is-wrong");
    s.check_error("a wrong mfa_token", &e);

    // Passwordless, database connections, one-time codes, anonymous sessions.
    bounded(
        c.passwordless()
            .send_email(SendEmailRequest::new(demo::USERNAME)),
    )
    .await
    .unwrap();
    for message in t.passwordless_messages() {
        s.add(&message.code);
    }
    let e = bounded(
        c.get_token_by_passwordless_email(PasswordlessTokenRequest::new(
            demo::USERNAME,
            "wrong-otp-value".into(),
        )),
    )
    .await
    .unwrap_err();
    s.add("wrong-otp-value");
    s.check_error("a wrong passwordless code", &e);
    let signed_up = bounded(c.database().sign_up(SignUpRequest::new(
        auth0_auth::Connection::new(DEFAULT_CONNECTION),
        "hygiene@example.com",
        "Sign-up-password-1!".into(),
    )))
    .await
    .unwrap();
    s.add("Sign-up-password-1!");
    s.check_debug("SignedUpUser", &signed_up);
    bounded(c.database().change_password(ChangePasswordRequest::email(
        auth0_auth::Connection::new(DEFAULT_CONNECTION),
        demo::USERNAME,
    )))
    .await
    .unwrap();
    {
        let challenge = bounded(
            c.passwordless()
                .challenge_with_email(OtpChallengeRequest::new(
                    demo::USERNAME,
                    auth0_auth::Connection::new(DEFAULT_CONNECTION),
                )),
        )
        .await
        .unwrap();
        s.add(challenge.auth_session.expose_secret());
        s.check_debug("OtpChallenge", &challenge);
        let e = bounded(c.passwordless().get_token_by_passwordless_db_connection(
            PasswordlessDbTokenRequest::new(challenge.auth_session.clone(), "999999x".into()),
        ))
        .await
        .unwrap_err();
        s.check_error("a wrong database one-time code", &e);
    }
    {
        let session = bounded(c.anonymous().create_session(AnonymousSessionRequest::new()))
            .await
            .unwrap();
        s.add(session.session_token.expose_secret());
        s.add(session.access_token.expose_secret());
        s.check_debug("AnonymousSession", &session);
    }

    // A token exchange refused, naming no subject token.
    let e = bounded(c.exchange_token(ExchangeTokenRequest::profile(
        "urn:acme:legacy-token",
        "subject-token-value-1".into(),
    )))
    .await
    .unwrap_err();
    s.add("subject-token-value-1");
    s.check_error("a refused token exchange", &e);

    // Device flow (public client): the device code is a secret.
    let public = public_client(&t);
    {
        let device = bounded(
            public.start_device_authorization(auth0_auth::DeviceAuthorizationRequest::new()),
        )
        .await
        .unwrap();
        s.add(device.device_code.expose_secret());
        s.check_debug("DeviceAuthorization", &device);
        let e = bounded(public.device_code_grant(&device.device_code))
            .await
            .unwrap_err();
        s.check_error("a pending device code", &e);
    }

    // Private-key JWT and DPoP clients: the assertions and proofs are credentials.
    let key = keys::generate_rsa();
    s.add_pem(&key.private_key_pem);
    let pk_tenant = tenant(
        Emulator::builder().demo_tenant().client(
            ClientConfig::private_key_jwt("pk-client", &key.public_key_pem)
                .grant_audience(demo::AUDIENCE, demo::SCOPES),
        ),
    )
    .await;
    let pk = AuthClient::builder(pk_tenant.base_url(), "pk-client")
        .client_assertion_signing_key(&key.private_key_pem)
        .build()
        .unwrap();
    let pk_tokens =
        bounded(pk.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    s.add(pk_tokens.access_token.expose_secret());
    for sent in pk_tenant.requests_to("/oauth/token") {
        if let Some(assertion) = sent.form_value("client_assertion") {
            s.add(assertion);
        }
    }
    let dpop = confidential(&t)
        .dpop_key(DpopKey::generate().unwrap())
        .build()
        .unwrap();
    let dpop_tokens =
        bounded(dpop.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    s.add(dpop_tokens.access_token.expose_secret());
    for sent in t.requests() {
        if let Some(proof) = sent.header("dpop") {
            s.add(proof);
        }
        if let Some(authorization) = sent.header("authorization") {
            // Bearer tokens and Basic credentials.
            s.add(authorization.rsplit(' ').next().unwrap_or_default());
        }
    }

    // Every value and error checked; now the logs of all of the above.
    assert!(s.0.len() > 40, "the flows handled {} secrets", s.0.len());
    let log = logged();
    assert!(
        log.contains("auth0 request done") && log.contains("auth0.token"),
        "the SDK's own events are captured: {:.400}",
        log
    );
    s.assert_absent("the captured log", &log);
}
