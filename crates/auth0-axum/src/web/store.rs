//! [`WebStateStore`]: the session store an [`Auth0Web`](super::Auth0Web) uses, chosen by
//! configuration rather than by type: the whole session in encrypted cookies (the default) or
//! on the server in any [`SessionStore`], with only an encrypted id in the cookie.
//!
//! Imports `auth0-server`'s store traits and stores only.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use auth0_server::{
    CookieJar, LogoutClaims, Result, SessionStore, StateData, StateStore, StatefulStateStore,
    StatelessStateStore,
};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `SessionStore` with boxed futures, so any store fits behind one type.
trait DynSessionStore: Send + Sync + 'static {
    fn dyn_set<'a>(&'a self, id: &'a str, data: &'a StateData) -> BoxFuture<'a, Result<()>>;
    fn dyn_get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StateData>>>;
    fn dyn_delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>>;
    fn dyn_delete_by_logout_token<'a>(
        &'a self,
        claims: &'a LogoutClaims,
    ) -> BoxFuture<'a, Result<usize>>;
}

impl<T: SessionStore> DynSessionStore for T {
    fn dyn_set<'a>(&'a self, id: &'a str, data: &'a StateData) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.set(id, data))
    }
    fn dyn_get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StateData>>> {
        Box::pin(self.get(id))
    }
    fn dyn_delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.delete(id))
    }
    fn dyn_delete_by_logout_token<'a>(
        &'a self,
        claims: &'a LogoutClaims,
    ) -> BoxFuture<'a, Result<usize>> {
        Box::pin(self.delete_by_logout_token(claims))
    }
}

/// Any [`SessionStore`], type-erased.
#[derive(Clone)]
pub(crate) struct AnySessionStore(Arc<dyn DynSessionStore>);

impl AnySessionStore {
    pub(crate) fn new(store: impl SessionStore) -> Self {
        Self(Arc::new(store))
    }
}

impl SessionStore for AnySessionStore {
    async fn set(&self, id: &str, data: &StateData) -> Result<()> {
        self.0.dyn_set(id, data).await
    }
    async fn get(&self, id: &str) -> Result<Option<StateData>> {
        self.0.dyn_get(id).await
    }
    async fn delete(&self, id: &str) -> Result<()> {
        self.0.dyn_delete(id).await
    }
    async fn delete_by_logout_token(&self, claims: &LogoutClaims) -> Result<usize> {
        self.0.dyn_delete_by_logout_token(claims).await
    }
}

/// The session store of an [`Auth0Web`](super::Auth0Web): cookies only, or a server-side store.
pub struct WebStateStore(Backend);

enum Backend {
    Cookies(StatelessStateStore),
    Server(StatefulStateStore<AnySessionStore>),
}

impl fmt::Debug for WebStateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Backend::Cookies(s) => f.debug_tuple("WebStateStore").field(s).finish(),
            Backend::Server(s) => f.debug_tuple("WebStateStore").field(s).finish(),
        }
    }
}

impl WebStateStore {
    pub(crate) fn cookies(store: StatelessStateStore) -> Self {
        Self(Backend::Cookies(store))
    }

    pub(crate) fn server(store: StatefulStateStore<AnySessionStore>) -> Self {
        Self(Backend::Server(store))
    }

    /// Whether sessions live on the server (so back-channel logout can end them).
    pub fn is_server_side(&self) -> bool {
        matches!(self.0, Backend::Server(_))
    }
}

impl StateStore for WebStateStore {
    async fn set(
        &self,
        name: &str,
        data: &StateData,
        remove_if_exists: bool,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<()> {
        match &self.0 {
            Backend::Cookies(s) => s.set(name, data, remove_if_exists, jar, now).await,
            Backend::Server(s) => s.set(name, data, remove_if_exists, jar, now).await,
        }
    }

    async fn get(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<Option<StateData>> {
        match &self.0 {
            Backend::Cookies(s) => s.get(name, jar, now).await,
            Backend::Server(s) => s.get(name, jar, now).await,
        }
    }

    async fn delete(&self, name: &str, jar: &mut dyn CookieJar) -> Result<()> {
        match &self.0 {
            Backend::Cookies(s) => s.delete(name, jar).await,
            Backend::Server(s) => s.delete(name, jar).await,
        }
    }

    async fn delete_by_logout_token(&self, claims: &LogoutClaims) -> Result<usize> {
        match &self.0 {
            Backend::Cookies(s) => s.delete_by_logout_token(claims).await,
            Backend::Server(s) => s.delete_by_logout_token(claims).await,
        }
    }
}
