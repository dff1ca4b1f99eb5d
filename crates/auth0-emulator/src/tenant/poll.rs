//! What CIBA ([`crate::endpoints::ciba`]) and the device flow ([`crate::endpoints::device`]) share:
//! a request that the client polls at the token endpoint until the user answers it. [`PollState`]
//! keeps one request's poll bookkeeping and decides each poll ([`PollState::poll`]); [`PollWords`]
//! holds what the two flows say differently on the wire.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use crate::tenant::error::OAuthError;

/// How much `slow_down` adds to a request's interval, in seconds (RFC 8628 §3.5; CIBA does
/// the same).
pub(crate) const SLOW_DOWN_STEP: u64 = 5;

/// Where the user stands on a polled request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UserAnswer {
    /// Not answered yet.
    Pending,
    /// Approved: the next poll gets tokens.
    Approved,
    /// Refused.
    Denied,
}

/// What one poll gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// The request's tokens were already handed out.
    AlreadyRedeemed,
    /// The request has expired.
    Expired,
    /// Polled sooner than the interval after the previous poll: the raised interval, in
    /// seconds.
    SlowDown(u64),
    /// The user has not answered yet.
    Pending,
    /// The user refused.
    Denied,
    /// The user approved: hand out the tokens (the request is now redeemed).
    Issue,
}

/// The poll bookkeeping of one request.
#[derive(Clone, Debug)]
pub(crate) struct PollState {
    /// When the request stops being usable.
    pub expires_at: Instant,
    /// The last poll that was not refused outright (or the start, before any poll).
    last_poll: Instant,
    /// The current poll interval, in seconds (0 turns `slow_down` off).
    pub interval: u64,
    /// Whether the request's tokens were already handed out.
    pub redeemed: bool,
    /// Every poll, in order (answered or not).
    pub polls: Vec<Instant>,
}

impl PollState {
    /// A request started at `now`, usable for `lifetime`, to be polled every `interval`
    /// seconds.
    pub(crate) fn new(now: Instant, lifetime: Duration, interval: u64) -> Self {
        Self {
            expires_at: now + lifetime,
            last_poll: now,
            interval,
            redeemed: false,
            polls: Vec::new(),
        }
    }

    /// Whether the request has expired at `now`.
    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }

    /// Records a poll at `now` and decides it, given where the user stands. In order: a
    /// redeemed request stays redeemed, an expired one expired; a poll sooner than the interval
    /// after the previous one gets `slow_down` (and raises the interval) whatever the user
    /// answered; then the answer decides, and an approval is handed out once.
    pub(crate) fn poll(&mut self, now: Instant, answer: UserAnswer) -> PollOutcome {
        self.polls.push(now);
        if self.redeemed {
            return PollOutcome::AlreadyRedeemed;
        }
        if self.is_expired(now) {
            return PollOutcome::Expired;
        }
        let since_last = now.duration_since(self.last_poll);
        self.last_poll = now;
        if since_last < Duration::from_secs(self.interval) {
            self.interval = self.interval.saturating_add(SLOW_DOWN_STEP);
            return PollOutcome::SlowDown(self.interval);
        }
        match answer {
            UserAnswer::Pending => PollOutcome::Pending,
            UserAnswer::Denied => PollOutcome::Denied,
            UserAnswer::Approved => {
                self.redeemed = true;
                PollOutcome::Issue
            }
        }
    }
}

