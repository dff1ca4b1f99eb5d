//! Authorization parameters: the defaults configured on the client and those given per call.

/// Parameters of an authorization request (`scope`, `audience`, `redirect_uri`, `state`, …).
///
/// Values are kept in the order they were set; setting a key again replaces its value, and
/// [`unset`](Self::unset) removes a value a default would otherwise supply.
///
/// ```
/// use auth0_auth::AuthorizationParams;
///
/// let params = AuthorizationParams::new()
///     .redirect_uri("http://localhost:3000/callback")
///     .audience("https://api.example.com/")
///     .set("screen_hint", "signup");
/// assert_eq!(params.get("screen_hint"), Some("signup"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationParams {
    entries: Vec<(String, Option<String>)>,
}

impl AuthorizationParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets any parameter.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.put(key.into(), Some(value.into()));
        self
    }

    /// Removes a parameter, including one a default would supply.
    pub fn unset(mut self, key: impl Into<String>) -> Self {
        self.put(key.into(), None);
        self
    }

    fn put(&mut self, key: String, value: Option<String>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The value of a parameter, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The set parameters, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
    }

    /// `self` laid over `base`: later values win, unset values are dropped.
    pub(crate) fn over(&self, base: &AuthorizationParams) -> AuthorizationParams {
        let mut merged = base.clone();
        for (k, v) in &self.entries {
            merged.put(k.clone(), v.clone());
        }
        merged
    }

    /// `scope`.
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.set("scope", scope)
    }

    /// `audience`: the API the access token is for.
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.set("audience", audience)
    }

    /// `redirect_uri`: where the browser comes back to.
    pub fn redirect_uri(self, uri: impl Into<String>) -> Self {
        self.set("redirect_uri", uri)
    }

    /// `state`.
    pub fn state(self, state: impl Into<String>) -> Self {
        self.set("state", state)
    }

    /// `nonce`, echoed in the ID token.
    pub fn nonce(self, nonce: impl Into<String>) -> Self {
        self.set("nonce", nonce)
    }

    /// `organization`: an organization id (`org_…`) or name.
    pub fn organization(self, organization: impl Into<String>) -> Self {
        self.set("organization", organization)
    }

    /// `invitation`: an organization invitation ticket.
    pub fn invitation(self, invitation: impl Into<String>) -> Self {
        self.set("invitation", invitation)
    }

    /// `max_age` in seconds: the ID token's `auth_time` is then checked against it.
    pub fn max_age(self, seconds: u64) -> Self {
        self.set("max_age", seconds.to_string())
    }

    /// `authorization_details` (rich authorization requests), sent as a JSON string.
    pub fn authorization_details(self, details: &serde_json::Value) -> Self {
        self.set("authorization_details", details.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_values_win_and_unset_values_are_dropped() {
        let defaults = AuthorizationParams::new()
            .scope("openid")
            .audience("https://a/")
            .redirect_uri("http://localhost/cb");
        let call = AuthorizationParams::new()
            .audience("https://b/")
            .unset("redirect_uri")
            .state("xyz");
        let merged = call.over(&defaults);
        let pairs: Vec<_> = merged.iter().collect();
        assert_eq!(
            pairs,
            [("scope", "openid"), ("audience", "https://b/"), ("state", "xyz")]
        );
    }

    #[test]
    fn authorization_details_are_a_json_string() {
        let p = AuthorizationParams::new()
            .authorization_details(&serde_json::json!([{"type": "payment", "amount": 10}]));
        assert_eq!(
            p.get("authorization_details"),
            Some(r#"[{"amount":10,"type":"payment"}]"#)
        );
    }
}
