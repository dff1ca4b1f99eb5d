//! What a tenant is made of: applications (clients), users, APIs and organizations.
//!
//! Every type here is a plain value built with chained setters and handed to
//! [`EmulatorBuilder`](crate::EmulatorBuilder). `Debug` never prints a secret or a password.

use std::fmt;

use sha2::{Digest, Sha256};

/// The database connection users belong to unless [`UserConfig::connection`] says otherwise.
pub const DEFAULT_CONNECTION: &str = "Username-Password-Authentication";

/// How an application proves who it is at the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum ClientAuthMethod {
    /// A shared secret, sent in the body (`client_secret_post`) or in an
    /// `Authorization: Basic` header (`client_secret_basic`).
    Secret(String),
    /// A signed JWT (`private_key_jwt`) verified with this SPKI PEM public key (RSA or EC).
    PrivateKeyJwt(String),
    /// No authentication at all: a public client (native app, SPA, CLI).
    None,
}

impl fmt::Debug for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("Secret([redacted])"),
            Self::PrivateKeyJwt(_) => f.write_str("PrivateKeyJwt(<public key>)"),
            Self::None => f.write_str("None"),
        }
    }
}

/// A client grant: the client may use `client_credentials` for `audience` with `scopes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientGrant {
    /// The API identifier.
    pub(crate) audience: String,
    /// The scopes granted for that API.
    pub(crate) scopes: Vec<String>,
}

/// An application registered in the tenant.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The client identifier.
    pub(crate) client_id: String,
    /// How the client authenticates.
    pub(crate) auth: ClientAuthMethod,
    /// Allowed `redirect_uri` values.
    pub(crate) callbacks: Vec<String>,
    /// APIs this client may reach with `client_credentials`.
    pub(crate) grants: Vec<ClientGrant>,
    /// Browser login and logout settings (see [`crate::tenant::session`]).
    pub(crate) browser: crate::tenant::session::BrowserClient,
    /// The grant types the client may use; `None` allows every grant (see
    /// [`crate::tenant::grant_types`]).
    pub(crate) grant_types: Option<Vec<String>>,
}

impl ClientConfig {
    /// A confidential client that authenticates with a secret, sent either in the body
    /// (`client_secret_post`) or in an `Authorization: Basic` header (`client_secret_basic`).
    pub fn confidential(client_id: &str, client_secret: &str) -> Self {
        Self::with_auth(
            client_id,
            ClientAuthMethod::Secret(client_secret.to_owned()),
        )
    }

    /// A confidential client that authenticates with `private_key_jwt`. `public_key_pem` is the
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of an RSA or EC (P-256 / P-384) key; it is
    /// parsed when the emulator starts.
    pub fn private_key_jwt(client_id: &str, public_key_pem: &str) -> Self {
        Self::with_auth(
            client_id,
            ClientAuthMethod::PrivateKeyJwt(public_key_pem.to_owned()),
        )
    }

    /// A public client: it sends its `client_id` and nothing else.
    pub fn public(client_id: &str) -> Self {
        Self::with_auth(client_id, ClientAuthMethod::None)
    }

    /// Allows `url` as a `redirect_uri` (callback URL).
    pub fn callback(mut self, url: &str) -> Self {
        self.callbacks.push(url.to_owned());
        self
    }

    /// Allows the `client_credentials` grant for `audience` with `scopes`.
    pub fn grant_audience(mut self, audience: &str, scopes: &[&str]) -> Self {
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.grants.retain(|g| g.audience != audience);
        self.grants.push(ClientGrant {
            audience: audience.to_owned(),
            scopes,
        });
        self
    }

    /// Whether the client has no credentials.
    pub(crate) fn is_public(&self) -> bool {
        self.auth == ClientAuthMethod::None
    }

    /// The scopes granted to this client for `audience`, if it has a client grant for it.
    pub(crate) fn grant_for(&self, audience: &str) -> Option<&ClientGrant> {
        self.grants.iter().find(|g| g.audience == audience)
    }

    fn with_auth(client_id: &str, auth: ClientAuthMethod) -> Self {
        Self {
            client_id: client_id.to_owned(),
            auth,
            callbacks: Vec::new(),
            grants: Vec::new(),
            browser: crate::tenant::session::BrowserClient::default(),
            grant_types: None,
        }
    }
}

/// A user in a database connection.
#[derive(Clone)]
pub struct UserConfig {
    /// `auth0|<24 hex>` unless set with [`UserConfig::user_id`].
    pub(crate) user_id: String,
    /// The username, when the user was created with one that is not an email.
    pub(crate) username: Option<String>,
    /// The email, when the user was created with an email.
    pub(crate) email: Option<String>,
    /// The password (never printed by `Debug`).
    pub(crate) password: String,
    /// The connection (realm) the user lives in.
    pub(crate) connection: String,
    /// The display name (`name` claim); defaults to the email or username.
    pub(crate) name: Option<String>,
    /// Whether a password login must be completed with MFA.
    pub(crate) require_mfa: bool,
    /// Organizations (ids) the user is a member of.
    pub(crate) organizations: Vec<String>,
    /// RBAC permissions by API audience (see [`crate::rbac`]).
    pub(crate) permissions: Vec<(String, Vec<String>)>,
}

