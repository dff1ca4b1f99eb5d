//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::database`].

use crate::emulator::RunningEmulator;
use crate::tenant::accounts::PasswordChangeTicket;

impl RunningEmulator {
    /// Every password change asked for so far (`POST /dbconnections/change_password`), in
    /// order, whether or not the user exists.
    pub fn password_change_tickets(&self) -> Vec<PasswordChangeTicket> {
        self.shared().store().accounts.tickets.clone()
    }
}
