//! Database connections: `POST /dbconnections/signup` creates a user the password grant (and
//! user info, refresh) then knows; `POST /dbconnections/change_password` records a
//! [`PasswordChangeTicket`] instead of sending an email. Both take `client_id` only (no client
//! secret), as at Auth0.
//!
//! Sign-up errors use Auth0's shape for these endpoints:
//! `{"code", "description", "name", "statusCode"}`; change-password errors are OAuth-shaped
//! (`{"error", "error_description"}`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::protocol::params::Params;
use crate::tenant::accounts::{PasswordChangeTicket, SignupProfile, looks_like_email};
use crate::tenant::config::UserConfig;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::find_organization;
use crate::tenant::state::{RegisteredClient, Shared, now_secs, random_hex, random_token};

/// The shortest password sign-up accepts (in characters).
const MIN_PASSWORD_CHARS: usize = 8;
/// The plain-text answer of `change_password`.
const CHANGE_PASSWORD_ANSWER: &str = "We've just sent you an email to reset your password.";

/// A sign-up refusal: `{"code", "description", "name", "statusCode"}`.
#[derive(Debug)]
struct DbError {
    status: StatusCode,
    code: &'static str,
    description: String,
    name: &'static str,
    extra: Map<String, Value>,
}

impl DbError {
    fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            description: description.into(),
            name: "BadRequestError",
            extra: Map::new(),
        }
    }

    fn missing(field: &str) -> Self {
        Self::bad_request(
            "invalid_body",
            format!("Payload validation error: 'Missing required property: {field}'."),
        )
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("name".to_owned(), Value::from(self.name));
        body.insert("code".to_owned(), Value::from(self.code));
        body.insert("description".to_owned(), Value::from(self.description));
        body.insert("statusCode".to_owned(), Value::from(self.status.as_u16()));
        body.extend(self.extra);
        (self.status, Json(Value::Object(body))).into_response()
    }
}

/// `POST /dbconnections/signup`.
pub(crate) async fn signup_endpoint(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match signup(&shared, &headers, &body) {
        Ok(answer) => (StatusCode::OK, Json(Value::Object(answer))).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The client named by `client_id` (no credentials are checked here).
fn named_client<'a>(
    shared: &'a Shared,
    params: &Params,
) -> Result<&'a RegisteredClient, OAuthError> {
    let client_id = params.require("client_id")?;
    shared
        .tenant
        .clients
        .get(client_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("Unknown client: {client_id}")))
}

/// An optional text field; any other JSON type is refused.
fn text_field<'a>(params: &'a Params, key: &str) -> Result<Option<&'a str>, DbError> {
    match params.value(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(DbError::bad_request(
            "invalid_body",
            format!(
                "Payload validation error: 'Expected type string but found another type' on property {key}."
            ),
        )),
    }
}

