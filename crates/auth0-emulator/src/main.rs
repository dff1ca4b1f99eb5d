//! `auth0-emulator [--port N] [--issuer URL] [--token-alg RS256|ES256] [--demo]`: runs a local Auth0-compatible tenant
//! (the demo tenant) until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use auth0_emulator::{Emulator, TokenSigningAlg, demo};

const USAGE: &str = "usage: auth0-emulator [--port N] [--issuer URL] [--token-alg ALG] [--demo]\n\
    Runs a local Auth0-compatible tenant on 127.0.0.1 until Ctrl-C.\n\
    --port N      listen on port N (default: any free port)\n\
    --issuer URL  advertise URL as the issuer instead of http://127.0.0.1:PORT/\n\
    --token-alg A sign access and ID tokens with RS256 (the default) or ES256\n\
    --demo        serve the quickstart tenant (the default)";

#[tokio::main]
async fn main() -> ExitCode {
    let mut builder = Emulator::builder();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse::<u16>().ok()) {
                Some(port) => builder = builder.port(port),
                None => return fail("--port needs a number between 0 and 65535"),
            },
            "--issuer" => match args.next() {
                Some(issuer) => builder = builder.issuer(&issuer),
                None => return fail("--issuer needs a URL"),
            },
            "--token-alg" => match args.next().as_deref() {
                Some("RS256") => builder = builder.token_signing_alg(TokenSigningAlg::RS256),
                Some("ES256") => builder = builder.token_signing_alg(TokenSigningAlg::ES256),
                _ => return fail("--token-alg needs RS256 or ES256"),
            },
            "--demo" => builder = builder.demo_tenant(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return fail(&format!("unknown argument: {other}")),
        }
    }
    if !builder.has_clients() {
        builder = builder.demo_tenant();
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(e) => return fail(&format!("could not start: {e}")),
    };
    println!("auth0-emulator listening on {}", emulator.base_url());
    println!("issuer:                {}", emulator.issuer());
    println!(
        "confidential client:   {} / {}",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET
    );
    println!("public client:         {}", demo::PUBLIC_CLIENT_ID);
    println!(
        "API audience:          {} ({})",
        demo::AUDIENCE,
        demo::SCOPES.join(" ")
    );
    println!(
        "user:                  {} / {}",
        demo::USERNAME,
        demo::PASSWORD
    );
    println!(
        "MFA user:              {} / {}",
        demo::MFA_USERNAME,
        demo::PASSWORD
    );
    println!(
        "organization:          {} ({})",
        demo::ORGANIZATION_ID,
        demo::ORGANIZATION_NAME
    );
    println!("press Ctrl-C to stop");
    stop_signal().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("cannot wait for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

fn fail(message: &str) -> ExitCode {
    eprintln!("auth0-emulator: {message}\n{USAGE}");
    ExitCode::from(2)
}
