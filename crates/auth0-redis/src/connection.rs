//! The connection configuration ([`RedisConfig`]) and the shared, reconnecting connection
//! ([`Redis`]) both stores use. Imports only the `redis` crate.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// The default key prefix.
pub const DEFAULT_KEY_PREFIX: &str = "auth0:";
/// The default time to connect (or reconnect).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The default time one command may take.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

/// Where Redis is and how to talk to it.
#[derive(Clone)]
pub struct RedisConfig {
    url: String,
    key_prefix: String,
    connect_timeout: Duration,
    command_timeout: Duration,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: only its scheme is shown.
        let scheme = self.url.split("://").next().unwrap_or("");
        f.debug_struct("RedisConfig")
            .field("url", &format_args!("{scheme}://[redacted]"))
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .finish()
    }
}

impl RedisConfig {
    /// A server by URL: `redis://host:port/db`, or `rediss://…` for TLS (verified against the
    /// platform's roots). A password goes in the URL (`redis://:password@host`). Plain
    /// `redis://` is accepted only for a loopback host.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
        }
    }

    /// Prepended to every key (default `auth0:`), so that several applications can share one
    /// Redis.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How long connecting may take (default 2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one command may take (default 1 s).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }
}

/// A failure to reach or use Redis. The message names the operation and the kind of failure;
/// it never holds the URL (which may carry a password) or a stored value.
#[derive(Debug, thiserror::Error)]
#[error("redis: {operation} failed: {detail}")]
pub struct RedisError {
    operation: &'static str,
    detail: String,
}

impl RedisError {
    pub(crate) fn new(operation: &'static str, detail: impl Into<String>) -> Self {
        Self {
            operation,
            detail: detail.into(),
        }
    }

    pub(crate) fn from_redis(operation: &'static str, e: &redis::RedisError) -> Self {
        let detail = if e.is_timeout() {
            "timed out".to_owned()
        } else if e.is_connection_refusal() || e.is_connection_dropped() || e.is_io_error() {
            format!("the server cannot be reached ({:?})", e.kind())
        } else {
            format!("{:?}", e.kind())
        };
        Self::new(operation, detail)
    }

    /// The operation that failed (`connect`, `get`, `set`, `lock`, …).
    pub fn operation(&self) -> &'static str {
        self.operation
    }
}

/// A shared connection to Redis that reconnects by itself after a failure. Cheap to clone:
/// clones share the connection (commands are pipelined on it).
#[derive(Clone)]
pub struct Redis {
    pub(crate) conn: ConnectionManager,
    pub(crate) prefix: String,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("key_prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Whether `url` may be used: `rediss://` anywhere, `redis://` only on a loopback host, and
/// `unix:`/`redis+unix:` sockets.
fn check_url(url: &str) -> Result<(), RedisError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("rediss://")
        || lower.starts_with("unix:")
        || lower.starts_with("redis+unix:")
    {
        return Ok(());
    }
    let Some(rest) = lower.strip_prefix("redis://") else {
        return Err(RedisError::new(
            "connect",
            "the URL must start with redis:// or rediss://",
        ));
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(RedisError::new(
            "connect",
            "plain redis:// is only allowed for a loopback host; use rediss:// (TLS)",
        ))
    }
}

impl Redis {
    /// Connects (within the connect timeout). Fails with a clear error when the URL is
    /// refused or the server cannot be reached.
    pub async fn connect(config: RedisConfig) -> Result<Self, RedisError> {
        check_url(&config.url)?;
        let client = redis::Client::open(config.url.as_str())
            .map_err(|_| RedisError::new("connect", "the URL is not a valid Redis URL"))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(config.connect_timeout)
            .set_response_timeout(config.command_timeout)
            .set_number_of_retries(1)
            .set_max_delay(200);
        let connect = ConnectionManager::new_with_config(client, manager_config);
        let conn = tokio::time::timeout(config.connect_timeout, connect)
            .await
            .map_err(|_| RedisError::new("connect", "timed out"))?
            .map_err(|e| RedisError::from_redis("connect", &e))?;
        Ok(Self {
            conn,
            prefix: config.key_prefix,
        })
    }

    /// `prefix` + `kind` + `name`: the full name of a key.
    pub(crate) fn key(&self, kind: &str, name: &str) -> String {
        let mut k = String::with_capacity(self.prefix.len() + kind.len() + name.len());
        k.push_str(&self.prefix);
        k.push_str(kind);
        k.push_str(name);
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_redis_only_on_loopback() {
        assert!(check_url("redis://127.0.0.1:6379").is_ok());
        assert!(check_url("redis://:pw@localhost:6379/2").is_ok());
        assert!(check_url("redis://[::1]:6379").is_ok());
        assert!(check_url("rediss://cache.example.com:6380").is_ok());
        assert!(check_url("redis://cache.example.com:6379").is_err());
        assert!(check_url("redis://127.0.0.1.evil.com").is_err());
        assert!(check_url("http://127.0.0.1").is_err());
    }

    #[test]
    fn debug_hides_the_url() {
        let shown = format!(
            "{:?}",
            RedisConfig::new("redis://:hunter2hunter2@127.0.0.1")
        );
        assert!(!shown.contains("hunter2"));
    }
}
