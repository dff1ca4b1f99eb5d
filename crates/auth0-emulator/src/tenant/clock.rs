//! The tenant's clock: the real clock plus an offset that tests move forward (the control API's
//! `POST /__emulator/clock/advance`,
//! [`RunningEmulator::advance_clock`](crate::RunningEmulator::advance_clock)). Every expiry in
//! the emulator reads time through [`now`] or [`now_secs`], so advancing the clock expires
//! tokens, codes, sessions and pending requests as waiting would.
//!
//! Each tenant has its own offset ([`ClockOffset`], kept in the shared state), so emulators in
//! one process (tests running in parallel) never move each other's clocks. The router runs every
//! request inside [`scope`] with its tenant's offset, and the test handle's helpers that read
//! time do the same with [`sync_scope`]; code running outside any scope (a background task) reads
//! the real clock.
//!
//! Imports nothing from the crate.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How far one tenant's clock was moved forward, in milliseconds.
#[derive(Debug, Default)]
pub(crate) struct ClockOffset(AtomicU64);

impl ClockOffset {
    /// Moves the clock forward by `by` (saturating).
    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(ms))
            });
    }

    /// How far the clock was moved forward so far.
    pub(crate) fn get(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst))
    }

    /// Back to the real clock (the control API's reset).
    pub(crate) fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

tokio::task_local! {
    static CURRENT: Arc<ClockOffset>;
}

/// Runs `work` with `offset` as the clock of everything it reads through [`now`].
pub(crate) async fn scope<F: Future>(offset: Arc<ClockOffset>, work: F) -> F::Output {
    CURRENT.scope(offset, work).await
}

/// [`scope`] for synchronous work (the test handle's helpers).
pub(crate) fn sync_scope<R>(offset: Arc<ClockOffset>, work: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(offset, work)
}

/// The offset of the tenant whose work is running (zero outside any scope).
pub(crate) fn offset() -> Duration {
    CURRENT.try_with(|o| o.get()).unwrap_or_default()
}

/// The monotonic "now": [`Instant::now`] plus the offset (the real now if adding overflows).
pub(crate) fn now() -> Instant {
    let real = Instant::now();
    real.checked_add(offset()).unwrap_or(real)
}

/// Seconds since the Unix epoch, plus the offset.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
        .saturating_add(offset().as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scope_reads_its_own_offset() {
        let moved = Arc::new(ClockOffset::default());
        moved.advance(Duration::from_secs(3_600));
        let still = Arc::new(ClockOffset::default());
        let real = now_secs();
        let ahead = sync_scope(moved.clone(), now_secs);
        let not_ahead = sync_scope(still, now_secs);
        assert!(ahead >= real + 3_600, "{ahead} vs {real}");
        assert!(not_ahead < real + 3_600);
        // Outside any scope: the real clock.
        assert!(now_secs() < real + 3_600);
        assert_eq!(
            sync_scope(moved.clone(), offset),
            Duration::from_secs(3_600)
        );
        moved.reset();
        assert_eq!(moved.get(), Duration::ZERO);
    }

    #[tokio::test]
    async fn an_async_scope_carries_the_offset_across_awaits() {
        let moved = Arc::new(ClockOffset::default());
        moved.advance(Duration::from_secs(60));
        let seen = scope(moved, async {
            tokio::task::yield_now().await;
            offset()
        })
        .await;
        assert_eq!(seen, Duration::from_secs(60));
    }
}
