//! Passkeys (`client.passkey()`): request a sign-up or login challenge, hand its options to
//! the browser's `navigator.credentials.create()` / `.get()`, and exchange the credential the
//! browser returns for tokens.
//!
//! The option and credential types serialise exactly as WebAuthn's JSON forms
//! (`PublicKeyCredentialCreationOptionsJSON`, `PublicKeyCredentialRequestOptionsJSON`,
//! `PublicKeyCredential.toJSON()`), so a web app can pass them straight through.

use reqwest::Method;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, Result};
use crate::grants::required;
use crate::http::Request;
use crate::id_token::{IdTokenExpectations, check_organization_input};
use crate::token::{TokenRequest, TokenResponse};
use crate::values::{AuthSession, UserMetadata};

/// The passkey grant type.
pub const PASSKEY_GRANT: &str = "urn:okta:params:oauth:grant-type:webauthn";

/// The profile of a user signing up with a passkey.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PasskeyUserProfile {
    /// Email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Picture URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

impl PasskeyUserProfile {
    /// An empty profile; add at least the identifier the connection uses (usually the email).
    ///
    /// ```
    /// use auth0_auth::PasskeyUserProfile;
    ///
    /// let profile = PasskeyUserProfile::new().email("jane@example.com").name("Jane Doe");
    /// assert_eq!(profile.email.as_deref(), Some("jane@example.com"));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Full name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Phone number.
    pub fn phone_number(mut self, phone_number: impl Into<String>) -> Self {
        self.phone_number = Some(phone_number.into());
        self
    }

    /// Username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Given name.
    pub fn given_name(mut self, given_name: impl Into<String>) -> Self {
        self.given_name = Some(given_name.into());
        self
    }

    /// Family name.
    pub fn family_name(mut self, family_name: impl Into<String>) -> Self {
        self.family_name = Some(family_name.into());
        self
    }

    /// Nickname.
    pub fn nickname(mut self, nickname: impl Into<String>) -> Self {
        self.nickname = Some(nickname.into());
        self
    }

    /// Picture URL.
    pub fn picture(mut self, picture: impl Into<String>) -> Self {
        self.picture = Some(picture.into());
        self
    }
}

/// A passkey sign-up.
#[derive(Clone, Debug, Default)]
pub struct PasskeyRegisterRequest {
    profile: PasskeyUserProfile,
    realm: Option<String>,
    organization: Option<String>,
    user_metadata: Option<UserMetadata>,
}

impl PasskeyRegisterRequest {
    /// Signs up a user with this profile.
    pub fn new(profile: PasskeyUserProfile) -> Self {
        Self {
            profile,
            ..Self::default()
        }
    }

    /// The database connection.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The organization.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Metadata stored on the new user (string values, within the sign-up limits of
    /// [`UserMetadata`]).
    pub fn user_metadata(mut self, metadata: UserMetadata) -> Self {
        self.user_metadata = Some(metadata);
        self
    }
}

/// A passkey login challenge: optional connection and organization.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::PasskeyChallengeRequest;
///
/// let challenge = client
///     .passkey()
///     .challenge(PasskeyChallengeRequest::new().realm("Username-Password-Authentication"))
///     .await?;
/// // hand challenge.authn_params_public_key to navigator.credentials.get()
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct PasskeyChallengeRequest {
    realm: Option<String>,
    organization: Option<String>,
}

impl PasskeyChallengeRequest {
    /// The tenant's default passkey connection, no organization.
    pub fn new() -> Self {
        Self::default()
    }

    /// The database connection.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The organization (id or name).
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// A WebAuthn relying party.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP id (a domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A display name.
    pub name: String,
}

/// The WebAuthn user entity of a sign-up.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyUser {
    /// The user handle (base64url).
    pub id: String,
    /// The account name.
    pub name: String,
    /// The display name.
    #[serde(default)]
    pub display_name: String,
}

/// One acceptable credential algorithm.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CredentialParameter {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A COSE algorithm number (-7 for ES256, -257 for RS256).
    pub alg: i64,
}

/// Options for `navigator.credentials.create()` (sign-up).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyCreationOptions {
    /// The challenge (base64url).
    pub challenge: String,
    /// The relying party.
    pub rp: RelyingParty,
    /// The user.
    pub user: PasskeyUser,
    /// Acceptable algorithms.
    pub pub_key_cred_params: Vec<CredentialParameter>,
    /// Authenticator requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_selection: Option<Value>,
    /// Milliseconds the browser should wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Any other option the tenant sent, passed through untouched.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Options for `navigator.credentials.get()` (login).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyRequestOptions {
    /// The challenge (base64url).
    pub challenge: String,
    /// The relying party id.
    pub rp_id: String,
    /// Milliseconds the browser should wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// `required`, `preferred` or `discouraged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<String>,
    /// Any other option the tenant sent, passed through untouched.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A sign-up challenge.
