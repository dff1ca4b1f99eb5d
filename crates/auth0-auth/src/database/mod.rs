//! Database connections (`client.database()`): sign users up and send password-change emails.
//! Both endpoints are public: only `client_id` is sent, never a secret.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::grants::required;
use crate::http::Request;
use crate::values::{Connection, UserMetadata};

/// A sign-up on a database connection.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::{Connection, SignUpRequest, UserMetadata};
///
/// let db = Connection::new("Username-Password-Authentication");
/// let user = client
///     .database()
///     .sign_up(
///         SignUpRequest::new(db, "new@example.com", "a long passphrase".into())
///             .given_name("Ada")
///             .user_metadata(UserMetadata::new().insert("plan", "pro")),
///     )
///     .await?;
/// println!("created {:?}", user.id);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SignUpRequest {
    email: String,
    password: SecretString,
    connection: Connection,
    fields: Map<String, Value>,
    user_metadata: Option<UserMetadata>,
}

impl SignUpRequest {
    /// Signs up `email` with `password` on the database `connection`.
    pub fn new(connection: Connection, email: impl Into<String>, password: SecretString) -> Self {
        Self {
            email: email.into(),
            password,
            connection,
            fields: Map::new(),
            user_metadata: None,
        }
    }

    fn field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(name.to_string(), value.into());
        self
    }

    /// A username (for connections that require one).
    pub fn username(self, username: impl Into<String>) -> Self {
        self.field("username", username.into())
    }

    /// Given name.
    pub fn given_name(self, name: impl Into<String>) -> Self {
        self.field("given_name", name.into())
    }

    /// Family name.
    pub fn family_name(self, name: impl Into<String>) -> Self {
        self.field("family_name", name.into())
    }

    /// Full name.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.field("name", name.into())
    }

    /// Nickname.
    pub fn nickname(self, nickname: impl Into<String>) -> Self {
        self.field("nickname", nickname.into())
    }

    /// Picture URL.
    pub fn picture(self, url: impl Into<String>) -> Self {
        self.field("picture", url.into())
    }

    /// Metadata stored on the user (string values, within the sign-up limits of
    /// [`UserMetadata`]: more fails with an `InvalidInput` error before any request).
    pub fn user_metadata(mut self, metadata: UserMetadata) -> Self {
        self.user_metadata = Some(metadata);
        self
    }
}

/// The user a sign-up created.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedUpUser {
    /// The user id (from `_id`, `user_id` or `id`, whichever the server sent).
    pub id: Option<String>,
    /// Email address.
    pub email: String,
    /// Whether the email is verified.
    pub email_verified: bool,
    /// Everything the server answered.
    pub raw: Map<String, Value>,
}

/// A password change: who, and on which connection.
#[derive(Clone, Debug)]
pub struct ChangePasswordRequest {
    connection: Connection,
    email: Option<String>,
    username: Option<String>,
    organization: Option<String>,
}

impl ChangePasswordRequest {
    /// Sends `email` a password-change link for its account on `connection`.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::{ChangePasswordRequest, Connection};
    ///
    /// let db = Connection::new("Username-Password-Authentication");
    /// let answer = client
    ///     .database()
    ///     .change_password(ChangePasswordRequest::email(db, "jane@example.com"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn email(connection: Connection, email: impl Into<String>) -> Self {
        Self {
            connection,
            email: Some(email.into()),
            username: None,
            organization: None,
        }
    }

    /// For username-only connections.
    pub fn username(connection: Connection, username: impl Into<String>) -> Self {
        Self {
            connection,
            email: None,
            username: Some(username.into()),
            organization: None,
        }
    }

    /// The organization whose branding the email uses.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// The database-connection API of a client: see [`AuthClient::database`].
#[derive(Clone, Copy, Debug)]
pub struct Database<'a> {
    client: &'a AuthClient,
}

impl AuthClient {
    /// Database-connection sign-up and password change.
    pub fn database(&self) -> Database<'_> {
        Database { client: self }
    }
}

#[derive(Deserialize)]
struct SignUpAnswer(Map<String, Value>);

impl Database<'_> {
    fn url(&self, path: &str, code: ErrorCode) -> Result<url::Url> {
        self.client
            .inner
            .base
            .join(path)
            .map_err(|_| Error::invalid_input(code, "the database path cannot be built"))
    }

    /// Creates a user (`POST /dbconnections/signup`).
    pub async fn sign_up(&self, request: SignUpRequest) -> Result<SignedUpUser> {
        let code = ErrorCode::SignUp;
        required(&request.email, "the email", code)?;
        required(request.password.expose_secret(), "the password", code)?;
        required(request.connection.as_str(), "the connection", code)?;
        let metadata = match &request.user_metadata {
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
            "client_id".into(),
            self.client.inner.client_id.clone().into(),
        );
        body.insert("email".into(), request.email.into());
        body.insert("password".into(), request.password.expose_secret().into());
        body.insert("connection".into(), request.connection.as_str().into());
        body.extend(request.fields);
        if let Some(metadata) = metadata {
            body.insert("user_metadata".into(), metadata);
        }
        let http = Request::new(
            Method::POST,
            self.url("dbconnections/signup", code)?,
            code,
            "the sign-up endpoint",
        )
        .json(&Value::Object(body));
        let SignUpAnswer(raw) = self.client.send(http).await?.json()?;
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(String::from);
        let id = text("_id")
            .or_else(|| text("user_id"))
            .or_else(|| text("id"));
        let email = text("email").ok_or_else(|| {
            Error::new(
                code,
                ErrorKind::InvalidResponse,
                "the sign-up answer has no email",
            )
        })?;
        Ok(SignedUpUser {
            id,
            email,
            email_verified: raw
                .get("email_verified")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            raw,
        })
    }

    /// Sends a password-change email (`POST /dbconnections/change_password`); returns the
    /// server's plain-text confirmation (the same whether or not the user exists).
    pub async fn change_password(&self, request: ChangePasswordRequest) -> Result<String> {
        let code = ErrorCode::ChangePassword;
        required(request.connection.as_str(), "the connection", code)?;
        if request.email.as_deref().is_none_or(|e| e.trim().is_empty())
            && request
                .username
                .as_deref()
                .is_none_or(|u| u.trim().is_empty())
        {
            return Err(Error::invalid_input(
                code,
                "an email or a username is required",
            ));
        }
        let mut body = Map::new();
        body.insert(
            "client_id".into(),
            self.client.inner.client_id.clone().into(),
        );
        body.insert("connection".into(), request.connection.as_str().into());
        if let Some(email) = request.email {
            body.insert("email".into(), email.into());
        }
        if let Some(username) = request.username {
            body.insert("username".into(), username.into());
        }
        if let Some(org) = request.organization {
            body.insert("organization".into(), org.into());
        }
        let http = Request::new(
            Method::POST,
            self.url("dbconnections/change_password", code)?,
            code,
            "the change-password endpoint",
        )
        .json(&Value::Object(body));
        let response = self.client.send(http).await?.success()?;
        Ok(String::from_utf8_lossy(&response.body).into_owned())
    }
}
