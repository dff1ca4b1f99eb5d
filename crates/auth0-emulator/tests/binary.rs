//! The `auth0-emulator` binary starts the demo tenant and prints where it is.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{http, within};

/// Kills the child process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_the_demo_tenant() {
    within(async {
        let mut child = Running(
            Command::new(env!("CARGO_BIN_EXE_auth0-emulator"))
                .args(["--port", "0", "--issuer", "https://tenant.example.com/"])
                .stdout(Stdio::piped())
                .spawn()
                .expect("the binary starts"),
        );
        let stdout = child.0.stdout.take().expect("stdout");
        let lines = tokio::task::spawn_blocking(move || {
            BufReader::new(stdout)
                .lines()
                .take(9)
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
        let base_url = lines[0].rsplit(' ').next().unwrap().to_owned();
        assert!(base_url.starts_with("http://127.0.0.1:"), "{lines:?}");
        assert!(
            lines[1].ends_with("https://tenant.example.com/"),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains(auth0_emulator::demo::CLIENT_SECRET))
        );

        let doc: serde_json::Value = http()
            .get(format!("{base_url}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["issuer"], "https://tenant.example.com/");
        // The banner's reader is gone (it stopped after 9 lines): the tenant still serves.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let again = http()
            .get(format!("{base_url}/.well-known/jwks.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "the binary is still running"
        );
        drop(child);
    })
    .await;
}

#[tokio::test]
async fn bad_arguments_are_refused() {
    let child = Command::new(env!("CARGO_BIN_EXE_auth0-emulator"))
        .args(["--port", "not-a-port"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let output = within(tokio::task::spawn_blocking(move || {
        child.wait_with_output()
    }))
    .await
    .unwrap()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage"));
}
