//! Token exchange configuration: RFC 8693 profiles ([`TokenExchangeProfile`]) and Token Vault
//! connections ([`FederatedConnection`]), plus the builder methods that add them. `Debug` never
//! prints a token.

use std::fmt;

/// An RFC 8693 token exchange profile (Auth0 "Custom Token Exchange"): which subject tokens of
/// one `subject_token_type` the tenant accepts and whose they are.
///
/// ```
/// use auth0_emulator::TokenExchangeProfile;
///
/// let profile = TokenExchangeProfile::new("urn:acme:mcp-token")
///     .subject("mcp-token-for-jane", "auth0|jane")
///     .accept_tenant_jwts()
///     .audience("https://api.example.com/");
/// # let _ = profile;
/// ```
#[derive(Clone)]
pub struct TokenExchangeProfile {
    /// The `subject_token_type` this profile handles.
    pub(crate) subject_token_type: String,
    /// Fixed subject token values and the user ids they stand for.
    pub(crate) subjects: Vec<(String, String)>,
    /// Whether any JWT signed by this tenant is a valid subject token (the user is its `sub`).
    pub(crate) accept_tenant_jwts: bool,
    /// Audiences tokens may be issued for; empty means any configured API.
    pub(crate) audiences: Vec<String>,
}

impl TokenExchangeProfile {
    /// A profile for subject tokens of type `subject_token_type` (any URI the tenant chooses,
    /// such as `urn:acme:legacy-token`). It accepts no token until given
    /// [`subject`](Self::subject)s or told to [`accept_tenant_jwts`](Self::accept_tenant_jwts).
    pub fn new(subject_token_type: &str) -> Self {
        Self {
            subject_token_type: subject_token_type.to_owned(),
            subjects: Vec::new(),
            accept_tenant_jwts: false,
            audiences: Vec::new(),
        }
    }

    /// The literal subject token `token` stands for the user `user_id` (a user that is not
    /// configured is created on first use, with no email).
    pub fn subject(mut self, token: &str, user_id: &str) -> Self {
        self.subjects.retain(|(t, _)| t != token);
        self.subjects.push((token.to_owned(), user_id.to_owned()));
        self
    }

    /// Any JWT signed by this tenant (its current or a still-published old key, with this
    /// tenant as `iss` and not expired) is a valid subject token; the user is its `sub`.
    pub fn accept_tenant_jwts(mut self) -> Self {
        self.accept_tenant_jwts = true;
        self
    }

    /// Allows `audience` (call again for more). Without any, every configured API is allowed.
    pub fn audience(mut self, audience: &str) -> Self {
        if !self.audiences.iter().any(|a| a == audience) {
            self.audiences.push(audience.to_owned());
        }
        self
    }
}

impl fmt::Debug for TokenExchangeProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<&str> = self.subjects.iter().map(|(_, u)| u.as_str()).collect();
        f.debug_struct("TokenExchangeProfile")
            .field("subject_token_type", &self.subject_token_type)
            .field("subject_users", &users)
            .field("subject_tokens", &"[redacted]")
            .field("accept_tenant_jwts", &self.accept_tenant_jwts)
            .field("audiences", &self.audiences)
            .finish()
    }
}

/// One user's account on a federated connection, as Token Vault stores it.
#[derive(Clone)]
pub(crate) struct FederatedAccount {
    /// The Auth0 user it belongs to.
    pub user_id: String,
    /// Which of the user's accounts it is (`login_hint`).
    pub login_hint: Option<String>,
    /// The connection's access token Token Vault hands out.
    pub access_token: String,
    /// The scopes that token carries.
    pub scopes: Vec<String>,
}

impl fmt::Debug for FederatedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederatedAccount")
            .field("user_id", &self.user_id)
            .field("login_hint", &self.login_hint)
            .field("access_token", &"[redacted]")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A federated connection (such as `google-oauth2`) whose users' access tokens Token Vault
/// hands out through the federated-connection token exchange.
///
/// ```
/// use auth0_emulator::FederatedConnection;
///
/// let google = FederatedConnection::new("google-oauth2")
///     .account("auth0|jane", Some("jane@gmail.com"), "ya29.jane-personal", &["calendar.read"])
///     .account("auth0|jane", Some("jane@work.com"), "ya29.jane-work", &["calendar.read"]);
/// # let _ = google;
/// ```
#[derive(Clone, Debug)]
pub struct FederatedConnection {
    /// The connection name.
    pub(crate) name: String,
    /// The stored accounts, in the order added.
    pub(crate) accounts: Vec<FederatedAccount>,
}

impl FederatedConnection {
    /// A connection named `name` with no accounts yet.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            accounts: Vec::new(),
        }
    }

    /// Stores an account of `user_id` on this connection: its `access_token` and `scopes`.
    /// `login_hint` tells a user's accounts apart; without a hint, an exchange gets the user's
    /// first account.
    pub fn account(
        mut self,
        user_id: &str,
        login_hint: Option<&str>,
        access_token: &str,
        scopes: &[&str],
    ) -> Self {
        self.accounts.push(FederatedAccount {
            user_id: user_id.to_owned(),
            login_hint: login_hint.map(str::to_owned),
            access_token: access_token.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        });
        self
    }

    /// The account of `user_id` matching `login_hint` (or the first one without a hint).
    pub(crate) fn account_for(
        &self,
        user_id: &str,
        login_hint: Option<&str>,
    ) -> Option<&FederatedAccount> {
        self.accounts.iter().find(|a| {
            a.user_id == user_id && login_hint.is_none_or(|h| a.login_hint.as_deref() == Some(h))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_tokens() {
        let p = TokenExchangeProfile::new("urn:x").subject("very-secret-subject", "auth0|u");
        let shown = format!("{p:?}");
        assert!(!shown.contains("very-secret-subject") && shown.contains("auth0|u"));
        let c = FederatedConnection::new("google-oauth2").account(
            "auth0|u",
            None,
            "ya29.secret-token",
            &["a"],
        );
        assert!(!format!("{c:?}").contains("ya29.secret-token"));
    }

    #[test]
    fn accounts_are_picked_by_hint_or_first() {
        let c = FederatedConnection::new("g")
            .account("u", Some("one"), "t1", &[])
            .account("u", Some("two"), "t2", &[])
            .account("v", None, "t3", &[]);
        assert_eq!(
            c.account_for("u", None).map(|a| a.access_token.as_str()),
            Some("t1")
        );
        assert_eq!(
            c.account_for("u", Some("two"))
                .map(|a| a.access_token.as_str()),
            Some("t2")
        );
        assert!(c.account_for("u", Some("three")).is_none());
        assert!(c.account_for("w", None).is_none());
    }
}
