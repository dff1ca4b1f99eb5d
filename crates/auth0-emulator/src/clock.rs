//! The tenant's clock: the real clock plus an offset tests can move forward (the control API's
//! `POST /__emulator/clock/advance`, [`RunningEmulator::advance_clock`](crate::RunningEmulator::advance_clock)).
//! Every expiry in the emulator reads time through [`now`] or [`now_secs`], so advancing the
//! clock expires tokens, codes, sessions and pending requests as waiting would.
//!
//! The offset is one per process: the standalone binary runs one tenant, and in-process tests
//! that run in parallel should not move it. Imports nothing from the crate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How far the clock was moved forward, in milliseconds.
static OFFSET_MS: AtomicU64 = AtomicU64::new(0);

/// Moves the clock forward by `by` (saturating).
pub(crate) fn advance(by: Duration) {
    let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
    let _ = OFFSET_MS.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
        Some(o.saturating_add(ms))
    });
}

/// How far the clock was moved forward so far.
pub(crate) fn offset() -> Duration {
    Duration::from_millis(OFFSET_MS.load(Ordering::SeqCst))
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
    fn the_offset_only_grows() {
        // Other unit tests read the clock too, so only relative checks here.
        let before = offset();
        advance(Duration::ZERO);
        assert_eq!(offset(), before);
        let real = Instant::now();
        assert!(now() >= real);
        assert!(now_secs() >= before.as_secs());
    }
}
