//! The third-party OpenID Provider the interop tests run against (`oidc-provider` under
//! `interop/`, started with Node on 127.0.0.1), a cookie-carrying "browser" that drives its
//! login, consent and logout pages, and a one-shot back-channel logout listener.
//!
//! Every wait here is bounded.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// Every wait in a test is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(30);
/// How long the provider may take to start and print its ready line.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Runs `fut`, failing the test if it takes longer than [`LIMIT`].
pub async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// The `interop/` directory of the repository.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// The running provider and what its ready line told about it.
pub struct Provider {
    child: Child,
    /// Held open: the provider exits when its stdin closes (when this process ends).
    _stdin: ChildStdin,
    ready: Value,
    log: PathBuf,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// The issuer identifier (`http://127.0.0.1:PORT`, no trailing slash).
    pub fn issuer(&self) -> &str {
        self.str("issuer")
    }

    /// The version of `oidc-provider` that is running.
    pub fn version(&self) -> &str {
        self.str("version")
    }

    /// The redirect URI every browser client registered.
    pub fn redirect_uri(&self) -> &str {
        self.str("redirect_uri")
    }

    /// The post-logout redirect URI every browser client registered.
    pub fn post_logout_redirect_uri(&self) -> &str {
        self.str("post_logout_redirect_uri")
    }

    /// The API whose client-credentials tokens are JWTs.
    pub fn resource(&self) -> &str {
        self.str("resource")
    }

    /// The secret of a configured client.
    pub fn secret(&self, client_id: &str) -> &str {
        self.ready["clients"][client_id]["client_secret"]
            .as_str()
            .unwrap_or_else(|| panic!("the provider has no client {client_id:?} with a secret"))
    }

    /// The PKCS#8 PEM private key and `kid` of the client key pair `which` (`rsa` or `ec`),
    /// whose public half the `private_key_jwt` clients registered.
    pub fn client_key(&self, which: &str) -> (&str, &str) {
        let key = &self.ready["client_keys"][which];
        (
            key["private_key_pem"].as_str().expect("a client key PEM"),
            key["kid"].as_str().expect("a client key id"),
        )
    }

    /// A URL on the provider.
    pub fn url(&self, path: &str) -> Url {
        Url::parse(self.issuer())
            .unwrap()
            .join(path)
            .expect("a path on the provider")
    }

    /// Where the provider writes its own log.
    pub fn log(&self) -> &Path {
        &self.log
    }

    fn str(&self, name: &str) -> &str {
        self.ready[name]
            .as_str()
            .unwrap_or_else(|| panic!("the provider's ready line has no {name:?}"))
    }

    /// Starts the provider and waits (bounded) for its ready line. Installs the pinned
    /// provider first (`npm ci`, bounded) when `interop/node_modules` is missing.
    pub fn start() -> Result<Provider, String> {
        let dir = interop_dir();
        let dir = dir.canonicalize().unwrap_or(dir);
        let script = dir.join("server.js");
        if !script.is_file() {
            return Err(format!(
                "the interop provider program {} is missing",
                script.display()
            ));
        }
        if !dir
            .join("node_modules/oidc-provider/package.json")
            .is_file()
        {
            // Like cargo fetching crates on a first build: install the pinned provider from the
            // committed lockfile once, so `cargo test --workspace` works on a fresh clone.
            install_provider(&dir)?;
        }
        let node = std::env::var_os("INTEROP_NODE").unwrap_or_else(|| "node".into());
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-oidc-provider.log");
        let log_file = std::fs::File::create(&log)
            .map_err(|e| format!("cannot create the provider log {}: {e}", log.display()))?;
        let mut child = Command::new(&node)
            .arg(&script)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    format!(
                        "Node.js ({node:?}) was not found: the interop tests run the OpenID \
                         Provider `oidc-provider` with Node 20 or later. Install Node, then run \
                         `npm ci` in {}",
                        dir.display()
                    )
                } else {
                    format!("could not start {node:?} {}: {e}", script.display())
                }
            })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel::<Result<Value, String>>();
        // Reads the ready line, then keeps draining stdout so the provider never blocks on it.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(sender) = &tx
                    && let Ok(v) = serde_json::from_str::<Value>(&line)
                    && v["ready"] == true
                {
                    let _ = sender.send(Ok(v));
                    tx = None;
                }
            }
            if let Some(sender) = tx {
                let _ = sender.send(Err("the provider exited before it was ready".into()));
            }
        });
        let mut provider = Provider {
            child,
            _stdin: stdin,
            ready: Value::Null,
            log,
        };
        let log_tail = |p: &Provider| {
            let text = std::fs::read_to_string(&p.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        };
        match rx.recv_timeout(START_LIMIT) {
            Ok(Ok(ready)) => {
                provider.ready = ready;
                Ok(provider)
            }
            Ok(Err(why)) => Err(format!(
                "{why} (log {}):\n{}",
                provider.log.display(),
                log_tail(&provider)
            )),
            Err(_) => Err(format!(
                "the provider did not print its ready line within {START_LIMIT:?} (log {}):\n{}",
                provider.log.display(),
                log_tail(&provider)
            )),
        }
    }
}

