//! A command-line sign-in with the device flow (RFC 8628): the program shows a code, the user
//! approves it in a browser on any other device, and the program polls until the tokens come.
//!
//! ```text
//! cargo run --example device_flow
//! ```
//!
//! With no `AUTH0_DOMAIN` in the environment it starts the local tenant emulator in-process and
//! plays the user itself: it opens the emulator's activation page over HTTP and approves the
//! code with the demo user's credentials, as a person would in their browser. Against a real
//! tenant, set `AUTH0_DOMAIN` and `AUTH0_CLIENT_ID` (a native application with the Device
//! Code grant enabled; no secret needed) and approve the code yourself.

use std::env;
use std::error::Error as StdError;

use auth0_auth::{AuthClient, DeviceAuthorization, DeviceAuthorizationRequest, TokenResponse};

/// The errors of this example.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// The scope a CLI usually asks for: who the user is, and a refresh token to stay signed in.
pub const SCOPE: &str = "openid profile email offline_access";

/// Starts a device authorization, hands it to `show` (print the code, or play the user), and
/// waits until the user approves (tokens) or denies or the code expires (an error).
pub async fn run(
    client: &AuthClient,
    show: impl FnOnce(&DeviceAuthorization),
) -> Result<TokenResponse, BoxError> {
    let started = client
        .start_device_authorization(DeviceAuthorizationRequest::new().scope(SCOPE))
        .await?;
    show(&started);
    // Polls at the announced interval, backing off on `slow_down`, until an answer.
    let tokens = client.poll_device_authorization(&started).await?;
    Ok(tokens)
}

/// What a CLI prints for the user.
pub fn instructions(started: &DeviceAuthorization) -> String {
    let mut text = format!(
        "Open {} and enter the code {}",
        started.verification_uri, started.user_code
    );
    if let Some(complete) = &started.verification_uri_complete {
        text.push_str(&format!("\n(or open {complete} directly)"));
    }
    text.push_str(&format!(
        "\nThe code expires in {} seconds.",
        started.expires_in
    ));
    text
}

/// Plays the user on the local tenant emulator: submits its activation form (the page at
/// `verification_uri`) with a user's credentials and approves `user_code`.
pub async fn approve_on_emulator(
    verification_uri: &str,
    user_code: &str,
    username: &str,
    password: &str,
) -> Result<(), BoxError> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("user_code", user_code)
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

/// Who signed in, from the validated ID token.
pub fn signed_in_as(tokens: &TokenResponse) -> String {
    tokens
        .claims
        .as_ref()
        .and_then(|c| c.email().or(c.sub()))
        .unwrap_or("(no ID token)")
        .to_string()
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    if let Ok(domain) = env::var("AUTH0_DOMAIN") {
        let client_id = env::var("AUTH0_CLIENT_ID").map_err(|_| "set AUTH0_CLIENT_ID too")?;
        let client = AuthClient::builder(&domain, &client_id).build()?;
        let tokens = run(&client, |started| println!("{}", instructions(started))).await?;
        println!("Signed in as {}.", signed_in_as(&tokens));
        return Ok(());
    }

    use auth0_emulator::{Emulator, demo};
    let emulator = Emulator::builder()
        .demo_tenant()
        .device_interval(1)
        .start()
        .await?;
    println!(
        "No AUTH0_DOMAIN set: started the local tenant emulator at {}.",
        emulator.base_url()
    );
    let client = AuthClient::builder(emulator.base_url(), demo::PUBLIC_CLIENT_ID).build()?;
    let tokens = run(&client, |started| {
        println!("{}", instructions(started));
        println!("Playing the user: approving the code on the activation page…");
        let (uri, code) = (started.verification_uri.clone(), started.user_code.clone());
        tokio::spawn(async move {
            if let Err(e) = approve_on_emulator(&uri, &code, demo::USERNAME, demo::PASSWORD).await {
                eprintln!("could not approve the code: {e}");
            }
        });
    })
    .await?;
    println!("Signed in as {}.", signed_in_as(&tokens));
    println!(
        "A refresh token to stay signed in: {}",
        if tokens.refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    );
    Ok(())
}
