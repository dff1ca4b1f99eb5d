//! Tenant files: a whole tenant declared in TOML (or JSON) — clients, users, APIs,
//! organizations, connections, token lifetimes, issuer and signing algorithm — for
//! `auth0-emulator --config tenant.toml` and for tests in any language.
//!
//! [`TenantFile`] reads and checks a file (unknown fields are refused; syntax errors name the
//! file, line and column; semantic errors name the file and the entry), takes the binary's
//! one-line additions (`--client`, `--callback`, `--logout-url`, `--user`) and maps everything
//! onto [`EmulatorBuilder`] calls. `crates/auth0-emulator/examples/tenant.toml` documents
//! every field.
//!
//! Imports the public configuration types and the builder only; nothing here knows HTTP.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::emulator::EmulatorBuilder;
use crate::tenant::config::{
    ApiConfig, ClientConfig, DEFAULT_CONNECTION, OrganizationConfig, UserConfig,
};
use crate::tenant::exchange_config::FederatedConnection;
use crate::tenant::grant_types::{AppType, KNOWN_GRANT_TYPES};
use crate::tenant::keys::TokenSigningAlg;

/// Why a tenant file (or a one-line flag) was refused. The message names the file and the
/// place (line and column for syntax and unknown fields, the entry for semantic errors); it
/// never contains a secret or a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantFileError {
    message: String,
}

impl TenantFileError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for TenantFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TenantFileError {}

/// A tenant as declared in a file. Build one with [`TenantFile::load`] (or the `from_*`
/// functions), add one-liners, then [`TenantFile::apply`] it to a builder.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    #[serde(skip)]
    source: Option<PathBuf>,
    #[serde(skip)]
    flag_clients: usize,
    issuer: Option<String>,
    port: Option<u16>,
    signing_alg: Option<String>,
    pushed_authorization_requests: Option<bool>,
    end_session_endpoint: Option<bool>,
    mtls_endpoint_aliases: Option<bool>,
    dpop_nonce_required: Option<bool>,
    ciba_interval: Option<u64>,
    device_interval: Option<u64>,
    passkey: Option<PasskeySpec>,
    #[serde(default)]
    token_lifetimes: Lifetimes,
    #[serde(default)]
    clients: Vec<ClientSpec>,
    #[serde(default)]
    users: Vec<UserSpec>,
    #[serde(default)]
    apis: Vec<ApiSpec>,
    #[serde(default)]
    organizations: Vec<OrganizationSpec>,
    #[serde(default)]
    roles: Vec<RoleSpec>,
    #[serde(default)]
    connections: Connections,
}

