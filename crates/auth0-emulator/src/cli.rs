//! The binary's command line (clap derive), its `--help` text, how the flags become a tenant,
//! and the start-up banner. Uses only the library's public API.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;

use auth0_emulator::{
    CONTROL_ROUTES, Emulator, EmulatorBuilder, RunningEmulator, TenantFile, TokenSigningAlg, demo,
};
use clap::{Parser, ValueEnum};
use serde_json::Value;

/// Runs a local Auth0-compatible tenant until Ctrl-C or SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "auth0-emulator", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Listen on port N (default: the config file's `port`, else any free port).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// Listen on ADDR. Anything but loopback also needs --allow-non-loopback.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Allow a non-loopback --host (e.g. 0.0.0.0 in a container). The tenant speaks plain HTTP
    /// and its control API has no authentication: never expose it beyond a test network.
    #[arg(long)]
    pub allow_non_loopback: bool,

    /// Advertise URL as the issuer instead of http://127.0.0.1:PORT/.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// Sign access and ID tokens with this algorithm (default RS256).
    #[arg(long, value_name = "ALG", value_enum)]
    pub token_alg: Option<Alg>,

    /// Serve the quickstart tenant (the default when no client is declared).
    #[arg(long)]
    pub demo: bool,

    /// Load a tenant file: TOML, or JSON when the name ends in .json
    /// (see crates/auth0-emulator/examples/tenant.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Add a client: ID:SECRET is a regular web app, ID alone a public SPA (repeatable).
    #[arg(long = "client", value_name = "ID[:SECRET]")]
    pub clients: Vec<String>,

    /// Allow URL as a callback for the --client clients, or without any, for every client of
    /// the config file (repeatable).
    #[arg(long = "callback", value_name = "URL")]
    pub callbacks: Vec<String>,

    /// Allow URL as a post-logout return URL, like --callback (repeatable).
    #[arg(long = "logout-url", value_name = "URL")]
    pub logout_urls: Vec<String>,

    /// Add a user to the default database connection (repeatable).
    #[arg(long = "user", value_name = "EMAIL:PASSWORD")]
    pub users: Vec<String>,
}

/// `--token-alg` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
#[allow(clippy::upper_case_acronyms)]
pub(crate) enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Auth0's default).
    #[value(name = "RS256")]
    RS256,
    /// ECDSA P-256 with SHA-256.
    #[value(name = "ES256")]
    ES256,
}

/// What the flags describe, ready to start.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The configured builder.
    pub builder: EmulatorBuilder,
    /// Whether the demo tenant is part of it (its passwords are public and may be printed).
    pub demo: bool,
}

impl Cli {
    /// Turns the flags (and the config file) into a builder.
    pub(crate) fn plan(&self) -> Result<Plan, String> {
        if !self.host.is_loopback() && !self.allow_non_loopback {
            return Err(format!(
                "--host {} is not a loopback address; the tenant has no authentication, so \
                 this needs --allow-non-loopback",
                self.host
            ));
        }
        let mut file = match &self.config {
            Some(path) => TenantFile::load(path).map_err(|e| e.to_string())?,
            None => TenantFile::empty(),
        };
        for c in &self.clients {
            file.add_client_flag(c).map_err(|e| e.to_string())?;
        }
        for u in &self.callbacks {
            file.add_callback_flag(u).map_err(|e| e.to_string())?;
        }
        for u in &self.logout_urls {
            file.add_logout_url_flag(u).map_err(|e| e.to_string())?;
        }
        for u in &self.users {
            file.add_user_flag(u).map_err(|e| e.to_string())?;
        }
        let demo = self.demo || !file.has_clients();
        let mut builder = Emulator::builder();
        if demo {
            builder = builder.demo_tenant();
        }
        builder = file.apply(builder).map_err(|e| e.to_string())?;
        if let Some(port) = self.port {
            builder = builder.port(port);
        }
        if let Some(issuer) = &self.issuer {
            builder = builder.issuer(issuer);
        }
        match self.token_alg {
            Some(Alg::RS256) => builder = builder.token_signing_alg(TokenSigningAlg::RS256),
            Some(Alg::ES256) => builder = builder.token_signing_alg(TokenSigningAlg::ES256),
            None => {}
        }
        builder = builder.bind_address(self.host);
        Ok(Plan { builder, demo })
    }
}

/// The text after the options in `--help`: tenant files, the demo tenant, the control API.
pub(crate) fn help_tail() -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "TENANT\n  \
         Without --config or --client the demo (quickstart) tenant is served. A config file\n  \
         declares clients (type, secret or public key, callbacks, logout URLs, back-channel\n  \
         logout URI, grants), users, APIs (scopes, RBAC), organizations (members),\n  \
         connections, token lifetimes, issuer and signing algorithm; unknown fields are\n  \
         refused. Flags win over the file. Example:\n    \
         auth0-emulator --config tenant.toml\n    \
         auth0-emulator --client my-app:my-secret --callback http://localhost:3000/callback \\\n      \
         --logout-url http://localhost:3000/ --user jane@example.com:pa55word\n"
    );
    let _ = writeln!(s, "DEMO TENANT");
    let _ = writeln!(
        s,
        "  confidential client {} / {}",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET
    );
    let _ = writeln!(s, "  public client       {}", demo::PUBLIC_CLIENT_ID);
    let _ = writeln!(s, "  callbacks           {}", demo::CALLBACKS.join(", "));
    let _ = writeln!(s, "  logout URL          {}", demo::LOGOUT_URL);
    let _ = writeln!(
        s,
        "  API                 {} ({})",
        demo::AUDIENCE,
        demo::SCOPES.join(" ")
    );
    let _ = writeln!(
        s,
        "  users               {} / {}",
        demo::USERNAME,
        demo::PASSWORD
    );
    let _ = writeln!(
        s,
        "                      {} / {} (needs MFA)",
        demo::MFA_USERNAME,
        demo::PASSWORD
    );
    let _ = writeln!(
        s,
        "  organization        {} ({})\n",
        demo::ORGANIZATION_ID,
        demo::ORGANIZATION_NAME
    );
    let _ = writeln!(
        s,
        "CONTROL API (JSON, no authentication: for tests on loopback only)"
    );
    for (method, path, what) in CONTROL_ROUTES {
        let _ = writeln!(s, "  {method:<6} {path}\n         {what}");
    }
    let _ = write!(
        s,
        "  e.g. curl -s http://127.0.0.1:PORT/__emulator/passwordless\n       \
         curl -s -X POST http://127.0.0.1:PORT/__emulator/reset"
    );
    s
}

