//! # auth0-redis: Redis (and Valkey) stores for auth0-auth and auth0-server
//!
//! For a fleet of processes that share one Redis 7 or Valkey:
//!
//! - [`RedisTokenStore`], a [`TokenStore`](auth0_auth::TokenStore) for
//!   [`TokenCache`](auth0_auth::TokenCache): each token is fetched once per key for the whole
//!   fleet. The fetcher holds a lock (`SET NX PX`, so a crashed holder blocks nobody past the
//!   lock's TTL) while the others read the result as soon as it is stored.
//! - [`RedisSessionStore`], a [`SessionStore`](auth0_server::SessionStore) for
//!   [`StatefulStateStore`](auth0_server::StatefulStateStore), which finds sessions by `sid`
//!   and `sub` (index sets with TTLs) for back-channel logout.
//!
//! Every value is encrypted with the application's secret ([`Secrets`](auth0_server::Secrets),
//! the JWE auth0-server writes its cookies with, bound to the Redis key it is stored under), so
//! read access to Redis reveals no token and no session, and a value copied under another key
//! does not decrypt. Key names hold no user data: tokens are named by a digest of their
//! [`TokenKey`](auth0_auth::TokenKey), `sid`/`sub` index sets by a SHA-256 of the value.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient, secrets: auth0_server::Secrets) -> Result<(), Box<dyn std::error::Error>> {
//! use auth0_auth::{ClientCredentialsRequest, TokenCache};
//! use auth0_redis::{Redis, RedisConfig, RedisTokenStore};
//!
//! let redis = Redis::connect(RedisConfig::new("rediss://cache.internal:6380").key_prefix("shop:")).await?;
//! let cache = TokenCache::with_store(RedisTokenStore::new(redis.clone(), secrets));
//! let request = ClientCredentialsRequest::new().audience("https://api.example.com/");
//! let token = client.cached(&cache).get_token_by_client_credentials(&request).await?;
//! # Ok(()) }
//! ```
//!
//! Each process keeps the tokens it reads from Redis in memory for
//! [`TokenCache::local_copy_ttl`](auth0_auth::TokenCache::local_copy_ttl) (default 60 s, never
//! inside the expiry margin), so a cache hit takes no round trip. A token another process
//! replaced or removed in Redis is therefore still handed out by this one until that time is up
//! (it stays valid until it expires); set it to zero to read Redis on every call.
//!
//! When Redis cannot be reached, the token cache logs the store's error and fetches the token
//! itself (a fresh fetch is always safe); the session store returns
//! [`auth0_server::Error::Store`] naming the failed operation.
//!
//! Modules: `connection` (configuration and the shared connection), `token_store`,
//! `session_store`. Each imports `connection` and the public APIs of auth0-auth and
//! auth0-server only.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod connection;
mod session_store;
mod token_store;

pub use connection::{Redis, RedisConfig, RedisError};
pub use session_store::RedisSessionStore;
pub use token_store::RedisTokenStore;
