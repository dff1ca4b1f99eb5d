//! The web tests' "browser": cookies kept per origin, redirects followed by hand, the
//! emulator's login form submitted as the demo user. Every wait is bounded.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use auth0_emulator::demo;
use reqwest::StatusCode;
use url::Url;

pub const LIMIT: Duration = Duration::from_secs(30);

pub async fn bounded<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// A browser: cookies per origin, redirects followed by hand.
pub struct Browser {
    http: reqwest::Client,
    pub cookies: BTreeMap<String, BTreeMap<String, String>>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    pub fn origin(url: &Url) -> String {
        url.origin().ascii_serialization()
    }

    pub fn cookie_header(&self, url: &Url) -> Option<String> {
        let jar = self.cookies.get(&Self::origin(url))?;
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    pub fn cookies_of(&mut self, base: &str) -> &mut BTreeMap<String, String> {
        let origin = Self::origin(&Url::parse(base).unwrap());
        self.cookies.entry(origin).or_default()
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder, url: &Url) -> Page {
        let request = match self.cookie_header(url) {
            Some(c) => request.header("cookie", c),
            None => request,
        };
        let response = bounded(request.send()).await.unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|l| url.join(l.to_str().unwrap()).unwrap().to_string());
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let jar = self.cookies.entry(Self::origin(url)).or_default();
        for line in &set_cookies {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if line.contains("Max-Age=0") || value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = bounded(response.text()).await.unwrap();
        Page {
            status,
            location,
            set_cookies,
            body,
        }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let url = Url::parse(url).unwrap();
        let request = self.http.get(url.clone());
        self.send(request, &url).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let url = Url::parse(url).unwrap();
        let request = self.http.post(url.clone()).form(form);
        self.send(request, &url).await
    }

    /// On the emulator's login page at `authorize`: submits the demo user's credentials and
    /// returns the callback URL it redirects to.
    pub async fn submit_login_page(&mut self, authorize: &str) -> String {
        let page = self.get(authorize).await;
        assert_eq!(page.status, 200, "the login page opens");
        let tx = login_form_tx(&page.body).expect("the login page has a form");
        let url = Url::parse(authorize)
            .unwrap()
            .join("/authorize/login")
            .unwrap();
        let submitted = self
            .post(
                url.as_str(),
                &[
                    ("tx", tx.as_str()),
                    ("username", demo::USERNAME),
                    ("password", demo::PASSWORD),
                ],
            )
            .await;
        assert!(submitted.status.is_redirection(), "{}", submitted.status);
        submitted.location.unwrap()
    }

    /// A whole login through the app, starting at `start` (a path); returns where the callback
    /// sent the browser.
    pub async fn log_in(&mut self, base: &str, tenant: &str, start: &str) -> String {
        let first = self.get(&format!("{base}{start}")).await;
        assert_eq!(first.status, 303, "{start} redirects: {}", first.body);
        let mut next = first.location.unwrap();
        if next.starts_with(base) {
            // The app sent us to its login route first.
            let login = self.get(&next).await;
            assert_eq!(login.status, 303, "{}", login.body);
            next = login.location.unwrap();
        }
        assert!(next.starts_with(tenant), "{next}");
        let callback = self.submit_login_page(&next).await;
        let done = self.get(&callback).await;
        assert_eq!(done.status, 303, "the callback completes: {}", done.body);
        done.location.unwrap()
    }
}

pub fn login_form_tx(html: &str) -> Option<String> {
    let marker = "name=\"tx\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}

pub fn query_value(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
