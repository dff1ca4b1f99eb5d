//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::tenant::exchange_config`].

use crate::emulator::EmulatorBuilder;
use crate::tenant::exchange_config::{FederatedConnection, TokenExchangeProfile};

impl EmulatorBuilder {
    /// Adds an RFC 8693 token exchange profile (grant
    /// `urn:ietf:params:oauth:grant-type:token-exchange`); a later profile for the same
    /// subject token type replaces an earlier one.
    pub fn token_exchange_profile(mut self, profile: TokenExchangeProfile) -> Self {
        self.flows
            .exchange_profiles
            .retain(|p| p.subject_token_type != profile.subject_token_type);
        self.flows.exchange_profiles.push(profile);
        self
    }

    /// Adds a Token Vault connection (grant
    /// `urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token`);
    /// a later connection with the same name replaces an earlier one.
    pub fn federated_connection(mut self, connection: FederatedConnection) -> Self {
        self.flows
            .federated_connections
            .retain(|c| c.name != connection.name);
        self.flows.federated_connections.push(connection);
        self
    }
}
