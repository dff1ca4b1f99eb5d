//! The background warm-up: the one-time costs of a process's first HTTPS request, started on a
//! thread of its own when a client is built, so a program that builds its client early and
//! calls later finds them paid.
//!
//! Two costs, each paid once per process by whoever comes first (this thread or the first
//! request; the other then finds it done, or waits for the one run in progress):
//!
//! - aws-lc's random generator seeds itself on its first use from CPU jitter entropy, which
//!   takes tens of milliseconds; every TLS handshake and every signature needs it;
//! - the system's CA roots are read and parsed into the platform verifier
//!   ([`crate::http::platform_verifier`]).
//!
//! Nothing here can fail the caller: if the thread cannot be started, or a step fails, the
//! first request does the work (and reports any failure) as it would have anyway.
//!
//! May import: `crate::http` (the roots load), aws-lc-rs (the generator) and `tracing`.

use std::sync::Once;

/// Starts the warm-up on a background thread and returns at once: the generator's seeding, and
/// the CA roots load when `with_roots` (the builder's own HTTP client, which uses them, is in
/// play). Each step is started at most once per process, however often this is called.
pub(crate) fn start(with_roots: bool) {
    static SEED: Once = Once::new();
    static ROOTS: Once = Once::new();
    let mut seed = false;
    SEED.call_once(|| seed = true);
    let mut roots = false;
    if with_roots {
        ROOTS.call_once(|| roots = true);
    }
    if !seed && !roots {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("auth0-auth-warm-up".to_string())
        .spawn(move || run(seed, roots));
    if let Err(e) = spawned {
        // Harmless: the first request pays these costs instead.
        tracing::debug!(error = %e, "could not start the warm-up thread");
    }
}

/// The steps, in the order a first handshake needs them: randomness for the ClientHello, then
/// the roots to check the server's certificate.
fn run(seed: bool, roots: bool) {
    if seed {
        seed_random_generator();
        #[cfg(test)]
        counts::SEEDED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    if roots {
        let _ = crate::http::platform_verifier();
        #[cfg(test)]
        counts::ROOTS_LOADED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Draws one byte from aws-lc's generator, which seeds it. A failure is ignored here: the
/// request that really needs randomness reports it.
fn seed_random_generator() {
    let mut byte = [0u8; 1];
    let _ = aws_lc_rs::rand::fill(&mut byte);
}

/// How often each step ran, for the tests.
#[cfg(test)]
mod counts {
    use std::sync::atomic::AtomicUsize;

    pub(super) static SEEDED: AtomicUsize = AtomicUsize::new(0);
    pub(super) static ROOTS_LOADED: AtomicUsize = AtomicUsize::new(0);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn each_step_runs_once_however_often_it_is_started() {
        let starters: Vec<_> = (0..8)
            .map(|i| std::thread::spawn(move || start(i % 2 == 0)))
            .collect();
        for starter in starters {
            starter.join().unwrap();
        }
        start(true);
        // Bounded wait for the background thread; no timing is asserted.
        let deadline = Instant::now() + Duration::from_secs(30);
        while (counts::SEEDED.load(Ordering::SeqCst) == 0
            || counts::ROOTS_LOADED.load(Ordering::SeqCst) == 0)
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(counts::SEEDED.load(Ordering::SeqCst), 1);
        assert_eq!(counts::ROOTS_LOADED.load(Ordering::SeqCst), 1);
        // Started again after both ran: nothing more runs.
        start(true);
        start(false);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(counts::SEEDED.load(Ordering::SeqCst), 1);
        assert_eq!(counts::ROOTS_LOADED.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_generator_works_after_the_warm_up() {
        start(true);
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        aws_lc_rs::rand::fill(&mut a).unwrap();
        aws_lc_rs::rand::fill(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