/// At most this many clients and users are listed in the banner.
const BANNER_LIMIT: usize = 8;

/// The start-up banner: where the tenant is, its clients with their callbacks and logout
/// URLs, its APIs, users (passwords only for the public demo users) and organizations.
pub(crate) fn banner(emulator: &RunningEmulator, with_demo: bool) -> String {
    let t = emulator.describe();
    let mut s = String::new();
    let _ = writeln!(s, "auth0-emulator listening on {}", emulator.base_url());
    let _ = writeln!(s, "issuer:                {}", emulator.issuer());
    let _ = writeln!(
        s,
        "control API:           {} (no auth; tests only)",
        text(&t["control_api"])
    );
    let clients = list(&t["clients"]);
    for c in clients.iter().take(BANNER_LIMIT) {
        let id = text(&c["client_id"]);
        let kind = match text(&c["authentication"]) {
            "none" => "public".to_owned(),
            "client_secret" if with_demo && id == demo::CLIENT_ID => {
                format!("secret {}", demo::CLIENT_SECRET)
            }
            other => other.to_owned(),
        };
        let _ = writeln!(s, "client:                {id} ({kind})");
        let callbacks = strings(&c["callbacks"]);
        if !callbacks.is_empty() {
            let _ = writeln!(s, "  callbacks:           {}", callbacks.join(", "));
        }
        let logout = strings(&c["logout_urls"]);
        if !logout.is_empty() {
            let _ = writeln!(s, "  logout URLs:         {}", logout.join(", "));
        }
        if let Some(uri) = c["backchannel_logout_uri"].as_str() {
            let _ = writeln!(s, "  back-channel logout: {uri}");
        }
    }
    more(&mut s, clients.len(), "clients");
    for a in list(&t["apis"]) {
        let _ = writeln!(
            s,
            "API audience:          {} ({})",
            text(&a["identifier"]),
            strings(&a["scopes"]).join(" ")
        );
    }
    let users = list(&t["users"]);
    for u in users.iter().take(BANNER_LIMIT) {
        let login = text(&u["login"]);
        let demo_user = with_demo && (login == demo::USERNAME || login == demo::MFA_USERNAME);
        let password = if demo_user {
            format!(" / {}", demo::PASSWORD)
        } else {
            String::new()
        };
        let mfa = if u["mfa"].as_bool() == Some(true) {
            " (needs MFA)"
        } else {
            ""
        };
        let _ = writeln!(s, "user:                  {login}{password}{mfa}");
    }
    more(&mut s, users.len(), "users");
    for o in list(&t["organizations"]) {
        let _ = writeln!(
            s,
            "organization:          {} ({})",
            text(&o["id"]),
            text(&o["name"])
        );
    }
    s.push_str("press Ctrl-C to stop");
    s
}

fn more(s: &mut String, count: usize, what: &str) {
    if count > BANNER_LIMIT {
        let _ = writeln!(
            s,
            "  … and {} more {what} (GET /__emulator/tenant lists all)",
            count - BANNER_LIMIT
        );
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("auth0-emulator").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn old_flags_still_parse() {
        let cli = parse(&[
            "--port",
            "0",
            "--issuer",
            "https://t.example/",
            "--token-alg",
            "ES256",
            "--demo",
        ]);
        assert_eq!(cli.port, Some(0));
        assert!(cli.demo);
        assert!(matches!(cli.token_alg, Some(Alg::ES256)));
        assert!(cli.plan().unwrap().demo);
    }

    #[test]
    fn non_loopback_hosts_need_the_explicit_flag() {
        let err = parse(&["--host", "0.0.0.0"]).plan().unwrap_err();
        assert!(err.contains("--allow-non-loopback"), "{err}");
        assert!(
            parse(&["--host", "0.0.0.0", "--allow-non-loopback"])
                .plan()
                .is_ok()
        );
        assert!(parse(&["--host", "::1"]).plan().is_ok());
    }

    #[test]
    fn one_liners_replace_the_demo_tenant() {
        let cli = parse(&[
            "--client",
            "app:s3cret",
            "--callback",
            "http://localhost:3000/cb",
            "--user",
            "a@b.c:pw",
        ]);
        assert!(!cli.plan().unwrap().demo);
        let err = parse(&["--callback", "http://localhost:3000/cb"])
            .plan()
            .unwrap_err();
        assert!(err.contains("--client"), "{err}");
    }

    #[test]
    fn help_lists_the_demo_tenant_and_the_control_api() {
        let tail = help_tail();
        assert!(tail.contains(demo::CALLBACKS[0]));
        assert!(tail.contains(demo::USERNAME));
        assert!(tail.contains("/__emulator/reset"));
    }
}
