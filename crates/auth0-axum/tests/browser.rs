//! The example web app in a real browser: headless Chromium (Debian's `chromium`), driven over
//! WebDriver (Debian's `chromium-driver`) with fantoccini, against the emulator's real login
//! page. Log in, see the profile, call the API, log out; a second login shows the login page
//! again; a back-channel logout from the tenant ends the app session; a tampered session cookie
//! lands on login. A PNG of each step goes to `target/browser-screenshots/`.
//!
//! A missing browser or driver is a clear failure, never a skip:
//! `apt-get install -y chromium chromium-driver`. Run with
//! `cargo test -p auth0-axum --features browser-tests --test browser` (the feature keeps this
//! target out of `cargo test --workspace`, whose reqwest-driven `web` and `web_app` tests cover
//! the same flow).

#[allow(dead_code)]
#[path = "../examples/web_app.rs"]
mod example;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use auth0_emulator::{UserConfig, demo};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const LIMIT: Duration = Duration::from_secs(20);

/// The driver process, ended when the test ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn start_driver() -> (Driver, String) {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "Chromium is not installed at {CHROMIUM}: apt-get install -y chromium chromium-driver"
    );
    let driver = find_program("chromedriver")
        .expect("chromedriver is not installed: apt-get install -y chromium chromium-driver");
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let guard = Driver(child);
    // Bounded wait for the driver to listen.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (guard, format!("http://127.0.0.1:{port}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen within 10 seconds");
}

async fn browser(driver: &str) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1200,900"],
        }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a Chromium session through chromedriver")
}

struct Steps {
    client: Client,
    dir: PathBuf,
    n: usize,
}

impl Steps {
    async fn shot(&mut self, name: &str) {
        self.n += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.dir.join(format!("{:02}-{name}.png", self.n)), png).unwrap();
    }

    async fn url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// Waits (bounded) until the current URL satisfies `ok`.
    async fn wait_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + LIMIT;
        loop {
            let url = self.url().await;
            if ok(&url) {
                return url;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited for {what}; at {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// On the tenant's login page: types the demo user's credentials and submits.
    async fn fill_login_page(&mut self, tenant: &str) {
        self.wait_url("the login page", |u| u.starts_with(tenant))
            .await;
        let user = self
            .client
            .wait()
            .at_most(LIMIT)
            .for_element(Locator::Css("#username"))
            .await
            .unwrap();
        user.send_keys(demo::USERNAME).await.unwrap();
        self.client
            .find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys(demo::PASSWORD)
            .await
            .unwrap();
        self.shot("login-page").await;
        self.client
            .find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_example_app_in_headless_chromium() {
    let (_driver, driver_url) = start_driver().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (auth, guard, tenant) = example::auth0(&base).await.unwrap();
    let tenant = tenant.expect("the in-process tenant (AUTH0_DOMAIN must be unset)");
    let app = example::app(&auth, guard, base.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let tenant_url = tenant.base_url();
    let mut s = Steps {
        client: browser(&driver_url).await,
        dir: screenshots_dir(),
        n: 0,
    };
    let run = async {
        // Home, then log in from its button.
        s.client.goto(&format!("{base}/")).await.unwrap();
        s.shot("home").await;
        s.client
            .find(Locator::LinkText("Log in"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        s.fill_login_page(&tenant_url).await;
        let profile = format!("{base}/profile");
        s.wait_url("the profile", |u| u == profile).await;
        assert!(s.text().await.contains(demo::NAME));
        s.shot("profile").await;

        // The API page, with the session's access token.
        s.client.goto(&format!("{base}/messages")).await.unwrap();
        let text = s.text().await;
        assert!(
            text.contains("200 OK") && text.contains("messages for auth0|"),
            "{text}"
        );
        s.shot("api").await;

        // Log out (a POST form), through the tenant and back home.
        s.client
            .find(Locator::Css("nav button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let home = format!("{base}/");
        s.wait_url("home after logout", |u| u == home).await;
        assert!(s.text().await.contains("Log in"));
        s.shot("logged-out").await;

        // A second login shows the login page again.
        s.client.goto(&format!("{base}/profile")).await.unwrap();
        s.fill_login_page(&tenant_url).await;
        s.wait_url("the profile again", |u| u == profile).await;
        s.shot("second-login").await;

        // A back-channel logout from the tenant ends the app session.
        let sub = UserConfig::new(demo::USERNAME, demo::PASSWORD)
            .id()
            .to_string();
        let status = tenant
            .send_backchannel_logout(example::CLIENT_ID, Some(&sub), None)
            .await
            .unwrap();
        assert_eq!(status, 204);
        s.client.goto(&profile).await.unwrap();
        s.wait_url("login after back-channel logout", |u| {
            u.starts_with(&tenant_url)
        })
        .await;
        s.shot("after-backchannel-logout").await;

        // Log in again, then tamper with the session cookie: back to login.
        s.fill_login_page(&tenant_url).await;
        s.wait_url("the profile once more", |u| u == profile).await;
        let cookie = s.client.get_named_cookie("__a0_session").await.unwrap();
        let mut value = cookie.value().to_owned();
        let last = if value.ends_with('A') { 'B' } else { 'A' };
        value.pop();
        value.push(last);
        let mut tampered = cookie.clone();
        tampered.set_value(value);
        s.client.delete_cookie("__a0_session").await.unwrap();
        s.client.add_cookie(tampered).await.unwrap();
        s.client.goto(&profile).await.unwrap();
        s.wait_url("login after tampering", |u| u.starts_with(&tenant_url))
            .await;
        s.shot("after-tampered-cookie").await;
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the browser run finished within two minutes");
    s.client.close().await.unwrap();
}
