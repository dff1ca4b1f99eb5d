//! Helpers that several crates' integration tests share, and nothing else: never a dependency
//! of a library crate.
//!
//! Some suites drive a pinned Node package next to ours (the interop provider, the Node
//! middleware whose verdicts `auth0-api` is compared with, the Node web-app SDK whose cookies
//! `auth0-server` reads). Each keeps a `package.json` and a committed `package-lock.json`;
//! [`ensure_npm_package`] installs them from the lockfile on a fresh clone, so that
//! `cargo test --workspace` works as is, and fails with a message that says what to do when
//! it cannot.
#![deny(missing_docs, unsafe_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `npm ci` may take before it is stopped.
pub const NPM_CI_DEADLINE: Duration = Duration::from_secs(300);

/// Makes sure `package` is installed in `dir/node_modules`, running `npm ci` in `dir` (from the
/// committed lockfile, at most [`NPM_CI_DEADLINE`]) when it is missing. The npm program can be
/// overridden with the `INTEROP_NPM` environment variable.
pub fn ensure_npm_package(dir: &Path, package: &str) -> Result<(), String> {
    if dir.join("node_modules").join(package).is_dir() {
        return Ok(());
    }
    npm_ci(dir, package)?;
    if dir.join("node_modules").join(package).is_dir() {
        Ok(())
    } else {
        Err(format!(
            "`npm ci` in {} finished but {package} is not in node_modules",
            dir.display()
        ))
    }
}

/// Runs `npm ci` in `dir`, waiting at most [`NPM_CI_DEADLINE`].
pub fn npm_ci(dir: &Path, package: &str) -> Result<(), String> {
    let npm = std::env::var_os("INTEROP_NPM").unwrap_or_else(|| "npm".into());
    npm_ci_with(&npm, dir, package)
}

fn npm_ci_with(npm: &std::ffi::OsStr, dir: &Path, package: &str) -> Result<(), String> {
    eprintln!(
        "installing the pinned {package} with `npm ci` in {}",
        dir.display()
    );
    let mut child = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            format!(
                "{package} is not installed in {} and npm ({npm:?}) could not run ({e}): \
                 install Node.js 20+ and run `npm ci` there",
                dir.display()
            )
        })?;
    let deadline = Instant::now() + NPM_CI_DEADLINE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(format!(
                    "`npm ci` in {} failed ({status}); run it by hand to see why",
                    dir.display()
                ));
            }
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`npm ci` in {} did not finish in {} s",
                    dir.display(),
                    NPM_CI_DEADLINE.as_secs()
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npm_that_cannot_run_is_a_clear_error() {
        let dir = std::env::temp_dir();
        let err = npm_ci_with("/nonexistent/npm".as_ref(), &dir, "left-pad").unwrap_err();
        assert!(err.contains("could not run"), "{err}");
        assert!(err.contains("npm ci"), "{err}");
    }

    #[test]
    fn a_failing_npm_is_a_clear_error() {
        let dir = std::env::temp_dir();
        let err = npm_ci_with("false".as_ref(), &dir, "left-pad").unwrap_err();
        assert!(err.contains("failed"), "{err}");
    }

    #[test]
    fn an_installed_package_needs_no_npm() {
        let dir = std::env::temp_dir().join(format!("auth0-test-support-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("node_modules/left-pad")).unwrap();
        assert_eq!(ensure_npm_package(&dir, "left-pad"), Ok(()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