fn signup(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, DbError> {
    let params = Params::parse(headers, body)
        .map_err(|e| DbError::bad_request("invalid_body", e.description))?;
    named_client(shared, &params).map_err(|e| DbError {
        status: e.status,
        code: e.error,
        description: e.description,
        name: if e.status == StatusCode::UNAUTHORIZED {
            "UnauthorizedError"
        } else {
            "BadRequestError"
        },
        extra: Map::new(),
    })?;
    let email = text_field(&params, "email")?.ok_or_else(|| DbError::missing("email"))?;
    let password = text_field(&params, "password")?.ok_or_else(|| DbError::missing("password"))?;
    let connection =
        text_field(&params, "connection")?.ok_or_else(|| DbError::missing("connection"))?;
    if !shared.is_database_connection(connection) {
        return Err(DbError::bad_request(
            "invalid_connection",
            format!("The connection {connection} does not exist or is not a database connection."),
        ));
    }
    if !looks_like_email(email) {
        return Err(DbError::bad_request(
            "invalid_body",
            format!(
                "Payload validation error: 'Object didn't pass validation for format email: {email}'."
            ),
        ));
    }
    let username = text_field(&params, "username")?;
    let field = |key: &str| text_field(&params, key).map(|v| v.map(str::to_owned));
    let (given_name, family_name, name, nickname, picture) = (
        field("given_name")?,
        field("family_name")?,
        field("name")?,
        field("nickname")?,
        field("picture")?,
    );
    let user_metadata = match params.value("user_metadata") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(Value::Object(map.clone())),
        Some(_) => {
            return Err(DbError::bad_request(
                "invalid_body",
                "Payload validation error: 'Expected type object' on property user_metadata.",
            ));
        }
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        let mut error = DbError::bad_request(
            "invalid_password",
            "PasswordStrengthError: Password is too weak",
        );
        error.name = "PasswordStrengthError";
        error
            .extra
            .insert("message".to_owned(), Value::from("Password is too weak"));
        error.extra.insert(
            "policy".to_owned(),
            Value::from(format!(
                "* At least {MIN_PASSWORD_CHARS} characters in length"
            )),
        );
        return Err(error);
    }

    let exists = |login: &str| shared.database_user(login, Some(connection)).is_some();
    if exists(email) || username.is_some_and(exists) {
        return Err(DbError::bad_request("invalid_signup", "Invalid sign up"));
    }
    let id = random_hex(12);
    let mut user = UserConfig::new(email, password)
        .connection(connection)
        .user_id(&format!("auth0|{id}"));
    user.username = username.map(str::to_owned);
    if let Some(name) = &name {
        user = user.name(name);
    }
    let profile = SignupProfile {
        given_name: given_name.clone(),
        family_name: family_name.clone(),
        nickname: nickname.clone(),
        picture: picture.clone(),
        email_verified: false,
        phone_number: None,
        created_at: now_secs(),
    };
    {
        let mut store = shared.store();
        // Checked again under the lock, so two racing sign-ups cannot both succeed.
        let taken = store.flows.users.iter().any(|u| {
            u.connection == connection
                && store.accounts.profiles.contains_key(&u.user_id)
                && (u.matches_login(email) || username.is_some_and(|n| u.matches_login(n)))
        });
        if taken {
            return Err(DbError::bad_request("invalid_signup", "Invalid sign up"));
        }
        store
            .accounts
            .profiles
            .insert(user.user_id.clone(), profile);
        store.flows.users.push(user);
    }

    let mut answer = Map::new();
    answer.insert("_id".to_owned(), Value::from(id));
    answer.insert("email_verified".to_owned(), Value::from(false));
    answer.insert("email".to_owned(), Value::from(email));
    let optional = [
        ("username", username.map(str::to_owned)),
        ("given_name", given_name),
        ("family_name", family_name),
        ("name", name),
        ("nickname", nickname),
        ("picture", picture),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            answer.insert(key.to_owned(), Value::from(value));
        }
    }
    if let Some(metadata) = user_metadata {
        answer.insert("user_metadata".to_owned(), metadata);
    }
    Ok(answer)
}

/// `POST /dbconnections/change_password`.
pub(crate) async fn change_password_endpoint(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match change_password(&shared, &headers, &body) {
        Ok(()) => {
            let mut response = (StatusCode::OK, CHANGE_PASSWORD_ANSWER).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
        Err(error) => error.into_response(),
    }
}

fn change_password(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let params = Params::parse(headers, body)?;
    named_client(shared, &params)?;
    let connection = params.require("connection")?;
    let email = params.get("email").map(str::trim).filter(|s| !s.is_empty());
    let username = params
        .get("username")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if email.is_none() && username.is_none() {
        return Err(OAuthError::invalid_request(
            "Missing required parameter: email or username (one is required).",
        ));
    }
    if !shared.is_database_connection(connection) {
        return Err(OAuthError::invalid_request(format!(
            "The connection {connection} does not exist or is not a database connection."
        )));
    }
    let organization = params.get("organization");
    if let Some(org) = organization {
        find_organization(shared, org)?;
    }
    let exists = |login: &str| shared.database_user(login, Some(connection)).is_some();
    let user_exists = email.is_some_and(exists) || username.is_some_and(exists);
    let ticket = PasswordChangeTicket {
        email: email.map(str::to_owned),
        username: username.map(str::to_owned),
        connection: connection.to_owned(),
        organization: organization.map(str::to_owned),
        user_exists,
        ticket_url: shared
            .tenant
            .url(&format!("lo/reset?ticket={}#", random_token(24))),
    };
    shared.store().accounts.tickets.push(ticket);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_hide_their_link() {
        let t = PasswordChangeTicket {
            email: Some("a@b.c".into()),
            username: None,
            connection: "c".into(),
            organization: None,
            user_exists: true,
            ticket_url: "http://x/lo/reset?ticket=very-secret#".into(),
        };
        assert!(!format!("{t:?}").contains("very-secret"));
    }
}
