//! What the passwordless, CIBA and token-exchange flows share: their configuration
//! ([`FlowConfig`], part of the fixed tenant), their runtime state ([`FlowState`], part of the
//! store), users created while the tenant runs, and token helpers (verifying a JWT this tenant
//! signed, adding claims to one).

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::tenant::ciba::CibaState;
use crate::tenant::config::{OrganizationConfig, UserConfig};
use crate::tenant::error::OAuthError;
use crate::tenant::exchange_config::{FederatedConnection, TokenExchangeProfile};
use crate::tenant::passwordless::PasswordlessState;
use crate::tenant::state::{Shared, random_token};

/// Configuration of the flows, set on the builder and fixed once the tenant starts.
#[derive(Debug, Clone)]
pub(crate) struct FlowConfig {
    /// How long a passwordless code (and magic link) stays usable.
    pub passwordless_code_lifetime: Duration,
    /// The CIBA poll interval announced by `/bc-authorize`, in seconds.
    pub ciba_interval: u64,
    /// RFC 8693 token exchange profiles (one per subject token type).
    pub exchange_profiles: Vec<TokenExchangeProfile>,
    /// Token Vault connections.
    pub federated_connections: Vec<FederatedConnection>,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            passwordless_code_lifetime: Duration::from_secs(300),
            ciba_interval: 5,
            exchange_profiles: Vec::new(),
            federated_connections: Vec::new(),
        }
    }
}

impl FlowConfig {
    /// The token exchange profile for `subject_token_type`.
    pub(crate) fn profile(&self, subject_token_type: &str) -> Option<&TokenExchangeProfile> {
        self.exchange_profiles
            .iter()
            .find(|p| p.subject_token_type == subject_token_type)
    }

    /// The Token Vault connection named `name`.
    pub(crate) fn federated_connection(&self, name: &str) -> Option<&FederatedConnection> {
        self.federated_connections.iter().find(|c| c.name == name)
    }
}

/// What the flows remember while the tenant runs.
#[derive(Debug, Default)]
pub(crate) struct FlowState {
    /// Users created at run time (first passwordless login, token-exchange subjects).
    pub users: Vec<UserConfig>,
    /// Passwordless codes, magic links and sent messages.
    pub passwordless: PasswordlessState,
    /// Back-channel authentication requests.
    pub ciba: CibaState,
}

/// 24 hex digits derived from `text`, so generated ids are the same on every run.
pub(crate) fn stable_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Shared {
    /// The user with id `user_id`: a configured one, or one created while the tenant runs.
    pub(crate) fn user_by_id(&self, user_id: &str) -> Option<UserConfig> {
        if let Some(user) = self.tenant.user(user_id) {
            return Some(user.clone());
        }
        self.store()
            .flows
            .users
            .iter()
            .find(|u| u.user_id == user_id)
            .cloned()
    }

    /// The user of passwordless connection `connection` (`email` or `sms`) reached at
    /// `recipient`: a configured user of that connection, else one created now (first login)
    /// with id `email|<hex>` or `sms|<hex>`.
    pub(crate) fn passwordless_user(&self, connection: &str, recipient: &str) -> UserConfig {
        if let Some(user) = self
            .tenant
            .users
            .iter()
            .find(|u| u.connection == connection && u.matches_login(recipient))
        {
            return user.clone();
        }
        let mut store = self.store();
        if let Some(user) = store
            .flows
            .users
            .iter()
            .find(|u| u.connection == connection && u.matches_login(recipient))
        {
            return user.clone();
        }
        // Emails are kept lower-case, as Auth0 does; phone numbers as given.
        let login = if connection == "email" {
            recipient.to_lowercase()
        } else {
            recipient.to_owned()
        };
        let hex = stable_hex(&format!("{connection}:{login}"));
        let user = UserConfig::new(&login, &random_token(24))
            .connection(connection)
            .user_id(&format!("{connection}|{hex}"));
        store.flows.users.push(user.clone());
        user
    }

    /// The user `user_id`, created (with no email and an unusable password) when it is neither
    /// configured nor known yet; for token-exchange profiles that map a token to any user id.
    pub(crate) fn ensure_user(&self, user_id: &str) -> UserConfig {
        if let Some(user) = self.user_by_id(user_id) {
            return user;
        }
        let user = UserConfig::new(user_id, &random_token(24)).user_id(user_id);
        self.store().flows.users.push(user.clone());
        user
    }
}

/// Verifies a JWT signed by this tenant (any key still in its JWKS, RS256 or ES256): signature,
/// `iss` and, when present, `exp`. Returns its claims, or `None` for anything else.
pub(crate) fn verify_tenant_jwt(shared: &Shared, token: &str) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return None;
    }
    let jwks: JwkSet = serde_json::from_value(shared.keys().jwks()).ok()?;
    let jwk = jwks.find(header.kid.as_deref()?)?;
    let key = DecodingKey::from_jwk(jwk).ok()?;
    let mut validation = Validation::new(header.alg);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[shared.tenant.issuer.as_str()]);
    validation.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()
        .map(|data| data.claims)
}

/// `jwt` with `extra` claims added (or replaced), signed again with the current key.
pub(crate) fn add_claims(
    shared: &Shared,
    jwt: &str,
    extra: &Map<String, Value>,
) -> Result<String, OAuthError> {
    let mut claims = jsonwebtoken::dangerous::insecure_decode_claims::<Value>(jwt)
        .map_err(|_| OAuthError::server_error("The emulator could not re-read a token it made."))?;
    let Some(object) = claims.as_object_mut() else {
        return Err(OAuthError::server_error(
            "The emulator made a token whose claims are not an object.",
        ));
    };
    object.extend(extra.clone());
    shared.sign(&claims)
}

/// The organization named by `wanted` (id, or name case-insensitively), or
/// `400 invalid_request "Organization not found"`.
pub(crate) fn find_organization<'a>(
    shared: &'a Shared,
    wanted: &str,
) -> Result<&'a OrganizationConfig, OAuthError> {
    let orgs = &shared.tenant.organizations;
    orgs.get(wanted)
        .or_else(|| orgs.values().find(|o| o.name.eq_ignore_ascii_case(wanted)))
        .ok_or_else(|| OAuthError::invalid_request(format!("Organization not found: {wanted}")))
}
