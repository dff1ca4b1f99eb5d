//! The cookie transaction store: the login transaction, encrypted, in one cookie (`__a0_tx` by
//! default) that lives an hour, as auth0-server-js writes it.

use std::fmt;

use crate::cookies::{CookieJar, CookieOptions};
use crate::crypto::{self, Secrets};
use crate::error::{CookieProblem, Error, Result};
use crate::state::TransactionData;
use crate::store::TransactionStore;

/// How long a login may take (seconds): the transaction cookie's `Max-Age` and `exp`.
pub const TRANSACTION_MAX_AGE: u64 = 60 * 60;

/// Keeps the login transaction in one encrypted cookie.
#[derive(Clone)]
pub struct CookieTransactionStore {
    secrets: Secrets,
    cookie: CookieOptions,
}

impl fmt::Debug for CookieTransactionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieTransactionStore")
            .field("secrets", &self.secrets)
            .field("cookie", &self.cookie)
            .finish()
    }
}

impl CookieTransactionStore {
    /// A store encrypting with `secrets`; the cookie is HttpOnly, SameSite=Lax, Secure, path `/`.
    pub fn new(secrets: Secrets) -> Self {
        Self {
            secrets,
            cookie: CookieOptions::default(),
        }
    }

    /// Sets the cookie attributes (`max_age` is always [`TRANSACTION_MAX_AGE`]).
    pub fn cookie_options(mut self, options: CookieOptions) -> Self {
        self.cookie = options;
        self
    }
}

impl TransactionStore for CookieTransactionStore {
    async fn set(
        &self,
        name: &str,
        data: &TransactionData,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<()> {
        let payload = data.to_map().map_err(|problem| Error::CookieRejected {
            name: name.into(),
            problem,
        })?;
        let value = crypto::encrypt(
            &payload,
            &self.secrets,
            name,
            now.saturating_add(TRANSACTION_MAX_AGE),
        )?;
        jar.set(name, &value, &self.cookie.with_max_age(TRANSACTION_MAX_AGE));
        Ok(())
    }

    async fn get(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<Option<TransactionData>> {
        let Some(value) = jar.get(name).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let read = crypto::decrypt(&value, &self.secrets, name, now)
            .and_then(|(payload, _)| TransactionData::from_map(payload));
        match read {
            Ok(t) => Ok(Some(t)),
            Err(CookieProblem::Expired) => {
                jar.delete(name, &self.cookie);
                Ok(None)
            }
            Err(problem) => {
                jar.delete(name, &self.cookie);
                Err(Error::CookieRejected {
                    name: name.into(),
                    problem,
                })
            }
        }
    }

    async fn delete(&self, name: &str, jar: &mut dyn CookieJar) -> Result<()> {
        jar.delete(name, &self.cookie);
        Ok(())
    }
}