/// The provider shared by every test of this binary, started on first use. It exits when this
/// process does (its stdin closes).
pub fn op() -> &'static Provider {
    static OP: OnceLock<Result<Provider, String>> = OnceLock::new();
    OP.get_or_init(Provider::start)
        .as_ref()
        .unwrap_or_else(|why| panic!("the interop OpenID Provider could not start: {why}"))
}

/// One cookie, as a browser keeps it.
struct Cookie {
    name: String,
    value: String,
    path: String,
}

/// A page or redirect the browser got.
pub struct Page {
    pub status: u16,
    pub url: Url,
    pub location: Option<Url>,
    pub body: String,
}

/// A minimal browser: no redirects followed on its own, cookies kept by name and path.
pub struct Browser {
    http: reqwest::Client,
    cookies: Vec<Cookie>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self, url: &Url) -> Option<String> {
        let path = url.path();
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| {
                path == c.path
                    || (path.starts_with(&c.path)
                        && (c.path.ends_with('/') || path[c.path.len()..].starts_with('/')))
            })
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all("set-cookie") {
            let Ok(text) = header.to_str() else { continue };
            let mut parts = text.split(';').map(str::trim);
            let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let mut path = "/".to_string();
            let mut expired = value.is_empty();
            for attr in parts {
                let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
                match k.to_ascii_lowercase().as_str() {
                    "path" => path = v.to_string(),
                    "max-age" => expired |= v.trim().starts_with('-') || v.trim() == "0",
                    "expires" => expired |= v.contains("1970"),
                    _ => {}
                }
            }
            self.cookies.retain(|c| !(c.name == name && c.path == path));
            if !expired {
                self.cookies.push(Cookie {
                    name: name.to_string(),
                    value: value.to_string(),
                    path,
                });
            }
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder, url: &Url) -> Page {
        let request = match self.cookie_header(url) {
            Some(cookies) => request.header("cookie", cookies),
            None => request,
        };
        let response = bounded(request.send())
            .await
            .unwrap_or_else(|e| panic!("the browser could not load {url}: {e}"));
        self.keep_cookies(&response);
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(|l| url.join(l).expect("a valid Location"));
        let body = bounded(response.text()).await.unwrap_or_default();
        Page {
            status,
            url: url.clone(),
            location,
            body,
        }
    }

    /// Loads a page.
    pub async fn get(&mut self, url: &Url) -> Page {
        let request = self.http.get(url.clone());
        self.send(request, url).await
    }

    /// Submits a form.
    pub async fn post_form(&mut self, url: &Url, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(url.clone()).form(form);
        self.send(request, url).await
    }

    /// Opens `authorize_url` and plays the user: signs in as `login` on the provider's login
    /// page and allows access on its consent page, following redirects until one leaves for
    /// `redirect_uri`; returns that callback URL.
    pub async fn log_in(&mut self, authorize_url: &Url, redirect_uri: &str, login: &str) -> String {
        let mut next = authorize_url.clone();
        for _ in 0..16 {
            let page = self.get(&next).await;
            let page = match page.status {
                200 => self.submit_interaction(&page, login).await,
                _ => page,
            };
            match page.location {
                Some(location) if location.as_str().starts_with(redirect_uri) => {
                    return location.to_string();
                }
                Some(location) if (300..400).contains(&page.status) => next = location,
                _ => panic!(
                    "unexpected answer {} from {} during login (provider log: {}):\n{}",
                    page.status,
                    page.url,
                    op().log().display(),
                    excerpt(&page.body)
                ),
            }
        }
        panic!("the login did not come back to {redirect_uri} within 16 steps");
    }

    /// Submits the login or consent form of an interaction page.
    async fn submit_interaction(&mut self, page: &Page, login: &str) -> Page {
        let action = form_action(page);
        match hidden_value(&page.body, "prompt").as_deref() {
            Some("login") => {
                self.post_form(
                    &action,
                    &[
                        ("prompt", "login"),
                        ("login", login),
                        ("password", "any password"),
                    ],
                )
                .await
            }
            Some("consent") => self.post_form(&action, &[("prompt", "consent")]).await,
            other => panic!(
                "an interaction page with an unknown prompt {other:?} at {}:\n{}",
                page.url,
                excerpt(&page.body)
            ),
        }
    }

    /// Opens an RP-initiated logout URL, confirms the provider's "sign out?" page, and returns
    /// where the provider sent the browser afterwards.
    pub async fn log_out(&mut self, logout_url: &Url) -> Url {
        let page = self.get(logout_url).await;
        assert_eq!(
            page.status,
            200,
            "the logout confirmation page opens:\n{}",
            excerpt(&page.body)
        );
        let xsrf = hidden_value(&page.body, "xsrf").expect("the logout form carries an xsrf value");
        let action = form_action(&page);
        let done = self
            .post_form(&action, &[("xsrf", xsrf.as_str()), ("logout", "yes")])
            .await;
        assert!(
            (300..400).contains(&done.status),
            "the logout confirmation redirects (got {}):\n{}",
            done.status,
            excerpt(&done.body)
        );
        done.location.expect("a Location after logout")
    }
}

