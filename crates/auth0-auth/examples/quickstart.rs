//! The quickstart: discovery, client credentials, a user's sign-in with validated ID-token
//! claims, a refresh, and what an error looks like.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no `AUTH0_DOMAIN` in the environment it starts the local tenant emulator in-process, so
//! it runs anywhere with no network, and ends with a multi-factor sign-in. Against a real
//! tenant, set `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET` and `AUTH0_AUDIENCE`
//! (an API the application may use with client credentials); add `AUTH0_USERNAME` and
//! `AUTH0_PASSWORD` (a database user, with the Password grant enabled for the application) for
//! the sign-in steps.

use std::env;
use std::error::Error as StdError;

use auth0_auth::{
    AuthClient, ClientCredentialsRequest, ExposeSecret, PasswordRequest, RefreshTokenRequest,
};

/// Where the walk-through runs: a real tenant from the environment, or the local emulator.
pub struct Tenant {
    domain: String,
    client_id: String,
    client_secret: String,
    audience: String,
    user: Option<(String, String)>,
    /// Keeps the in-process emulator running for the whole walk-through.
    _emulator: Option<auth0_emulator::RunningEmulator>,
}

async fn tenant() -> Result<Tenant, Box<dyn StdError>> {
    if let Ok(domain) = env::var("AUTH0_DOMAIN") {
        let need = |name: &str| {
            env::var(name).map_err(|_| format!("{name} must be set with AUTH0_DOMAIN"))
        };
        let user = match (env::var("AUTH0_USERNAME"), env::var("AUTH0_PASSWORD")) {
            (Ok(u), Ok(p)) => Some((u, p)),
            _ => None,
        };
        println!("Using the tenant at {domain}.");
        return Ok(Tenant {
            domain,
            client_id: need("AUTH0_CLIENT_ID")?,
            client_secret: need("AUTH0_CLIENT_SECRET")?,
            audience: need("AUTH0_AUDIENCE")?,
            user,
            _emulator: None,
        });
    }
    local_tenant().await
}

/// The local tenant emulator, started in-process with its demo tenant.
pub async fn local_tenant() -> Result<Tenant, Box<dyn StdError>> {
    use auth0_emulator::{Emulator, demo};
    let emulator = Emulator::builder().demo_tenant().start().await?;
    println!(
        "No AUTH0_DOMAIN set: started the local tenant emulator at {}.",
        emulator.base_url()
    );
    Ok(Tenant {
        domain: emulator.base_url(),
        client_id: demo::CLIENT_ID.into(),
        client_secret: demo::CLIENT_SECRET.into(),
        audience: demo::AUDIENCE.into(),
        user: Some((demo::USERNAME.into(), demo::PASSWORD.into())),
        _emulator: Some(emulator),
    })
}

/// On the local tenant: a user who needs MFA gets `mfa_required`, enrolls an authenticator app
/// and finishes signing in with a one-time code (computed here from the enrolled secret, as the
/// app on their phone would).
async fn mfa_walkthrough(client: &AuthClient) -> Result<(), Box<dyn StdError>> {
    use auth0_auth::{EnrollRequest, Enrollment, MfaVerification, SecretString};
    use auth0_emulator::{demo, totp_code};

    println!("\n6. Multi-factor authentication");
    let error = match client
        .get_token_by_password(
            PasswordRequest::new(demo::MFA_USERNAME, demo::PASSWORD.into()).scope("openid email"),
        )
        .await
    {
        Err(e) if e.is_mfa_required() => e,
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("the MFA user signed in without MFA".into()),
    };
    println!(
        "   the password grant answered: {}",
        error.oauth().map(|o| o.error.as_str()).unwrap_or("-")
    );
    // The MFA API works for this one sign-in, with the `mfa_token` of the answer.
    let mfa = client.mfa(SecretString::from(error.mfa_token().unwrap_or_default()));
    let Enrollment::Otp(otp) = mfa.enroll_authenticator(EnrollRequest::otp()).await? else {
        return Err("expected an OTP enrollment".into());
    };
    println!(
        "   enrolled an authenticator app ({} recovery code(s) issued)",
        otp.recovery_codes.as_ref().map_or(0, Vec::len)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let code = totp_code(otp.secret.expose_secret(), now).ok_or("could not compute the code")?;
    let tokens = mfa.verify(MfaVerification::otp(code.into())).await?;
    println!(
        "   verified the one-time code; signed in as {}",
        tokens
            .claims
            .as_ref()
            .and_then(|c| c.email())
            .unwrap_or("-")
    );
    Ok(())
}

fn hidden(token: &str) -> String {
    format!("[{} characters, not shown]", token.len())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    run(tenant().await?).await
}

/// The whole walk-through against `tenant` (the tests run it against the local emulator).
pub async fn run(tenant: Tenant) -> Result<(), Box<dyn StdError>> {
    let client = AuthClient::builder(&tenant.domain, &tenant.client_id)
        .client_secret(&tenant.client_secret)
        .build()?;

    println!("\n1. Discovery");
    let metadata = client.server_metadata().await?;
    println!("   issuer:         {}", metadata.issuer);
    println!(
        "   token endpoint: {}",
        metadata.token_endpoint.as_deref().unwrap_or("-")
    );

    println!("\n2. Client credentials (machine to machine)");
    let m2m = client
        .get_token_by_client_credentials(ClientCredentialsRequest::new().audience(&tenant.audience))
        .await?;
    println!(
        "   access token:   {}",
        hidden(m2m.access_token.expose_secret())
    );
    println!(
        "   token type:     {}",
        m2m.token_type.as_deref().unwrap_or("-")
    );
    println!("   scope:          {}", m2m.scope.as_deref().unwrap_or("-"));
    println!("   expires at:     {} (Unix seconds)", m2m.expires_at);

    let Some((username, password)) = &tenant.user else {
        println!("\nSet AUTH0_USERNAME and AUTH0_PASSWORD to run the sign-in steps.");
        return Ok(());
    };

    println!("\n3. A user signs in (password grant); the ID token is validated");
    let tokens = client
        .get_token_by_password(
            PasswordRequest::new(username, password.as_str().into())
                .scope("openid profile email offline_access")
                .audience(&tenant.audience),
        )
        .await?;
    if let Some(claims) = &tokens.claims {
        println!("   sub:            {}", claims.sub().unwrap_or("-"));
        println!("   name:           {}", claims.name().unwrap_or("-"));
        println!("   email:          {}", claims.email().unwrap_or("-"));
    }
    println!(
        "   refresh token:  {}",
        if tokens.refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    );

    if let Some(refresh_token) = &tokens.refresh_token {
        println!("\n4. Refresh without the password");
        let fresh = client
            .get_token_by_refresh_token(RefreshTokenRequest::new(refresh_token.clone()))
            .await?;
        println!(
            "   new access token: {}",
            hidden(fresh.access_token.expose_secret())
        );
        println!("   expires at:       {}", fresh.expires_at);
    }

    println!("\n5. An error: a wrong password");
    match client
        .get_token_by_password(PasswordRequest::new(username, "not-the-password".into()))
        .await
    {
        Ok(_) => println!("   unexpectedly accepted"),
        Err(e) => {
            println!("   code:           {}", e.code());
            if let Some(oauth) = e.oauth() {
                println!(
                    "   server said:    {} ({})",
                    oauth.error,
                    oauth.error_description.as_deref().unwrap_or("")
                );
            }
            println!("   message:        {e}");
        }
    }
    if tenant._emulator.is_some() {
        mfa_walkthrough(&client).await?;
    }
    println!("\nDone.");
    Ok(())
}
