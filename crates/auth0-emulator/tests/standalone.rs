//! The standalone tenant: the real `auth0-emulator` binary started with a tenant file
//! (`examples/tenant.toml`) or one-line flags, driven over HTTP only — by a Node script (no npm
//! packages) that logs in with PKCE reading what it needs from the control API, and by reqwest
//! for grant fidelity, the clock and the banner. Every child process is killed however the
//! test ends.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{http, within};
use serde_json::{Value, json};

const PASSWORD: &str = "pa55word-for-tests";
const WEB_SECRET: &str = "my-web-app-secret";
const WORKER_SECRET: &str = "my-worker-secret";

fn example_tenant() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/tenant.toml")
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary, running; killed on drop.
struct Tenant {
    child: Child,
    base_url: String,
    banner: Vec<String>,
}

impl Drop for Tenant {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args` on a free port and reads its banner.
async fn start(args: &[&str]) -> Tenant {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth0-emulator"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut tenant = Tenant {
        child,
        base_url: String::new(),
        banner: Vec::new(),
    };
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("press Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .expect("banner read");
    assert!(
        banner.last().is_some_and(|l| l.starts_with("press Ctrl-C")),
        "the binary did not start: {banner:?}"
    );
    tenant.base_url = banner[0].rsplit(' ').next().unwrap_or_default().to_owned();
    tenant.banner = banner;
    tenant
}

async fn form_token(base: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(format!("{base}/oauth/token"))
        .form(form)
        .send()
        .await
        .expect("token request");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON"),
    )
}

/// The claims of a JWT (not verified: the tests elsewhere verify signatures).
fn claims_of(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims")
}

async fn control(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{base}/__emulator{path}");
    let request = match method {
        "POST" => http().post(url),
        "DELETE" => http().delete(url),
        _ => http().get(url),
    };
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.expect("control request");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON"),
    )
}

#[tokio::test]
async fn a_node_client_logs_in_with_pkce_using_only_the_control_api() {
    within(async {
        let tenant = start(&["--config", example_tenant().to_str().unwrap()]).await;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/standalone/login.mjs");
        let dir = std::env::temp_dir().join(format!("emulator-node-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
        let mut node = Killed(
            Command::new("node")
                .arg(script)
                .arg(&tenant.base_url)
                .env("USER_PASSWORD", PASSWORD)
                .env("WEB_APP_SECRET", WEB_SECRET)
                .stdout(std::fs::File::create(&out_path).unwrap())
                .stderr(std::fs::File::create(&err_path).unwrap())
                .spawn()
                .expect("node runs (Node 18+ is needed for this test)"),
        );
        // Bounded by `within`; `Killed` ends node if the test fails or times out.
        let status = loop {
            if let Some(status) = node.0.try_wait().expect("node status") {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(status.success(), "node failed: {stderr}\n{stdout}");
        let result: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
        assert_eq!(result["ok"], true);
        assert!(result["sub"].as_str().unwrap().starts_with("auth0|"));
        assert_eq!(result["scope"], "openid profile email offline_access");
        drop(tenant);
    })
    .await;
}

#[tokio::test]
async fn file_clients_get_their_types_default_grants_or_the_listed_ones() {
    within(async {
        let tenant = start(&["--config", example_tenant().to_str().unwrap()]).await;
        let base = &tenant.base_url;
        // m2m default: client_credentials only.
        let (status, body) = form_token(
            base,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "my-worker"),
                ("client_secret", WORKER_SECRET),
                ("audience", "https://api.example.com/"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = form_token(
            base,
            &[
                ("grant_type", "password"),
                ("client_id", "my-worker"),
                ("client_secret", WORKER_SECRET),
                ("username", "jane@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"], "unauthorized_client");
        assert_eq!(
            body["error_description"],
            "Grant type 'password' not allowed for the client."
        );
        // The web app lists password among its grants.
        let (status, body) = form_token(
            base,
            &[
                ("grant_type", "password"),
                ("client_id", "my-web-app"),
                ("client_secret", WEB_SECRET),
                ("username", "jane@example.com"),
                ("password", PASSWORD),
                ("scope", "openid"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // Jane has the "reader" role on the RBAC API: only read:things, listed in permissions.
        let (status, body) = form_token(
            base,
            &[
                ("grant_type", "password"),
                ("client_id", "my-web-app"),
                ("client_secret", WEB_SECRET),
                ("username", "jane@example.com"),
                ("password", PASSWORD),
                ("audience", "https://api.example.com/"),
                ("scope", "openid read:things write:things"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], "openid read:things");
        let jane = claims_of(body["access_token"].as_str().unwrap());
        assert_eq!(jane["permissions"], json!(["read:things"]));
        assert_eq!(jane["scope"], "openid read:things");
        // …and password enables password-realm, for bob in his own database connection.
        let (status, body) = form_token(
            base,
            &[
                (
                    "grant_type",
                    "http://auth0.com/oauth/grant-type/password-realm",
                ),
                ("realm", "legacy-db"),
                ("client_id", "my-web-app"),
                ("client_secret", WEB_SECRET),
                ("username", "bob"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // The web app did not list the device flow.
        let (status, body) = form_token(
            base,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", "my-web-app"),
                ("client_secret", WEB_SECRET),
                ("device_code", "x"),
            ],
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"], "unauthorized_client");
        // RBAC on the example API: the permissions claim is there.
        let (_, body) = form_token(
            base,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "my-worker"),
                ("client_secret", WORKER_SECRET),
                ("audience", "https://api.example.com/"),
            ],
        )
        .await;
        let access = body["access_token"].as_str().unwrap();
        let payload = access.split('.').nth(1).unwrap();
        use base64::Engine as _;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            claims["permissions"],
            json!(["read:things", "write:things"])
        );
    })
    .await;
}

#[tokio::test]
async fn the_banner_lists_clients_callbacks_and_users_without_secrets() {
    within(async {
        let tenant = start(&["--config", example_tenant().to_str().unwrap()]).await;
        let banner = tenant.banner.join("\n");
        assert!(tenant.base_url.starts_with("http://127.0.0.1:"), "{banner}");
        for expected in [
            "issuer:",
            "/__emulator/",
            "client:                my-web-app (client_secret)",
            "callbacks:           http://localhost:3000/callback",
            "logout URLs:         http://localhost:3000/",
            "back-channel logout: http://127.0.0.1:3000/backchannel-logout",
            "client:                my-spa (public)",
            "user:                  jane@example.com",
            "user:                  mfa-user@example.com (needs MFA)",
            "organization:          org_acme123 (acme)",
            "API audience:          https://api.example.com/",
        ] {
            assert!(
                banner.contains(expected),
                "{expected:?} missing from\n{banner}"
            );
        }
        for secret in [PASSWORD, WEB_SECRET, WORKER_SECRET, "ya29."] {
            assert!(!banner.contains(secret), "{secret} printed:\n{banner}");
        }
        assert!(tenant.banner.len() < 30, "the banner stays short");
    })
    .await;
}

#[tokio::test]
async fn one_liners_declare_a_tenant_without_a_file() {
    within(async {
        let tenant = start(&[
            "--client",
            "cli-app:cli-secret",
            "--callback",
            "http://localhost:4444/cb",
            "--logout-url",
            "http://localhost:4444/",
            "--user",
            "sam@example.com:sam-password",
        ])
        .await;
        let banner = tenant.banner.join("\n");
        assert!(
            banner.contains("client:                cli-app (client_secret)"),
            "{banner}"
        );
        assert!(banner.contains("callbacks:           http://localhost:4444/cb"));
        assert!(banner.contains("user:                  sam@example.com"));
        assert!(!banner.contains("quickstart"), "no demo tenant: {banner}");
        assert!(!banner.contains("sam-password") && !banner.contains("cli-secret"));
        let (status, described) = control(&tenant.base_url, "GET", "/tenant", None).await;
        assert_eq!(status, 200);
        assert_eq!(
            described["clients"][0]["logout_urls"],
            json!(["http://localhost:4444/"])
        );
        let page = http()
            .get(format!(
                "{}/authorize?response_type=code&client_id=cli-app&redirect_uri={}&scope=openid",
                tenant.base_url, "http%3A%2F%2Flocalhost%3A4444%2Fcb"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "the callback is allowed");
    })
    .await;
}

#[tokio::test]
async fn advancing_the_clock_expires_codes() {
    within(async {
        let tenant = start(&["--config", example_tenant().to_str().unwrap()]).await;
        let base = &tenant.base_url;
        let start_code = http()
            .post(format!("{base}/passwordless/start"))
            .json(&json!({
                "client_id": "my-web-app", "client_secret": WEB_SECRET,
                "connection": "email", "email": "jane@example.com", "send": "code",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(start_code.status(), 200);
        let (_, sent) = control(base, "GET", "/passwordless", None).await;
        let otp = sent["messages"][0]["code"].as_str().unwrap().to_owned();
        let (status, moved) = control(
            base,
            "POST",
            "/clock/advance",
            Some(json!({"seconds": 3600})),
        )
        .await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["offset_seconds"], 3600);
        let (status, body) = form_token(
            base,
            &[
                (
                    "grant_type",
                    "http://auth0.com/oauth/grant-type/passwordless/otp",
                ),
                ("client_id", "my-web-app"),
                ("client_secret", WEB_SECRET),
                ("username", "jane@example.com"),
                ("otp", &otp),
                ("realm", "email"),
            ],
        )
        .await;
        assert_eq!(status, 403, "an hour later the code has expired: {body}");
        assert_eq!(body["error"], "invalid_grant");
        // Tokens minted now carry the moved clock.
        let (_, body) = form_token(
            base,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "my-worker"),
                ("client_secret", WORKER_SECRET),
                ("audience", "https://api.example.com/"),
            ],
        )
        .await;
        let payload = body["access_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap()
            .to_owned();
        use base64::Engine as _;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        let real_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(claims["iat"].as_u64().unwrap() >= real_now + 3000);
        let (status, _) = control(
            base,
            "POST",
            "/clock/advance",
            Some(json!({"seconds": "x"})),
        )
        .await;
        assert_eq!(status, 400);
    })
    .await;
}

#[tokio::test]
async fn bad_tenant_files_and_hosts_are_refused_with_the_place() {
    let dir = std::env::temp_dir().join(format!("emulator-standalone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("typo.toml");
    std::fs::write(
        &file,
        "[[clients]]\nclient_id = \"a\"\ntype = \"spa\"\ncallback = [\"http://x/\"]\n",
    )
    .unwrap();
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_auth0-emulator"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .expect("the binary runs")
        })
    };
    let output = within(run(vec!["--config".into(), file.display().to_string()]))
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("typo.toml"), "{stderr}");
    assert!(stderr.contains("line 4"), "{stderr}");
    assert!(stderr.contains("callback"), "{stderr}");

    let output = within(run(vec!["--host".into(), "0.0.0.0".into()]))
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-non-loopback"));

    let output = within(tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_auth0-emulator"))
            .arg("--help")
            .output()
            .expect("the binary runs")
    }))
    .await
    .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--config",
        "--client",
        "--callback",
        "--logout-url",
        "--user",
        "/__emulator/reset",
        "/__emulator/passwordless",
        auth0_emulator::demo::CALLBACKS[0],
        auth0_emulator::demo::USERNAME,
    ] {
        assert!(help.contains(expected), "{expected} missing from --help");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_example_tenant_file_loads_in_process_too() {
    within(async {
        let file = auth0_emulator::TenantFile::load(&example_tenant()).expect("the example loads");
        let em = file
            .apply(auth0_emulator::Emulator::builder())
            .expect("the example applies")
            .start()
            .await
            .expect("the example tenant starts");
        let described = em.describe();
        let ids: Vec<&str> = described["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["client_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["my-spa", "my-web-app", "my-worker"]);
        assert_eq!(described["users"].as_array().unwrap().len(), 3);
        assert_eq!(described["organizations"][0]["id"], "org_acme123");
        let spa = &described["clients"][0];
        assert_eq!(
            spa["grant_types"],
            json!(["authorization_code", "implicit", "refresh_token"])
        );
        em.shutdown().await;
    })
    .await;
}
