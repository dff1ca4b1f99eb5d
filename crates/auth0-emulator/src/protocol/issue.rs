//! Minting tokens: access tokens, ID tokens and refresh tokens, and the token response that
//! carries them. Every grant ends here, so tokens look the same whichever way they were earned.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::tenant::config::{ApiConfig, OrganizationConfig, UserConfig};
use crate::tenant::error::OAuthError;
use crate::tenant::state::{RefreshGrant, Shared, now_secs, random_token};

/// Scopes any user login may carry whatever the audience.
const OIDC_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// A successful token-endpoint answer.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// The ID token, for OpenID logins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The refresh token, when `offline_access` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Granted scopes, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
    /// Always `Bearer`.
    pub token_type: String,
    /// Members later grants add (`issued_token_type`, `recovery_code`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who an access token is about.
pub(crate) enum Subject<'a> {
    /// A user, logged in through a user grant.
    User(&'a UserConfig),
    /// The client itself (`client_credentials`).
    Client,
}

/// What an access token says.
pub(crate) struct AccessToken<'a> {
    /// The client it is issued to (`azp`).
    pub client_id: &'a str,
    /// Its subject.
    pub subject: Subject<'a>,
    /// The API, if any.
    pub audience: Option<&'a str>,
    /// Granted scopes.
    pub scopes: &'a [String],
    /// `gty`: how it was obtained.
    pub gty: &'a str,
    /// The organization, if any.
    pub organization: Option<&'a OrganizationConfig>,
}

/// Signs an access token; returns it with its lifetime.
pub(crate) fn access_token(
    shared: &Shared,
    spec: &AccessToken<'_>,
) -> Result<(String, u64), OAuthError> {
    let tenant = &shared.tenant;
    let lifetime = tenant.access_lifetime(spec.audience);
    let now = now_secs();
    let (sub, is_user) = match spec.subject {
        Subject::User(user) => (user.user_id.clone(), true),
        Subject::Client => (format!("{}@clients", spec.client_id), false),
    };
    let mut auds: Vec<String> = spec.audience.map(str::to_owned).into_iter().collect();
    if is_user && (auds.is_empty() || spec.scopes.iter().any(|s| s == "openid")) {
        auds.push(tenant.url("userinfo"));
    }
    let aud = if auds.len() == 1 {
        Value::from(auds.remove(0))
    } else {
        Value::from(auds)
    };
    let mut claims = json!({
        "iss": tenant.issuer,
        "sub": sub,
        "aud": aud,
        "iat": now,
        "exp": now.saturating_add(lifetime),
        "scope": spec.scopes.join(" "),
        "azp": spec.client_id,
        "gty": spec.gty,
        "jti": random_token(16),
    });
    if let Some(org) = spec.organization {
        claims["org_id"] = Value::from(org.id.as_str());
    }
    let user = match spec.subject {
        Subject::User(user) => Some(user),
        Subject::Client => None,
    };
    crate::tenant::rbac::add_permissions(tenant, spec.audience, spec.scopes, user, &mut claims);
    Ok((shared.sign(&claims)?, lifetime))
}

/// A user's login session, which ID tokens describe.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The session id (`sid`).
    pub sid: String,
    /// When the user authenticated (`auth_time`).
    pub auth_time: u64,
    /// The organization logged in to.
    pub organization: Option<OrganizationConfig>,
    /// The `nonce` of the authorization request.
    pub nonce: Option<String>,
}

impl Session {
    /// A session starting now.
    pub(crate) fn start(organization: Option<OrganizationConfig>) -> Self {
        Self {
            sid: random_token(24),
            auth_time: now_secs(),
            organization,
            nonce: None,
        }
    }
}

/// Signs an ID token for `user` (profile and email claims as `scopes` allow), unless a test set
/// the next ID token to a literal.
pub(crate) fn id_token(
    shared: &Shared,
    client_id: &str,
    user: &UserConfig,
    scopes: &[String],
    session: &Session,
) -> Result<String, OAuthError> {
    if let Some(literal) = shared.store().next_id_token.take() {
        return Ok(literal);
    }
    let tenant = &shared.tenant;
    let now = now_secs();
    let mut claims = json!({
        "iss": tenant.issuer,
        "sub": user.user_id,
        "aud": client_id,
        "azp": client_id,
        "iat": now,
        "exp": now.saturating_add(tenant.id_token_lifetime),
        "sid": session.sid,
        "auth_time": session.auth_time,
    });
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile") {
        let nickname = user.nickname();
        let initials: String = nickname
            .chars()
            .take(2)
            .flat_map(char::to_lowercase)
            .collect();
        claims["name"] = Value::from(user.display_name());
        claims["nickname"] = Value::from(nickname);
        claims["picture"] = Value::from(format!("https://cdn.auth0.com/avatars/{initials}.png"));
        claims["updated_at"] = Value::from(iso8601(tenant.started_at));
    }
    if has("email")
        && let Some(email) = &user.email
    {
        claims["email"] = Value::from(email.as_str());
        claims["email_verified"] = Value::from(true);
    }
    if let Some(org) = &session.organization {
        claims["org_id"] = Value::from(org.id.as_str());
        claims["org_name"] = Value::from(org.name.as_str());
    }
    if let Some(nonce) = &session.nonce {
        claims["nonce"] = Value::from(nonce.as_str());
    }
    shared.sign(&claims)
}

