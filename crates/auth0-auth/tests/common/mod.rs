//! Shared set-up for the integration tests: a demo tenant on loopback and clients for it.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use auth0_auth::{AuthClient, AuthClientBuilder};
use auth0_emulator::{Emulator, EmulatorBuilder, RunningEmulator, demo};

/// Every wait in a test is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(30);

/// Runs `fut`, failing the test if it takes longer than [`LIMIT`].
pub async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// The demo tenant, started on an ephemeral loopback port.
pub async fn demo_tenant() -> RunningEmulator {
    tenant(Emulator::builder().demo_tenant()).await
}

/// A tenant from a builder.
pub async fn tenant(builder: EmulatorBuilder) -> RunningEmulator {
    bounded(builder.start()).await.expect("the emulator starts")
}

/// A builder for the demo confidential client of `tenant`.
pub fn confidential(tenant: &RunningEmulator) -> AuthClientBuilder {
    AuthClient::builder(tenant.base_url(), demo::CLIENT_ID).client_secret(demo::CLIENT_SECRET)
}

/// The demo confidential client of `tenant`.
pub fn client(tenant: &RunningEmulator) -> AuthClient {
    confidential(tenant).build().expect("the client builds")
}

/// The demo public client of `tenant`.
pub fn public_client(tenant: &RunningEmulator) -> AuthClient {
    AuthClient::builder(tenant.base_url(), demo::PUBLIC_CLIENT_ID)
        .build()
        .expect("the client builds")
}
