//! A tiny "browser" for the login tests: no redirects followed, one session cookie kept.
#![allow(dead_code)]

use std::time::Duration;

use auth0_emulator::RunningEmulator;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use url::Url;

/// The session cookie's name.
pub const COOKIE: &str = "auth0_emulator_session";

/// A client that does not follow redirects and carries the emulator's session cookie.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    /// The session cookie's value, once set.
    pub cookie: Option<String>,
}

impl Browser {
    /// A browser with no cookie.
    pub fn new(em: &RunningEmulator) -> Self {
        Self {
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("reqwest client"),
            base: em.base_url(),
            cookie: None,
        }
    }

    fn remember(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("ascii cookie");
            let first = text.split(';').next().unwrap_or_default();
            if let Some(v) = first.strip_prefix(&format!("{COOKIE}=")) {
                self.cookie = (!v.is_empty()).then(|| v.to_owned());
            }
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => request.header("cookie", format!("{COOKIE}={c}")),
            None => request,
        }
    }

    /// GETs `path_and_query` (relative to the emulator, or an absolute URL).
    pub async fn get(&mut self, path_and_query: &str) -> reqwest::Response {
        let url = if path_and_query.starts_with("http") {
            path_and_query.to_owned()
        } else {
            format!("{}{path_and_query}", self.base)
        };
        let response = self
            .with_cookie(self.http.get(url))
            .send()
            .await
            .expect("GET");
        self.remember(&response);
        response
    }

    /// POSTs a form to `path`.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .with_cookie(self.http.post(format!("{}{path}", self.base)).form(form))
            .send()
            .await
            .expect("POST");
        self.remember(&response);
        response
    }

    /// GETs `/authorize` with `params`; asserts the login page came and returns its `tx`.
    pub async fn login_page(&mut self, params: &[(&str, &str)]) -> (String, String) {
        let response = self.get(&authorize_path(params)).await;
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = response.text().await.expect("HTML");
        (tx_of(&html), html)
    }

    /// Logs in through the page: GET `/authorize`, POST the form, return the callback URL.
    pub async fn login(&mut self, params: &[(&str, &str)], username: &str, password: &str) -> Url {
        let (tx, _) = self.login_page(params).await;
        let response = self
            .post(
                "/authorize/login",
                &[("tx", &tx), ("username", username), ("password", password)],
            )
            .await;
        assert_eq!(response.status(), 302, "{:?}", response.text().await);
        location(&response)
    }
}

/// `/authorize?` + the form-encoded `params`.
pub fn authorize_path(params: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("/authorize?{query}")
}

/// The value of the hidden `tx` input.
pub fn tx_of(html: &str) -> String {
    let marker = "name=\"tx\" value=\"";
    let start = html.find(marker).expect("a tx field") + marker.len();
    let end = html[start..].find('"').expect("end of tx") + start;
    html[start..end].to_owned()
}

/// The `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> Url {
    let text = response.headers()["location"].to_str().expect("ascii");
    Url::parse(text).expect("absolute Location")
}

/// The first value of query parameter `key`.
pub fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce(seed: &str) -> (String, String) {
    let verifier = format!("{seed}-{}", "v".repeat(50));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}
