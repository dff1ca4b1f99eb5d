//! The warm-up thread itself, watched through `/proc/self/task` (Linux): `warm_up(false)` starts
//! no thread, the default starts one, and once it has run no later client starts another.
//!
//! One test in a binary of its own, so no other test's clients start the warm-up first in this
//! process. The waits are bounded polls; no timing is asserted.

#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use auth0_auth::{AuthClient, ClientCredentialsRequest};
use auth0_emulator::demo;
use common::{bounded, demo_tenant};

/// The warm-up thread's name as the kernel keeps it (cut to 15 bytes).
const THREAD_NAME: &str = "auth0-auth-warm";

/// How long a thread that should not appear is watched for.
const WATCH: Duration = Duration::from_millis(100);

/// How many live threads of this process bear the warm-up's name.
fn warm_up_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == THREAD_NAME)
        .count()
}

/// Whether a warm-up thread shows up within `within` (polled every 100 µs).
fn warm_up_thread_seen(within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if warm_up_threads() > 0 {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Waits (bounded) until no warm-up thread is left.
fn wait_for_warm_up_to_end() {
    let deadline = Instant::now() + common::LIMIT;
    while warm_up_threads() > 0 {
        assert!(
            Instant::now() < deadline,
            "the warm-up thread did not end within the test's bound"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn the_warm_up_starts_one_thread_once_and_none_when_turned_off() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let tenant = runtime.block_on(demo_tenant());
    let builder = || {
        AuthClient::builder(tenant.base_url(), demo::CLIENT_ID).client_secret(demo::CLIENT_SECRET)
    };
    let token = |client: &AuthClient| {
        runtime
            .block_on(bounded(client.get_token_by_client_credentials(
                ClientCredentialsRequest::new(demo::AUDIENCE),
            )))
            .expect("the grant succeeds");
    };

    // Off: no thread, and the client works.
    let off = builder().warm_up(false).build().expect("the client builds");
    assert!(
        !warm_up_thread_seen(WATCH),
        "warm_up(false) started the warm-up thread"
    );
    token(&off);
    assert!(!warm_up_thread_seen(WATCH));

    // On (the default): one thread.
    let on = builder().build().expect("the client builds");
    assert!(
        warm_up_thread_seen(common::LIMIT),
        "the default build started no warm-up thread"
    );
    assert_eq!(warm_up_threads(), 1);
    token(&on);
    wait_for_warm_up_to_end();

    // Once it has run, no later client starts it again.
    let again = builder().build().expect("the client builds");
    assert!(
        !warm_up_thread_seen(WATCH),
        "a later client started the warm-up again"
    );
    token(&again);
}
