//! Where the device authorization flow ([`crate::endpoints::device`]) and DPoP
//! ([`crate::protocol::dpop`]) keep their settings (part of the fixed tenant) and their runtime
//! state (part of the store), so the shared builder, tenant and store each carry one field for
//! both.

use crate::tenant::device::{DeviceConfig, DeviceState};
use crate::tenant::dpop::{DpopConfig, DpopState};

/// Device-flow and DPoP settings, set on the builder and fixed once the tenant starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviceDpopConfig {
    /// Device authorization settings.
    pub device: DeviceConfig,
    /// DPoP settings.
    pub dpop: DpopConfig,
}

/// What the device flow and DPoP remember while the tenant runs.
#[derive(Debug, Default)]
pub(crate) struct DeviceDpopState {
    /// Device authorization requests.
    pub device: DeviceState,
    /// DPoP nonces, seen proof ids and key-bound refresh tokens.
    pub dpop: DpopState,
}