/// Permissions by API identifier.
type Permissions = BTreeMap<String, Vec<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    name: String,
    #[serde(default)]
    permissions: Permissions,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lifetimes {
    id_token: Option<u64>,
    access_token: Option<u64>,
    authorization_code: Option<u64>,
    device_code: Option<u64>,
    passwordless_code: Option<u64>,
    anonymous_token: Option<u64>,
    anonymous_session: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeySpec {
    rp_id: String,
    origin: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum AppTypeSpec {
    RegularWeb,
    Spa,
    Native,
    M2m,
}

impl AppTypeSpec {
    fn app_type(self) -> AppType {
        match self {
            Self::RegularWeb => AppType::RegularWeb,
            Self::Spa => AppType::Spa,
            Self::Native => AppType::Native,
            Self::M2m => AppType::MachineToMachine,
        }
    }

    fn confidential(self) -> bool {
        matches!(self, Self::RegularWeb | Self::M2m)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSpec {
    client_id: String,
    #[serde(rename = "type")]
    app_type: Option<AppTypeSpec>,
    client_secret: Option<String>,
    public_key_pem: Option<String>,
    public_key_jwk: Option<serde_json::Value>,
    #[serde(default)]
    callbacks: Vec<String>,
    #[serde(default)]
    logout_urls: Vec<String>,
    backchannel_logout_uri: Option<String>,
    grants: Option<Vec<String>>,
    #[serde(default)]
    require_organization: bool,
    #[serde(default)]
    client_grants: Vec<ClientGrantSpec>,
}

impl fmt::Debug for ClientSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSpec")
            .field("client_id", &self.client_id)
            .field("app_type", &self.app_type)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("callbacks", &self.callbacks)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientGrantSpec {
    audience: String,
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserSpec {
    email: Option<String>,
    username: Option<String>,
    password: String,
    user_id: Option<String>,
    name: Option<String>,
    connection: Option<String>,
    #[serde(default)]
    mfa: bool,
    totp_secret: Option<String>,
    #[serde(default)]
    permissions: Permissions,
    #[serde(default)]
    roles: Vec<String>,
}

impl UserSpec {
    fn login(&self) -> &str {
        self.email
            .as_deref()
            .or(self.username.as_deref())
            .unwrap_or_default()
    }
}

impl fmt::Debug for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSpec")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSpec {
    identifier: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    rbac: bool,
    allow_offline_access: Option<bool>,
    token_lifetime: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationSpec {
    id: String,
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Connections {
    #[serde(default)]
    database: Vec<String>,
    #[serde(default)]
    enterprise: Vec<EnterpriseSpec>,
    #[serde(default)]
    social: Vec<SocialSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnterpriseSpec {
    name: String,
    #[serde(default)]
    domains: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SocialSpec {
    name: String,
    #[serde(default)]
    accounts: Vec<SocialAccountSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SocialAccountSpec {
    user: String,
    login_hint: Option<String>,
    access_token: String,
    #[serde(default)]
    scopes: Vec<String>,
}

impl fmt::Debug for SocialAccountSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialAccountSpec")
            .field("user", &self.user)
            .field("access_token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl TenantFile {
    /// An empty tenant (for one-liners only).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads `path`: JSON when its name ends in `.json`, TOML otherwise.
    ///
    /// # Errors
    /// When the file cannot be read, is not valid TOML/JSON, has an unknown field or a value
    /// of the wrong type (with the line and column), or fails [`TenantFile::check`].
    pub fn load(path: &Path) -> Result<Self, TenantFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            TenantFileError::new(format!("{}: cannot read the file: {e}", path.display()))
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            Self::parse_json(&text)
        } else {
            Self::parse_toml(&text)
        };
        let mut file =
            parsed.map_err(|why| TenantFileError::new(format!("{}: {why}", path.display())))?;
        file.source = Some(path.to_owned());
        file.check()?;
        Ok(file)
    }

    /// Parses and checks a tenant written in TOML.
    ///
    /// # Errors
    /// As [`TenantFile::load`].
    pub fn from_toml(text: &str) -> Result<Self, TenantFileError> {
        let file = Self::parse_toml(text).map_err(TenantFileError::new)?;
        file.check()?;
        Ok(file)
    }

    /// Parses and checks a tenant written in JSON (the same fields as TOML).
    ///
    /// # Errors
    /// As [`TenantFile::load`].
    pub fn from_json(text: &str) -> Result<Self, TenantFileError> {
        let file = Self::parse_json(text).map_err(TenantFileError::new)?;
        file.check()?;
        Ok(file)
    }

    fn parse_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }

    fn parse_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Whether the tenant declares any client.
    pub fn has_clients(&self) -> bool {
        !self.clients.is_empty()
    }

    /// The port the file asks for, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `--client id[:secret]`: a regular web application with that secret, or a public SPA
    /// without one. `--callback` and `--logout-url` then apply to the clients added this way.
    ///
    /// # Errors
    /// An empty id or secret, or a client id already declared.
    pub fn add_client_flag(&mut self, spec: &str) -> Result<(), TenantFileError> {
        let (id, secret) = match spec.split_once(':') {
            Some((id, secret)) => (id, Some(secret)),
            None => (spec, None),
        };
        if id.is_empty() || secret.is_some_and(str::is_empty) {
            return Err(TenantFileError::new(
                "--client needs ID or ID:SECRET with neither part empty",
            ));
        }
        if self.clients.iter().any(|c| c.client_id == id) {
            return Err(TenantFileError::new(format!(
                "--client {id}: a client with this id is already declared"
            )));
        }
        // One-liner clients are for quick starts; they get the grants a test most often
        // needs on top of their type's defaults.
        let app_type = if secret.is_some() {
            AppTypeSpec::RegularWeb
        } else {
            AppTypeSpec::Spa
        };
        self.clients.push(ClientSpec {
            client_id: id.to_owned(),
            app_type: Some(app_type),
            client_secret: secret.map(str::to_owned),
            public_key_pem: None,
            public_key_jwk: None,
            callbacks: Vec::new(),
            logout_urls: Vec::new(),
            backchannel_logout_uri: None,
            grants: None,
            require_organization: false,
            client_grants: Vec::new(),
        });
        self.flag_clients += 1;
        Ok(())
    }

    /// `--callback URL`: allowed for the clients added with `--client`, or, without any, for
    /// every client of the file.
    ///
    /// # Errors
    /// `url` is not an absolute URL, or there is no client to add it to.
    pub fn add_callback_flag(&mut self, url: &str) -> Result<(), TenantFileError> {
        check_url("--callback", url)?;
        let clients = self.flag_targets("--callback")?;
        for c in clients {
            c.callbacks.push(url.to_owned());
        }
        Ok(())
    }

    /// `--logout-url URL`: as [`TenantFile::add_callback_flag`], for post-logout return URLs.
    ///
    /// # Errors
    /// As [`TenantFile::add_callback_flag`].
    pub fn add_logout_url_flag(&mut self, url: &str) -> Result<(), TenantFileError> {
        check_url("--logout-url", url)?;
        let clients = self.flag_targets("--logout-url")?;
        for c in clients {
            c.logout_urls.push(url.to_owned());
        }
        Ok(())
    }

    /// `--user email:password` (the password is everything after the first `:`).
    ///
    /// # Errors
    /// A missing part, or a user already declared.
    pub fn add_user_flag(&mut self, spec: &str) -> Result<(), TenantFileError> {
        let Some((login, password)) = spec.split_once(':') else {
            return Err(TenantFileError::new("--user needs EMAIL:PASSWORD"));
        };
        if login.is_empty() || password.is_empty() {
            return Err(TenantFileError::new(
                "--user needs EMAIL:PASSWORD with neither part empty",
            ));
        }
        if self
            .users
            .iter()
            .any(|u| u.login().eq_ignore_ascii_case(login))
        {
            return Err(TenantFileError::new(format!(
                "--user {login}: a user with this login is already declared"
            )));
        }
        let (email, username) = if login.contains('@') {
            (Some(login.to_owned()), None)
        } else {
            (None, Some(login.to_owned()))
        };
        self.users.push(UserSpec {
            email,
            username,
            password: password.to_owned(),
            user_id: None,
            name: None,
            connection: None,
            mfa: false,
            totp_secret: None,
            permissions: Permissions::new(),
            roles: Vec::new(),
        });
        Ok(())
    }

    fn flag_targets(&mut self, flag: &str) -> Result<&mut [ClientSpec], TenantFileError> {
        if self.clients.is_empty() {
            return Err(TenantFileError::new(format!(
                "{flag} needs a client: add --client ID[:SECRET] or a --config file with clients \
                 (the demo tenant's callbacks are fixed; see --help)"
            )));
        }
        let start = if self.flag_clients == 0 {
            0
        } else {
            self.clients.len() - self.flag_clients
        };
        Ok(&mut self.clients[start..])
    }

    fn place(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(|| "tenant".to_owned(), |p| p.display().to_string())
    }

    fn fail(&self, message: String) -> TenantFileError {
        TenantFileError::new(format!("{}: {message}", self.place()))
    }

    /// Checks what types alone cannot: app types against credentials, grant names, URLs,
    /// duplicate ids, and references between entries (organization members, client grants,
    /// user connections, social accounts).
    ///
    /// # Errors
    /// The first problem found, naming the entry.
    pub fn check(&self) -> Result<(), TenantFileError> {
        if let Some(alg) = &self.signing_alg
            && parse_alg(alg).is_none()
        {
            return Err(self.fail(format!("signing_alg = {alg:?}: use \"RS256\" or \"ES256\"")));
        }
        if let Some(issuer) = &self.issuer {
            check_url("issuer", issuer).map_err(|e| self.fail(e.message))?;
        }
        let apis: HashSet<&str> = self.apis.iter().map(|a| a.identifier.as_str()).collect();
        let mut ids = HashSet::new();
        for c in &self.clients {
            let at = format!("client {:?}", c.client_id);
            if c.client_id.is_empty() {
                return Err(self.fail("a client has an empty client_id".to_owned()));
            }
            if !ids.insert(c.client_id.as_str()) {
                return Err(self.fail(format!("{at} is declared twice")));
            }
            let kind = c.app_type.unwrap_or(if c.client_secret.is_some() {
                AppTypeSpec::RegularWeb
            } else {
                AppTypeSpec::Spa
            });
            let credentials = usize::from(c.client_secret.is_some())
                + usize::from(c.public_key_pem.is_some())
                + usize::from(c.public_key_jwk.is_some());
            match (kind.confidential(), credentials) {
                (true, 0) => {
                    return Err(self.fail(format!(
                        "{at}: a regular_web or m2m client needs client_secret, public_key_pem \
                         or public_key_jwk"
                    )));
                }
                (_, 2..) => {
                    return Err(self.fail(format!(
                        "{at}: give one of client_secret, public_key_pem, public_key_jwk"
                    )));
                }
                (false, 1) => {
                    return Err(self.fail(format!(
                        "{at}: a spa or native client is public and takes no credentials"
                    )));
                }
                _ => {}
            }
            if let Some(jwk) = &c.public_key_jwk {
                crate::tenant::jwk_pem::jwk_to_pem(jwk)
                    .map_err(|why| self.fail(format!("{at}: public_key_jwk: {why}")))?;
            }
            if c.client_secret.as_deref() == Some("") {
                return Err(self.fail(format!("{at}: client_secret is empty")));
            }
            for url in c.callbacks.iter().chain(&c.logout_urls) {
                check_url(&at, url).map_err(|e| self.fail(e.message))?;
            }
            if let Some(uri) = &c.backchannel_logout_uri {
                check_url(&at, uri).map_err(|e| self.fail(e.message))?;
            }
            for g in c.grants.iter().flatten() {
                if !KNOWN_GRANT_TYPES.contains(&g.as_str()) {
                    return Err(self.fail(format!(
                        "{at}: unknown grant {g:?}; known grants: {}",
                        KNOWN_GRANT_TYPES.join(", ")
                    )));
                }
            }
            for g in &c.client_grants {
                if !apis.contains(g.audience.as_str()) {
                    return Err(self.fail(format!(
                        "{at}: client_grants names {:?}, which is not among apis",
                        g.audience
                    )));
                }
            }
        }
        let databases: HashSet<&str> = self
            .connections
            .database
            .iter()
            .map(String::as_str)
            .chain([DEFAULT_CONNECTION])
            .collect();
        let mut logins = HashSet::new();
        for u in &self.users {
            let login = match (&u.email, &u.username) {
                (Some(e), None) if e.contains('@') => e,
                (None, Some(n)) if !n.is_empty() => n,
                _ => {
                    return Err(self.fail(
                        "every user needs exactly one of email (with an @) or username".to_owned(),
                    ));
                }
            };
            let at = format!("user {login:?}");
            if !logins.insert(login.to_lowercase()) {
                return Err(self.fail(format!("{at} is declared twice")));
            }
            if u.password.is_empty() {
                return Err(self.fail(format!("{at}: password is empty")));
            }
            if let Some(conn) = &u.connection
                && !databases.contains(conn.as_str())
            {
                return Err(self.fail(format!(
                    "{at}: connection {conn:?} is not among connections.database"
                )));
            }
            if let Some(secret) = &u.totp_secret
                && !is_base32(secret)
            {
                return Err(self.fail(format!("{at}: totp_secret is not base32")));
            }
            self.check_permissions(&at, &u.permissions)?;
            for r in &u.roles {
                if !self.roles.iter().any(|role| role.name == *r) {
                    return Err(self.fail(format!("{at}: role {r:?} is not among roles")));
                }
            }
        }
        let mut role_names = HashSet::new();
        for r in &self.roles {
            let at = format!("role {:?}", r.name);
            if !role_names.insert(r.name.as_str()) {
                return Err(self.fail(format!("{at} is declared twice")));
            }
            self.check_permissions(&at, &r.permissions)?;
        }
        let mut org_ids = HashSet::new();
        for o in &self.organizations {
            let at = format!("organization {:?}", o.id);
            if !org_ids.insert(o.id.as_str()) {
                return Err(self.fail(format!("{at} is declared twice")));
            }
            for m in &o.members {
                if !self.users.iter().any(|u| u.login().eq_ignore_ascii_case(m)) {
                    return Err(self.fail(format!("{at}: member {m:?} is not among users")));
                }
            }
        }
        for s in &self.connections.social {
            for a in &s.accounts {
                if !self
                    .users
                    .iter()
                    .any(|u| u.login().eq_ignore_ascii_case(&a.user))
                {
                    return Err(self.fail(format!(
                        "connection {:?}: account user {:?} is not among users",
                        s.name, a.user
                    )));
                }
            }
        }
        Ok(())
    }

    /// Every permission must name an API of the file and a scope that API defines.
    fn check_permissions(
        &self,
        at: &str,
        permissions: &Permissions,
    ) -> Result<(), TenantFileError> {
        for (audience, list) in permissions {
            let Some(api) = self.apis.iter().find(|a| a.identifier == *audience) else {
                return Err(self.fail(format!(
                    "{at}: permissions name {audience:?}, which is not among apis"
                )));
            };
            if let Some(p) = list.iter().find(|p| !api.scopes.contains(p)) {
                return Err(self.fail(format!(
                    "{at}: permission {p:?} is not a scope of {audience:?}"
                )));
            }
        }
        Ok(())
    }

    /// Adds everything the file declares to `builder`. Settings the file leaves out keep the
    /// builder's values.
    ///
    /// # Errors
    /// As [`TenantFile::check`] (one-liners may have been added since loading).
    pub fn apply(self, mut builder: EmulatorBuilder) -> Result<EmulatorBuilder, TenantFileError> {
        self.check()?;
        if let Some(port) = self.port {
            builder = builder.port(port);
        }
        if let Some(issuer) = &self.issuer {
            builder = builder.issuer(issuer);
        }
        if let Some(alg) = self.signing_alg.as_deref().and_then(parse_alg) {
            builder = builder.token_signing_alg(alg);
        }
        if self.pushed_authorization_requests == Some(false) {
            builder = builder.without_par();
        }
        if self.end_session_endpoint == Some(false) {
            builder = builder.without_end_session_endpoint();
        }
        if let Some(on) = self.mtls_endpoint_aliases {
            builder = builder.mtls_endpoint_aliases(on);
        }
        if let Some(on) = self.dpop_nonce_required {
            builder = builder.dpop_nonce_required(on);
        }
        if let Some(secs) = self.ciba_interval {
            builder = builder.ciba_interval(secs);
        }
        if let Some(secs) = self.device_interval {
            builder = builder.device_interval(secs);
        }
        if let Some(p) = &self.passkey {
            builder = builder.passkey_rp(&p.rp_id, &p.origin);
        }
        builder = self.token_lifetimes.apply(builder);

        for api in &self.apis {
            let scopes: Vec<&str> = api.scopes.iter().map(String::as_str).collect();
            let mut config = ApiConfig::new(&api.identifier, &scopes).rbac_permissions(api.rbac);
            if let Some(allow) = api.allow_offline_access {
                config = config.offline_access(allow);
            }
            if let Some(secs) = api.token_lifetime {
                config = config.token_lifetime(secs);
            }
            builder = builder.api(config);
        }
        for o in &self.organizations {
            builder = builder.organization(OrganizationConfig::new(&o.id, &o.name));
        }
        let mut user_ids = Vec::new();
        for u in &self.users {
            let mut config = UserConfig::new(u.login(), &u.password);
            if let Some(id) = &u.user_id {
                config = config.user_id(id);
            }
            if let Some(name) = &u.name {
                config = config.name(name);
            }
            if let Some(conn) = &u.connection {
                config = config.connection(conn);
            }
            if u.mfa {
                config = config.require_mfa();
            }
            for o in &self.organizations {
                if o.members.iter().any(|m| m.eq_ignore_ascii_case(u.login())) {
                    config = config.organization(&o.id);
                }
            }
            let roles = self.roles.iter().filter(|r| u.roles.contains(&r.name));
            for permissions in std::iter::once(&u.permissions).chain(roles.map(|r| &r.permissions))
            {
                for (audience, list) in permissions {
                    let list: Vec<&str> = list.iter().map(String::as_str).collect();
                    config = config.permissions(audience, &list);
                }
            }
            if let Some(secret) = &u.totp_secret {
                builder = builder.mfa_otp_authenticator(config.id(), secret);
            }
            user_ids.push((u.login().to_lowercase(), config.id().to_owned()));
            builder = builder.user(config);
        }
        for c in &self.clients {
            builder = builder.client(c.to_config());
        }
        for e in &self.connections.enterprise {
            for d in &e.domains {
                builder = builder.enterprise_domain(d, &e.name);
            }
        }
        for s in &self.connections.social {
            let mut connection = FederatedConnection::new(&s.name);
            for a in &s.accounts {
                let user = a.user.to_lowercase();
                let Some((_, id)) = user_ids.iter().find(|(login, _)| *login == user) else {
                    continue; // `check` refused unknown users already
                };
                let scopes: Vec<&str> = a.scopes.iter().map(String::as_str).collect();
                connection =
                    connection.account(id, a.login_hint.as_deref(), &a.access_token, &scopes);
            }
            builder = builder.federated_connection(connection);
        }
        Ok(builder)
    }
}

impl Lifetimes {
    fn apply(&self, mut builder: EmulatorBuilder) -> EmulatorBuilder {
        if let Some(s) = self.id_token {
            builder = builder.id_token_lifetime(s);
        }
        if let Some(s) = self.access_token {
            builder = builder.access_token_lifetime(s);
        }
        if let Some(s) = self.authorization_code {
            builder = builder.authorization_code_lifetime(Duration::from_secs(s));
        }
        if let Some(s) = self.device_code {
            builder = builder.device_code_lifetime(Duration::from_secs(s));
        }
        if let Some(s) = self.passwordless_code {
            builder = builder.passwordless_code_lifetime(Duration::from_secs(s));
        }
        if let Some(s) = self.anonymous_token {
            builder = builder.anonymous_token_lifetime(s);
        }
        if let Some(s) = self.anonymous_session {
            builder = builder.anonymous_session_lifetime(s);
        }
        builder
    }
}

impl ClientSpec {
    fn to_config(&self) -> ClientConfig {
        // `check` has converted the JWK once already, so this does not fail.
        let jwk_pem = self
            .public_key_jwk
            .as_ref()
            .and_then(|jwk| crate::tenant::jwk_pem::jwk_to_pem(jwk).ok());
        let pem = self.public_key_pem.as_ref().or(jwk_pem.as_ref());
        let mut config = match (&self.client_secret, pem) {
            (Some(secret), _) => ClientConfig::confidential(&self.client_id, secret),
            (None, Some(pem)) => ClientConfig::private_key_jwt(&self.client_id, pem),
            (None, None) => ClientConfig::public(&self.client_id),
        };
        for url in &self.callbacks {
            config = config.callback(url);
        }
        for url in &self.logout_urls {
            config = config.logout_url(url);
        }
        if let Some(uri) = &self.backchannel_logout_uri {
            config = config.backchannel_logout_uri(uri);
        }
        if self.require_organization {
            config = config.require_organization();
        }
        for g in &self.client_grants {
            let scopes: Vec<&str> = g.scopes.iter().map(String::as_str).collect();
            config = config.grant_audience(&g.audience, &scopes);
        }
        match &self.grants {
            Some(grants) => {
                let grants: Vec<&str> = grants.iter().map(String::as_str).collect();
                config.grant_types(&grants)
            }
            None => {
                let kind = self.app_type.unwrap_or(if self.client_secret.is_some() {
                    AppTypeSpec::RegularWeb
                } else {
                    AppTypeSpec::Spa
                });
                config.default_grant_types_for(kind.app_type())
            }
        }
    }
}

fn parse_alg(alg: &str) -> Option<TokenSigningAlg> {
    match alg {
        "RS256" => Some(TokenSigningAlg::RS256),
        "ES256" => Some(TokenSigningAlg::ES256),
        _ => None,
    }
}

fn check_url(what: &str, value: &str) -> Result<(), TenantFileError> {
    match url::Url::parse(value) {
        Ok(u) if !u.cannot_be_a_base() => Ok(()),
        _ => Err(TenantFileError::new(format!(
            "{what}: {value:?} is not an absolute URL"
        ))),
    }
}

fn is_base32(s: &str) -> bool {
    !s.is_empty()
        && s.trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
issuer = "https://tenant.example.com/"
signing_alg = "ES256"

[token_lifetimes]
access_token = 600

[[clients]]
client_id = "web"
type = "regular_web"
client_secret = "web-secret"
callbacks = ["http://localhost:3000/callback"]
logout_urls = ["http://localhost:3000/"]
grants = ["authorization_code", "refresh_token", "password"]

[[clients.client_grants]]
audience = "https://api.example.com/"
scopes = ["read:things"]

[[clients]]
client_id = "spa"
type = "spa"

[[users]]
email = "jane@example.com"
password = "pw-jane-123"
name = "Jane"

[[apis]]
identifier = "https://api.example.com/"
scopes = ["read:things"]
rbac = true

[[organizations]]
id = "org_1"
name = "acme"
members = ["jane@example.com"]
"#;

    #[test]
    fn a_small_tenant_loads_and_applies() {
        let file = TenantFile::from_toml(SMALL).unwrap();
        assert!(file.has_clients());
        let spa = file.clients[1].to_config();
        assert!(spa.is_public());
        assert!(spa.allows_grant("authorization_code"));
        assert!(!spa.allows_grant("client_credentials"));
        let web = file.clients[0].to_config();
        assert!(web.allows_grant("password"));
        assert!(!web.allows_grant("client_credentials"));
        assert!(web.grant_for("https://api.example.com/").is_some());
        file.apply(EmulatorBuilder::default()).unwrap();
    }

    #[test]
    fn unknown_fields_are_refused_with_their_line() {
        let err = TenantFile::from_toml("[[clients]]\nclient_id = \"a\"\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        let err =
            TenantFile::from_json(r#"{"users": [{"email": "a@b.c", "password": "x", "age": 3}]}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("age") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn load_names_the_file() {
        let dir = std::env::temp_dir().join(format!("tenant-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.toml");
        std::fs::write(&path, "issuer = 3\n").unwrap();
        let err = TenantFile::load(&path).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
        assert!(err.contains("line 1"), "{err}");
        let missing = TenantFile::load(&dir.join("missing.toml"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("missing.toml") && missing.contains("cannot read"));
        let json = dir.join("t.json");
        std::fs::write(
            &json,
            r#"{"clients": [{"client_id": "x", "type": "native"}]}"#,
        )
        .unwrap();
        assert!(TenantFile::load(&json).unwrap().has_clients());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn semantic_errors_name_the_entry_and_hide_secrets() {
        let cases = [
            (
                "[[clients]]\nclient_id = \"m\"\ntype = \"m2m\"\n",
                "client \"m\": a regular_web or m2m client needs",
            ),
            (
                "[[clients]]\nclient_id = \"s\"\ntype = \"spa\"\nclient_secret = \"hush-123\"\n",
                "takes no credentials",
            ),
            (
                "[[clients]]\nclient_id = \"s\"\ngrants = [\"telepathy\"]\n",
                "unknown grant \"telepathy\"",
            ),
            (
                "[[clients]]\nclient_id = \"s\"\ncallbacks = [\"not a url\"]\n",
                "is not an absolute URL",
            ),
            (
                "[[organizations]]\nid = \"o\"\nname = \"n\"\nmembers = [\"ghost@x.y\"]\n",
                "member \"ghost@x.y\" is not among users",
            ),
            (
                "[[users]]\nemail = \"a@b.c\"\npassword = \"p\"\nconnection = \"other\"\n",
                "not among connections.database",
            ),
            ("signing_alg = \"HS256\"\n", "use \"RS256\" or \"ES256\""),
            (
                "[[users]]\nemail = \"a@b.c\"\npassword = \"p\"\nroles = [\"boss\"]\n",
                "role \"boss\" is not among roles",
            ),
            (
                "[[roles]]\nname = \"r\"\npermissions = { \"https://nowhere/\" = [\"x\"] }\n",
                "permissions name \"https://nowhere/\", which is not among apis",
            ),
            (
                "[[apis]]\nidentifier = \"a\"\nscopes = [\"read\"]\n[[users]]\nemail = \"a@b.c\"\npassword = \"p\"\npermissions = { a = [\"write\"] }\n",
                "permission \"write\" is not a scope of \"a\"",
            ),
            (
                "[[users]]\nusername = \"bob\"\nemail = \"a@b.c\"\npassword = \"p\"\n",
                "exactly one of email",
            ),
        ];
        for (text, expected) in cases {
            let err = TenantFile::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
            assert!(!err.contains("hush-123"));
        }
    }

    #[test]
    fn one_liners_add_clients_callbacks_and_users() {
        let mut file = TenantFile::from_toml(SMALL).unwrap();
        file.add_client_flag("cli:cli-secret").unwrap();
        file.add_callback_flag("http://localhost:9999/cb").unwrap();
        file.add_logout_url_flag("http://localhost:9999/").unwrap();
        file.add_user_flag("bob@example.com:pa:ss").unwrap();
        assert_eq!(file.clients[2].callbacks, ["http://localhost:9999/cb"]);
        assert_eq!(file.clients[0].callbacks.len(), 1, "file clients untouched");
        assert_eq!(file.users[1].password, "pa:ss");
        assert!(file.add_client_flag("cli").is_err(), "duplicate");
        assert!(file.add_user_flag("nopassword").is_err());
        assert!(file.add_client_flag(":x").is_err());

        let mut only_file = TenantFile::from_toml(SMALL).unwrap();
        only_file
            .add_callback_flag("http://localhost:1/cb")
            .unwrap();
        assert!(
            only_file
                .clients
                .iter()
                .all(|c| c.callbacks.contains(&"http://localhost:1/cb".to_owned()))
        );

        let mut empty = TenantFile::empty();
        let err = empty
            .add_callback_flag("http://localhost:1/cb")
            .unwrap_err();
        assert!(err.to_string().contains("--client"));
        empty.add_client_flag("pub").unwrap();
        assert!(empty.clients[0].to_config().is_public());
    }

    #[test]
    fn clients_may_register_a_jwk() {
        let key = crate::tenant::keys::SigningKey::generate_ec().unwrap();
        let text = serde_json::json!({"clients": [
            {"client_id": "k", "type": "m2m", "public_key_jwk": key.jwk()}
        ]})
        .to_string();
        let file = TenantFile::from_json(&text).unwrap();
        let config = file.clients[0].to_config();
        assert_eq!(
            config.auth,
            crate::tenant::config::ClientAuthMethod::PrivateKeyJwt(key.public_key_pem().to_owned())
        );
        let bad =
            r#"{"clients": [{"client_id": "k", "type": "m2m", "public_key_jwk": {"kty": "oct"}}]}"#;
        let err = TenantFile::from_json(bad).unwrap_err().to_string();
        assert!(
            err.contains("client \"k\": public_key_jwk: the JWK's kty"),
            "{err}"
        );
        let both =
            r#"{"clients": [{"client_id": "k", "client_secret": "s", "public_key_pem": "p"}]}"#;
        assert!(
            TenantFile::from_json(both)
                .unwrap_err()
                .to_string()
                .contains("give one of")
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let mut file = TenantFile::from_toml(SMALL).unwrap();
        file.add_user_flag("x@y.z:pw-secret-xyz").unwrap();
        let shown = format!("{file:?}");
        assert!(!shown.contains("web-secret"));
        assert!(!shown.contains("pw-secret-xyz"));
        assert!(!shown.contains("pw-jane-123"));
    }
}
