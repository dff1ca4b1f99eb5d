//! Home-realm discovery: does an email domain belong to an enterprise connection of a tenant?

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Method;
use url::Url;

use crate::client::AuthClient;
use crate::error::ErrorCode;
use crate::http::Request;

/// How long a "federated" answer is cached.
const FEDERATED_TTL: Duration = Duration::from_secs(60);
/// How long a "not federated" (404) answer is cached.
const NOT_FEDERATED_TTL: Duration = Duration::from_secs(15);

/// A cached answer with its own lifetime.
#[derive(Clone, Copy)]
struct Answer {
    federated: bool,
}

struct AnswerExpiry;

impl moka::Expiry<String, Answer> for AnswerExpiry {
    fn expire_after_create(
        &self,
        _: &String,
        value: &Answer,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(if value.federated {
            FEDERATED_TTL
        } else {
            NOT_FEDERATED_TTL
        })
    }
}

fn cache() -> &'static moka::future::Cache<String, Answer> {
    static CACHE: OnceLock<moka::future::Cache<String, Answer>> = OnceLock::new();
    CACHE.get_or_init(|| {
        moka::future::Cache::builder()
            .max_capacity(1000)
            .expire_after(AnswerExpiry)
            .build()
    })
}

impl AuthClient {
    /// Whether `email_domain` (say `acme.com`) is routed to an enterprise identity provider on
    /// this client's tenant, asked through WebFinger. `true` on a 2xx (cached 60 s), `false`
    /// on 404 (cached 15 s), and `false` on anything else, including network errors (not
    /// cached): it never fails. Per-request options ([`with_options`](Self::with_options))
    /// apply. For another tenant, see the free function [`is_federated_domain`].
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) {
    /// if client.is_federated_domain("acme.com").await {
    ///     // send the user straight to their company's login
    /// }
    /// # }
    /// ```
    pub async fn is_federated_domain(&self, email_domain: &str) -> bool {
        let base = self.inner.base.clone();
        self.ask_webfinger(&base, email_domain).await
    }

    async fn ask_webfinger(&self, base: &Url, email_domain: &str) -> bool {
        let email_domain = email_domain.trim().to_lowercase();
        if email_domain.is_empty() {
            return false;
        }
        let key = format!("{}|{email_domain}", base.as_str().to_lowercase());
        if let Some(answer) = cache().get(&key).await {
            return answer.federated;
        }
        let Some(url) = webfinger_url(base, &email_domain) else {
            return false;
        };
        let request = Request::new(
            Method::GET,
            url,
            ErrorCode::Discovery,
            "the WebFinger endpoint",
        );
        let status = match self.send(request).await {
            Ok(response) => response.status,
            Err(_) => return false,
        };
        let federated = if status.is_success() {
            true
        } else if status.as_u16() == 404 {
            false
        } else {
            if status.as_u16() == 429 {
                tracing::warn!("is_federated_domain: the tenant rate-limited WebFinger (429)");
            }
            return false;
        };
        cache().insert(key, Answer { federated }).await;
        federated
    }
}

/// Whether `email_domain` (say `acme.com`) is routed to an enterprise identity provider on the
/// tenant `auth0_domain` (a host such as `tenant.eu.auth0.com`, or a base URL), for code that
/// has no client of that tenant. The same answers and caching as
/// [`AuthClient::is_federated_domain`], with default HTTP settings; a domain that cannot be
/// used (not a host, or plain `http://` off loopback) gives `false`.
///
/// ```no_run
/// # async fn demo() {
/// if auth0_auth::is_federated_domain("tenant.eu.auth0.com", "acme.com").await {
///     // send the user straight to their company's login
/// }
/// # }
/// ```
pub async fn is_federated_domain(auth0_domain: &str, email_domain: &str) -> bool {
    // A public client of that tenant: WebFinger needs no credentials, and the client id is
    // never sent.
    let Ok(client) = AuthClient::builder(auth0_domain, "webfinger").build() else {
        return false;
    };
    client.is_federated_domain(email_domain).await
}

fn webfinger_url(base: &Url, email_domain: &str) -> Option<Url> {
    let mut url = base.join(".well-known/webfinger").ok()?;
    url.query_pairs_mut()
        .append_pair(
            "resource",
            &format!("urn:auth0:discovery:domain:{email_domain}"),
        )
        .append_pair("rel", "http://openid.net/specs/connect/1.0/issuer");
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webfinger_url_names_the_lower_cased_domain() {
        let base = Url::parse("https://t.auth0.com/").unwrap();
        assert_eq!(
            webfinger_url(&base, "acme.com").unwrap().as_str(),
            "https://t.auth0.com/.well-known/webfinger?resource=urn%3Aauth0%3Adiscovery%3Adomain%3Aacme.com&rel=http%3A%2F%2Fopenid.net%2Fspecs%2Fconnect%2F1.0%2Fissuer"
        );
    }
}
