//! `auth0-emulator`: runs a local Auth0-compatible tenant until Ctrl-C or SIGTERM — the demo
//! tenant, or one declared with `--config tenant.toml` and the one-line flags. `--help` lists
//! every option, the demo tenant's clients and users, and the control API. The command line
//! lives in `cli.rs`; this file starts the tenant and waits for a stop signal.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

mod cli;

#[tokio::main]
async fn main() -> ExitCode {
    let command = cli::Cli::command().after_help(cli::help_tail());
    let parsed = command
        .try_get_matches()
        .and_then(|m| cli::Cli::from_arg_matches(&m));
    let args = match parsed {
        Ok(args) => args,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 2,
            };
            let _ = e.print();
            if code != 0 {
                eprintln!("(usage: auth0-emulator --help)");
            }
            return ExitCode::from(code);
        }
    };
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(message) => return fail(&message),
    };
    let emulator = match plan.builder.start().await {
        Ok(emulator) => emulator,
        Err(e) => return fail(&format!("could not start: {e}")),
    };
    // A reader that stops after the first lines (a test, `| head`) must not stop the tenant:
    // a closed stdout is ignored rather than a panic.
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", cli::banner(&emulator, plan.demo)).and_then(|()| out.flush());
    }
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
    eprintln!("auth0-emulator: {message}\n(usage: auth0-emulator --help)");
    ExitCode::from(2)
}