/// The scopes a user login gets: OpenID scopes plus those the API defines; `offline_access`
/// only when the API allows it.
pub(crate) fn user_scopes(requested: &[String], api: Option<&ApiConfig>) -> Vec<String> {
    requested
        .iter()
        .filter(|s| match api {
            Some(api) if s.as_str() == "offline_access" => api.offline_access,
            Some(api) => OIDC_SCOPES.contains(&s.as_str()) || api.scopes.contains(s),
            None => OIDC_SCOPES.contains(&s.as_str()),
        })
        .cloned()
        .collect()
}

/// What a user grant hands to [`user_tokens`].
pub(crate) struct UserLogin<'a> {
    /// The client.
    pub client_id: &'a str,
    /// The user.
    pub user: &'a UserConfig,
    /// The API, if any.
    pub audience: Option<&'a str>,
    /// Granted scopes (already filtered with [`user_scopes`]).
    pub scopes: Vec<String>,
    /// `gty` of the access token.
    pub gty: &'a str,
    /// The login session.
    pub session: Session,
    /// Whether a refresh token may be issued (false when refreshing: tokens are not rotated).
    pub may_issue_refresh: bool,
}

/// Mints the access token, the ID token (for `openid`) and the refresh token (for
/// `offline_access`) of a user login.
pub(crate) fn user_tokens(
    shared: &Shared,
    mut login: UserLogin<'_>,
) -> Result<TokenResponse, OAuthError> {
    crate::tenant::rbac::restrict_user_scopes(
        &shared.tenant,
        login.user,
        login.audience,
        &mut login.scopes,
    );
    let has = |s: &str| login.scopes.iter().any(|x| x == s);
    let (access_token, expires_in) = access_token(
        shared,
        &AccessToken {
            client_id: login.client_id,
            subject: Subject::User(login.user),
            audience: login.audience,
            scopes: &login.scopes,
            gty: login.gty,
            organization: login.session.organization.as_ref(),
        },
    )?;
    let id_token = if has("openid") {
        Some(id_token(
            shared,
            login.client_id,
            login.user,
            &login.scopes,
            &login.session,
        )?)
    } else {
        None
    };
    let refresh_token = if login.may_issue_refresh && has("offline_access") {
        let token = random_token(32);
        let grant = RefreshGrant {
            client_id: login.client_id.to_owned(),
            user_id: login.user.user_id.clone(),
            scopes: login.scopes.clone(),
            audience: login.audience.map(str::to_owned),
            organization: login.session.organization.as_ref().map(|o| o.id.clone()),
            sid: login.session.sid.clone(),
            auth_time: login.session.auth_time,
            revoked: false,
        };
        let mut store = shared.store();
        store.refresh_tokens.insert(token.clone(), grant);
        store.refresh_tokens_issued += 1;
        Some(token)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        id_token,
        refresh_token,
        scope: Some(login.scopes.join(" ")).filter(|s| !s.is_empty()),
        expires_in,
        token_type: "Bearer".to_owned(),
        extra: Map::new(),
    })
}

/// `YYYY-MM-DDTHH:MM:SS.000Z` for Unix seconds.
///
/// Hand-written on purpose: one fixed format of a UTC time; a date crate (`time`, `chrono`)
/// would be a dependency for these few lines.
pub(crate) fn iso8601(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian), after Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20.000Z");
    }

    #[test]
    fn scopes_follow_the_api() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let api = ApiConfig::new("a", &["read"]).offline_access(false);
        assert_eq!(
            user_scopes(
                &s(&["openid", "read", "write", "offline_access"]),
                Some(&api)
            ),
            s(&["openid", "read"])
        );
        assert_eq!(
            user_scopes(&s(&["openid", "read", "offline_access"]), None),
            s(&["openid", "offline_access"])
        );
    }
}
