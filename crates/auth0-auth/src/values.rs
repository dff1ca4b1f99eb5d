//! Small typed values that requests take, so that two required inputs of a constructor can never
//! be swapped without a compile error (see the crate docs, "How every call looks").
//!
//! This module depends on nothing else in the crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The name of an Auth0 connection, such as `Username-Password-Authentication` or
/// `google-oauth2`.
///
/// ```
/// use auth0_auth::Connection;
///
/// let db = Connection::new("Username-Password-Authentication");
/// assert_eq!(db.as_str(), "Username-Password-Authentication");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Connection(String);

impl Connection {
    /// A connection by name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The connection's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Auth0 user id (the `sub` claim), such as `auth0|64f1c2…`.
///
/// ```
/// use auth0_auth::UserId;
///
/// let user = UserId::new("auth0|123");
/// assert_eq!(user.as_str(), "auth0|123");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// A user by id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The user id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