impl UserConfig {
    /// A user identified by `username_or_email` (an email if it contains `@`, which also sets
    /// the `email` claim). The `user_id` is `auth0|` followed by 24 hex digits derived from the
    /// identifier, so it is the same on every run.
    pub fn new(username_or_email: &str, password: &str) -> Self {
        let (username, email) = if username_or_email.contains('@') {
            (None, Some(username_or_email.to_owned()))
        } else {
            (Some(username_or_email.to_owned()), None)
        };
        let digest = Sha256::digest(username_or_email.to_lowercase().as_bytes());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        Self {
            user_id: format!("auth0|{hex}"),
            username,
            email,
            password: password.to_owned(),
            connection: DEFAULT_CONNECTION.to_owned(),
            name: None,
            require_mfa: false,
            organizations: Vec::new(),
            permissions: Vec::new(),
        }
    }

    /// Puts the user in another database connection (`realm`).
    pub fn connection(mut self, realm: &str) -> Self {
        realm.clone_into(&mut self.connection);
        self
    }

    /// Sets the display name (`name` claim).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Overrides the generated `user_id` (`sub` claim).
    pub fn user_id(mut self, id: &str) -> Self {
        id.clone_into(&mut self.user_id);
        self
    }

    /// Password logins answer `mfa_required` instead of tokens.
    pub fn require_mfa(mut self) -> Self {
        self.require_mfa = true;
        self
    }

    /// Makes the user a member of organization `org_id`.
    pub fn organization(mut self, org_id: &str) -> Self {
        if !self.organizations.iter().any(|o| o == org_id) {
            self.organizations.push(org_id.to_owned());
        }
        self
    }

    /// The user's id (the `sub` claim of its tokens).
    pub fn id(&self) -> &str {
        &self.user_id
    }

    /// The identifier the user logs in with: the email, else the username.
    pub(crate) fn login(&self) -> &str {
        self.email
            .as_deref()
            .or(self.username.as_deref())
            .unwrap_or_default()
    }

    /// Whether `login` names this user (emails compare case-insensitively).
    pub(crate) fn matches_login(&self, login: &str) -> bool {
        self.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(login))
            || self.username.as_deref() == Some(login)
    }

    /// The `name` claim: the configured name, else the login.
    pub(crate) fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or_else(|| self.login())
    }

    /// The `nickname` claim: the part of the email before `@`, else the username.
    pub(crate) fn nickname(&self) -> &str {
        let login = self.login();
        login.split('@').next().unwrap_or(login)
    }
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("connection", &self.connection)
            .field("name", &self.name)
            .field("require_mfa", &self.require_mfa)
            .field("organizations", &self.organizations)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// An API (resource server) tokens can be issued for.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The API identifier (`audience`).
    pub(crate) audience: String,
    /// The scopes (permissions) the API defines.
    pub(crate) scopes: Vec<String>,
    /// Whether refresh tokens may be issued for this API (default `true`).
    pub(crate) offline_access: bool,
    /// Access-token lifetime in seconds for this API; `None` uses the tenant default.
    pub(crate) token_lifetime: Option<u64>,
    /// Whether tokens carry the RBAC `permissions` claim (see `rbac.rs`).
    pub(crate) rbac_permissions: bool,
}

impl ApiConfig {
    /// An API identified by `audience` that defines `scopes`.
    pub fn new(audience: &str, scopes: &[&str]) -> Self {
        Self {
            audience: audience.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            offline_access: true,
            token_lifetime: None,
            rbac_permissions: false,
        }
    }

    /// Whether refresh tokens (`offline_access`) may be issued for this API.
    pub fn offline_access(mut self, allow: bool) -> Self {
        self.offline_access = allow;
        self
    }

    /// Access-token lifetime for this API in seconds (wins over the tenant default).
    pub fn token_lifetime(mut self, secs: u64) -> Self {
        self.token_lifetime = Some(secs);
        self
    }
}

/// An organization users can log in to.
#[derive(Clone, Debug)]
pub struct OrganizationConfig {
    /// The organization id (`org_…`).
    pub(crate) id: String,
    /// The organization name (lower-case slug, e.g. `acme`).
    pub(crate) name: String,
}

impl OrganizationConfig {
    /// An organization with id `id` (`org_…`) and name `name`.
    pub fn new(id: &str, name: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = ClientConfig::confidential("id", "s3cret-value");
        assert!(!format!("{c:?}").contains("s3cret-value"));
        let u = UserConfig::new("a@b.c", "hunter2-pass");
        let shown = format!("{u:?}");
        assert!(!shown.contains("hunter2-pass"));
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn user_ids_are_deterministic() {
        let a = UserConfig::new("Jane@Example.com", "x");
        let b = UserConfig::new("jane@example.com", "y");
        assert_eq!(a.user_id, b.user_id);
        assert_eq!(a.user_id.len(), "auth0|".len() + 24);
        assert_eq!(a.nickname(), "Jane");
        assert!(a.matches_login("JANE@example.com"));
        let u = UserConfig::new("bob", "x");
        assert_eq!(u.email, None);
        assert_eq!(u.login(), "bob");
    }
}
