//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::webfinger`].

use crate::emulator::EmulatorBuilder;

impl EmulatorBuilder {
    /// Routes users whose email is at `email_domain` (e.g. `acme.com`, compared
    /// case-insensitively) to the enterprise connection `connection`: WebFinger home-realm
    /// discovery then answers `200` for that domain (and `404` for others).
    pub fn enterprise_domain(mut self, email_domain: &str, connection: &str) -> Self {
        let domain = email_domain.trim().to_lowercase();
        self.accounts
            .enterprise_domains
            .retain(|(d, _)| *d != domain);
        self.accounts
            .enterprise_domains
            .push((domain, connection.to_owned()));
        self
    }
}