/// What a flow says when a poll gets no tokens. Everything else is the same for both flows:
/// `403 invalid_grant` for a redeemed request, `400 authorization_pending`, and `400
/// slow_down` with the raised `interval` in the body.
#[derive(Debug)]
pub(crate) struct PollWords {
    /// The `invalid_grant` description for a request whose tokens were already handed out.
    pub redeemed: &'static str,
    /// The status and `expired_token` description for an expired request.
    pub expired: (StatusCode, &'static str),
    /// The `authorization_pending` description.
    pub pending: &'static str,
    /// The status and `access_denied` description for a refused request.
    pub denied: (StatusCode, &'static str),
}

impl PollOutcome {
    /// `Ok` for [`PollOutcome::Issue`], else the error the poll is answered with, worded by
    /// `words`.
    pub(crate) fn into_result(self, words: &PollWords) -> Result<(), OAuthError> {
        let (status, error, description) = match self {
            Self::Issue => return Ok(()),
            Self::AlreadyRedeemed => return Err(OAuthError::invalid_grant(words.redeemed)),
            Self::SlowDown(interval) => {
                return Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "slow_down",
                    format!(
                        "You are polling faster than allowed. Wait {interval} seconds between \
                         polls."
                    ),
                )
                .with("interval", Value::from(interval)));
            }
            Self::Expired => (words.expired.0, "expired_token", words.expired.1),
            Self::Pending => (
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                words.pending,
            ),
            Self::Denied => (words.denied.0, "access_denied", words.denied.1),
        };
        Err(OAuthError::new(status, error, description))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PollOutcome as Out;
    use UserAnswer as User;

    /// A request started at `start`, usable for 60 s, with a clock in seconds from `start`.
    struct Request {
        start: Instant,
        state: PollState,
    }

    impl Request {
        fn new(interval: u64) -> Self {
            let start = crate::tenant::clock::now();
            let state = PollState::new(start, Duration::from_secs(60), interval);
            Self { start, state }
        }

        fn at(&self, secs: u64) -> Instant {
            self.start + Duration::from_secs(secs)
        }

        fn poll(&mut self, secs: u64, answer: UserAnswer) -> PollOutcome {
            let now = self.at(secs);
            self.state.poll(now, answer)
        }
    }

    #[test]
    fn pending_until_answered_and_every_poll_is_recorded() {
        let mut r = Request::new(5);
        assert_eq!(r.poll(5, User::Pending), Out::Pending);
        assert_eq!(r.poll(10, User::Pending), Out::Pending);
        assert_eq!(r.state.polls, vec![r.at(5), r.at(10)]);
        assert_eq!(r.state.interval, 5);
        assert!(!r.state.redeemed);
    }

    #[test]
    fn slow_down_raises_the_interval_and_restarts_the_wait() {
        let mut r = Request::new(5);
        assert_eq!(r.poll(4, User::Pending), Out::SlowDown(10));
        assert_eq!(r.state.interval, 10);
        // The wait counts from the refused poll, against the raised interval.
        assert_eq!(r.poll(13, User::Pending), Out::SlowDown(15));
        assert_eq!(r.poll(28, User::Pending), Out::Pending);
        assert_eq!(r.state.interval, 15);
        assert_eq!(r.state.polls.len(), 3);
    }

    #[test]
    fn slow_down_comes_before_the_answer() {
        let mut r = Request::new(5);
        assert_eq!(r.poll(0, User::Approved), Out::SlowDown(10));
        assert!(!r.state.redeemed);
        assert_eq!(r.poll(0, User::Denied), Out::SlowDown(15));
    }

    #[test]
    fn a_zero_interval_never_slows_down() {
        let mut r = Request::new(0);
        for _ in 0..3 {
            assert_eq!(r.poll(0, User::Pending), Out::Pending);
        }
        assert_eq!(r.state.interval, 0);
    }

    #[test]
    fn expired_from_the_expiry_on() {
        let mut r = Request::new(5);
        assert!(!r.state.is_expired(r.at(59)));
        assert!(r.state.is_expired(r.at(60)));
        assert_eq!(r.poll(60, User::Approved), Out::Expired);
        // Expiry wins over slow_down and leaves the interval alone.
        assert_eq!(r.poll(60, User::Pending), Out::Expired);
        assert_eq!(r.state.interval, 5);
        assert!(!r.state.redeemed);
        assert_eq!(r.state.polls.len(), 2);
    }

    #[test]
    fn denied_stays_denied() {
        let mut r = Request::new(5);
        assert_eq!(r.poll(5, User::Denied), Out::Denied);
        assert_eq!(r.poll(10, User::Denied), Out::Denied);
        assert!(!r.state.redeemed);
    }

    #[test]
    fn approved_is_issued_once_then_redeemed() {
        let mut r = Request::new(5);
        assert_eq!(r.poll(5, User::Approved), Out::Issue);
        assert!(r.state.redeemed);
        // Redeemed wins over slow_down and expiry.
        assert_eq!(r.poll(6, User::Approved), Out::AlreadyRedeemed);
        assert_eq!(r.poll(120, User::Approved), Out::AlreadyRedeemed);
        assert_eq!(r.state.interval, 5);
        assert_eq!(r.state.polls.len(), 3);
    }

    #[test]
    fn outcomes_are_answered_in_the_flows_words() {
        let words = PollWords {
            redeemed: "used",
            expired: (StatusCode::FORBIDDEN, "gone"),
            pending: "wait",
            denied: (StatusCode::BAD_REQUEST, "no"),
        };
        let error = |outcome: PollOutcome| match outcome.into_result(&words) {
            Ok(()) => None,
            Err(e) => Some((e.status, e.error, e.description, e.extra)),
        };
        assert_eq!(error(Out::Issue), None);
        let cases = [
            (Out::AlreadyRedeemed, 403, "invalid_grant", "used"),
            (Out::Expired, 403, "expired_token", "gone"),
            (Out::Pending, 400, "authorization_pending", "wait"),
            (Out::Denied, 400, "access_denied", "no"),
        ];
        for (outcome, status, code, description) in cases {
            let (s, e, d, extra) = error(outcome).expect("an error");
            assert_eq!((s.as_u16(), e, d.as_str()), (status, code, description));
            assert!(extra.is_empty());
        }
        let (s, e, d, extra) = error(Out::SlowDown(15)).expect("an error");
        assert_eq!((s, e), (StatusCode::BAD_REQUEST, "slow_down"));
        assert_eq!(
            d,
            "You are polling faster than allowed. Wait 15 seconds between polls."
        );
        assert_eq!(extra.get("interval"), Some(&Value::from(15)));
    }
}