/// The `action` of the (first) form of a page, absolute.
fn form_action(page: &Page) -> Url {
    let marker = "action=\"";
    let start = page
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("no form on {}:\n{}", page.url, excerpt(&page.body)))
        + marker.len();
    let end = page.body[start..].find('"').expect("a closed action") + start;
    page.url
        .join(&unescape(&page.body[start..end]))
        .expect("a valid form action")
}

/// The value of `<input … name="{name}" value="…">` in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x2F;", "/")
        .replace("&#39;", "'")
}

fn excerpt(body: &str) -> String {
    body.chars().take(2000).collect()
}

/// One query parameter of a URL.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The claims of a JWT, unverified (for looking at access tokens, which are not the client's
/// to validate).
pub fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("a base64url payload");
    serde_json::from_slice(&bytes).expect("a JSON payload")
}

/// The header of a JWT.
pub fn jwt_header(jwt: &str) -> Value {
    use base64::Engine;
    let header = jwt.split('.').next().expect("a JWT has a header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("a base64url header");
    serde_json::from_slice(&bytes).expect("a JSON header")
}

/// A one-shot back-channel logout endpoint on 127.0.0.1: answers the first POST with 200 and
/// hands over its `logout_token`.
pub struct LogoutListener {
    pub uri: String,
    pub token: tokio::sync::oneshot::Receiver<String>,
}

pub async fn logout_listener() -> LogoutListener {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!(
        "http://127.0.0.1:{}/backchannel-logout",
        listener.local_addr().unwrap().port()
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let Ok(Ok((mut socket, _))) = tokio::time::timeout(LIMIT, listener.accept()).await else {
            return;
        };
        let read = async {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = socket.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())?;
                if buf.len() >= end + 4 + length {
                    let body = buf[end + 4..end + 4 + length].to_vec();
                    return Some((head, body));
                }
            }
        };
        let Ok(Some((head, body))) = tokio::time::timeout(LIMIT, read).await else {
            return;
        };
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        let _ = socket.shutdown().await;
        if head.starts_with("post ") {
            let token = url::form_urlencoded::parse(&body)
                .find(|(k, _)| k == "logout_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let _ = tx.send(token);
        }
    });
    LogoutListener { uri, token: rx }
}

/// Runs `npm ci` in `dir` (from the committed lockfile), bounded.
fn install_provider(dir: &Path) -> Result<(), String> {
    auth0_test_support::npm_ci(dir, "oidc-provider")
}