#[derive(Clone, Debug, Deserialize)]
pub struct PasskeySignupChallenge {
    /// The session to send back with the credential.
    pub auth_session: AuthSession,
    /// The options for `navigator.credentials.create()`.
    pub authn_params_public_key: PasskeyCreationOptions,
}

/// A login challenge.
#[derive(Clone, Debug, Deserialize)]
pub struct PasskeyLoginChallenge {
    /// The session to send back with the credential.
    pub auth_session: AuthSession,
    /// The options for `navigator.credentials.get()`.
    pub authn_params_public_key: PasskeyRequestOptions,
}

/// The authenticator's response inside a [`PasskeyCredential`] (attestation on sign-up,
/// assertion on login), all binary fields base64url.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyCredentialResponse {
    /// The client data JSON the browser built.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// Sign-up: the attestation object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_object: Option<String>,
    /// Login: the authenticator data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_data: Option<String>,
    /// Login: the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Login: the user handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_handle: Option<String>,
    /// Sign-up: the transports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
    /// Anything else the browser sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A credential as the browser's `PublicKeyCredential.toJSON()` serialises it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyCredential {
    /// The credential id (base64url).
    pub id: String,
    /// The raw credential id (base64url).
    pub raw_id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `platform` or `cross-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// The authenticator's response.
    pub response: PasskeyCredentialResponse,
    /// Extension results.
    #[serde(default)]
    pub client_extension_results: Map<String, Value>,
}

/// A passkey credential to exchange for tokens.
#[derive(Clone, Debug)]
pub struct PasskeyTokenRequest {
    auth_session: AuthSession,
    credential: PasskeyCredential,
    realm: Option<String>,
    scope: Option<String>,
    audience: Option<String>,
    organization: Option<String>,
}

impl PasskeyTokenRequest {
    /// The `auth_session` of the challenge and the credential the browser returned.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient, challenge: auth0_auth::PasskeyLoginChallenge, credential: auth0_auth::PasskeyCredential) -> auth0_auth::Result<()> {
    /// use auth0_auth::PasskeyTokenRequest;
    ///
    /// let tokens = client
    ///     .passkey()
    ///     .get_token_by_passkey(
    ///         PasskeyTokenRequest::new(challenge.auth_session.clone(), credential).scope("openid"),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn new(auth_session: AuthSession, credential: PasskeyCredential) -> Self {
        Self {
            auth_session,
            credential,
            realm: None,
            scope: None,
            audience: None,
            organization: None,
        }
    }

    /// The database connection.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The requested scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The API the access token is for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The organization (id or name); a returned ID token's organization is checked.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// The passkey API of a client: see [`AuthClient::passkey`].
#[derive(Clone, Copy, Debug)]
pub struct Passkey<'a> {
    client: &'a AuthClient,
}

impl AuthClient {
    /// The passkey API.
    pub fn passkey(&self) -> Passkey<'_> {
        Passkey { client: self }
    }
}

impl Passkey<'_> {
    /// POSTs a challenge request. The body carries `client_id`, and `client_secret` whenever
    /// the client has one and does not use mTLS (as the reference SDK sends it; Auth0 requires
    /// it of confidential `client_secret_post` applications).
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        mut body: Map<String, Value>,
        code: ErrorCode,
        endpoint: &'static str,
    ) -> Result<T> {
        let inner = &self.client.inner;
        body.insert("client_id".into(), inner.client_id.clone().into());
        if let Some(secret) = inner.auth.secret() {
            body.insert("client_secret".into(), secret.expose_secret().into());
        }
        let url = inner
            .base
            .join(path)
            .map_err(|_| Error::invalid_input(code, "the passkey path cannot be built"))?;
        self.client
            .send(Request::new(Method::POST, url, code, endpoint).json(&Value::Object(body)))
            .await?
            .json()
    }

    /// Requests a sign-up challenge (`POST /passkey/register`); works for public clients.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::{PasskeyRegisterRequest, PasskeyUserProfile, UserMetadata};
    ///
    /// let challenge = client
    ///     .passkey()
    ///     .register(
    ///         PasskeyRegisterRequest::new(PasskeyUserProfile::new().email("jane@example.com"))
    ///             .user_metadata(UserMetadata::new().insert("plan", "pro")),
    ///     )
    ///     .await?;
    /// // hand challenge.authn_params_public_key to navigator.credentials.create()
    /// # Ok(()) }
    /// ```
    pub async fn register(
        &self,
        request: PasskeyRegisterRequest,
    ) -> Result<PasskeySignupChallenge> {
        let code = ErrorCode::PasskeyRegister;
        check_organization_input(request.organization.as_deref(), code)?;
        let metadata = match request.user_metadata {
            Some(metadata) => Some(
                metadata
                    .check_sign_up_limits()
                    .map(|()| metadata.to_json())
                    .map_err(|why| Error::invalid_input(code, why))?,
            ),
            None => None,
        };
        let mut body = Map::new();
        body.insert(
            "user_profile".into(),
            serde_json::to_value(&request.profile).unwrap_or_default(),
        );
        if let Some(realm) = request.realm {
            body.insert("realm".into(), realm.into());
        }
        if let Some(org) = request.organization {
            body.insert("organization".into(), org.into());
        }
        if let Some(metadata) = metadata {
            body.insert("user_metadata".into(), metadata);
        }
        self.post(
            "passkey/register",
            body,
            code,
            "the passkey register endpoint",
        )
        .await
    }

    /// Requests a login challenge (`POST /passkey/challenge`); works for public clients. See
    /// [`PasskeyChallengeRequest`].
    pub async fn challenge(
        &self,
        request: PasskeyChallengeRequest,
    ) -> Result<PasskeyLoginChallenge> {
        let code = ErrorCode::PasskeyChallenge;
        check_organization_input(request.organization.as_deref(), code)?;
        let mut body = Map::new();
        if let Some(realm) = request.realm {
            body.insert("realm".into(), realm.into());
        }
        if let Some(org) = request.organization {
            body.insert("organization".into(), org.into());
        }
        self.post(
            "passkey/challenge",
            body,
            code,
            "the passkey challenge endpoint",
        )
        .await
    }

    /// Exchanges the browser's credential for tokens (the passkey grant, sent as JSON with
    /// `authn_response` as a nested object). Needs a confidential client; `mfa_required`
    /// surfaces as for every grant.
    pub async fn get_token_by_passkey(
        &self,
        request: PasskeyTokenRequest,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::PasskeyGetToken;
        required(
            request.auth_session.expose_secret(),
            "the auth_session",
            code,
        )?;
        check_organization_input(request.organization.as_deref(), code)?;
        let credential = serde_json::to_value(&request.credential)
            .map_err(|_| Error::invalid_input(code, "the credential cannot be serialised"))?;
        let mut grant = TokenRequest::new(code, PASSKEY_GRANT)
            .confidential()
            .param("auth_session", request.auth_session.expose_secret())
            .param("authn_response", credential)
            .opt("realm", request.realm)
            .opt("scope", request.scope)
            .opt("audience", request.audience)
            .opt("organization", request.organization.clone());
        grant.json_body = true;
        grant.expect = IdTokenExpectations {
            organization: request.organization,
            ..Default::default()
        };
        self.client.request_token(grant).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_credential_round_trips_unchanged() {
        let browser = serde_json::json!({
            "id": "abc", "rawId": "abc", "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
                "authenticatorData": "AAAA", "signature": "MEUC", "userHandle": "dXNlcg",
                "futureField": 1
            },
            "clientExtensionResults": {}
        });
        let credential: PasskeyCredential = serde_json::from_value(browser.clone()).unwrap();
        assert_eq!(serde_json::to_value(&credential).unwrap(), browser);
    }

    #[test]
    fn creation_options_keep_unknown_fields_for_the_browser() {
        let options = serde_json::json!({
            "challenge": "Y2g", "rp": {"id": "login.example.com", "name": "Example"},
            "user": {"id": "dQ", "name": "jane@example.com", "displayName": "Jane"},
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
            "timeout": 60000, "attestation": "none"
        });
        let parsed: PasskeyCreationOptions = serde_json::from_value(options.clone()).unwrap();
        assert_eq!(parsed.pub_key_cred_params[0].alg, -7);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), options);
    }

    #[test]
    fn the_profile_serialises_only_what_is_set() {
        let p = PasskeyUserProfile::new().email("a@b.c").given_name("A");
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"email": "a@b.c", "given_name": "A"})
        );
    }
}
