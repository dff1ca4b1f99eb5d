//! The device-flow sign-in of `device_flow.rs`, written with the blocking client (cargo feature
//! `blocking`) for programs without an async runtime.
//!
//! ```text
//! cargo run --example device_flow_blocking
//! ```
//!
//! With no `AUTH0_DOMAIN` in the environment it starts the local tenant emulator (on a runtime
//! of its own, in the background) and plays the user through the emulator's activation page.
//! Against a real tenant, set `AUTH0_DOMAIN` and `AUTH0_CLIENT_ID` (a native application with
//! the Device Code grant enabled) and approve the code yourself.

use std::env;
use std::error::Error as StdError;

use auth0_auth::blocking::AuthClient;
use auth0_auth::{DeviceAuthorization, DeviceAuthorizationRequest, TokenResponse};

/// The errors of this example.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// The scope a CLI usually asks for: who the user is, and a refresh token to stay signed in.
pub const SCOPE: &str = "openid profile email offline_access";

/// Starts a device authorization, hands it to `show` (print the code, or play the user), and
/// blocks until the user approves (tokens) or denies or the code expires (an error).
pub fn run(
    client: &AuthClient,
    show: impl FnOnce(&DeviceAuthorization),
) -> Result<TokenResponse, BoxError> {
    let started =
        client.start_device_authorization(DeviceAuthorizationRequest::new().scope(SCOPE))?;
    show(&started);
    let tokens = client.poll_device_authorization(&started)?;
    Ok(tokens)
}

/// Plays the user on the local tenant emulator: submits its activation form (the page at
/// `verification_uri`) with a user's credentials and approves `user_code`.
pub async fn approve_on_emulator(
    verification_uri: String,
    user_code: String,
    username: &str,
    password: &str,
) -> Result<(), BoxError> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("user_code", &user_code)
        .append_pair("username", username)
        .append_pair("password", password)
        .append_pair("action", "approve")
        .finish();
    let page = auth0_auth::reqwest::Client::new()
        .post(verification_uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?
        .text()
        .await?;
    if page.contains("Device approved") {
        Ok(())
    } else {
        Err("the activation page did not approve the code".into())
    }
}

fn main() -> Result<(), BoxError> {
    if let Ok(domain) = env::var("AUTH0_DOMAIN") {
        let client_id = env::var("AUTH0_CLIENT_ID").map_err(|_| "set AUTH0_CLIENT_ID too")?;
        let client = auth0_auth::AuthClient::builder(&domain, &client_id).build_blocking()?;
        let tokens = run(&client, |started| {
            println!(
                "Open {} and enter the code {}",
                started.verification_uri, started.user_code
            );
        })?;
        println!("Signed in: {}", tokens.claims.is_some());
        return Ok(());
    }

    use auth0_emulator::{Emulator, demo};
    // The emulator is async: it runs on a runtime of its own while this thread blocks.
    let runtime = tokio::runtime::Runtime::new()?;
    let emulator =
        runtime.block_on(Emulator::builder().demo_tenant().device_interval(1).start())?;
    println!(
        "No AUTH0_DOMAIN set: started the local tenant emulator at {}.",
        emulator.base_url()
    );
    let client = auth0_auth::AuthClient::builder(emulator.base_url(), demo::PUBLIC_CLIENT_ID)
        .build_blocking()?;
    let tokens = run(&client, |started| {
        println!(
            "Open {} and enter the code {}",
            started.verification_uri, started.user_code
        );
        println!("Playing the user: approving the code on the activation page…");
        let approval = approve_on_emulator(
            started.verification_uri.clone(),
            started.user_code.clone(),
            demo::USERNAME,
            demo::PASSWORD,
        );
        runtime.spawn(async move {
            if let Err(e) = approval.await {
                eprintln!("could not approve the code: {e}");
            }
        });
    })?;
    println!(
        "Signed in as {}.",
        tokens
            .claims
            .as_ref()
            .and_then(|c| c.email())
            .unwrap_or("-")
    );
    Ok(())
}
