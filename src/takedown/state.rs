//! The takedown state machine: one table of allowed transitions. Anything not in the table is
//! refused (409 `conflict` at the API).
//!
//! ```text
//! received ─route→ routed ─┬─ to registry ─→ pending_review ─suspend→ suspended ─revoke→ revoked
//!                          │                      │  └─revoke→ revoked     │ └─reinstate→ reinstated
//!                          │                      └─reject→ rejected       └─suspend (extend)
//!                          └─ to operators ─→ blocked ─withdraw→ lifted
//! withdraw: received | routed | pending_review | suspended → withdrawn
//! a withdrawn suspension leaves the registry a reinstatement task: withdrawn ─reinstate→ reinstated
//! ```
//!
//! A withdrawal lifts enforcement: a block is lifted (`blocked → lifted`, the entry leaves the
//! operators' list); a suspension is withdrawn and the registry reinstates the name.
//! The end of a suspension applies `revoke` when the authority asked for revocation and
//! `reinstate` otherwise.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a takedown request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Accepted and queued; no worker has handled it yet.
    Received,
    /// Resolved and given its channel.
    Routed,
    /// In the registry's (VNNIC's) queue.
    PendingReview,
    /// The registry suspended the domain for a time.
    Suspended,
    /// The registry revoked the domain (final).
    Revoked,
    /// The registry restored the domain (final).
    Reinstated,
    /// The registry declined the request (final).
    Rejected,
    /// On the operators' blocklist.
    Blocked,
    /// Taken off the operators' blocklist (final).
    Lifted,
    /// Withdrawn by the requesting authority (final).
    Withdrawn,
}

/// Every state, for listings and tests.
pub const ALL_STATES: [State; 10] = [
    State::Received,
    State::Routed,
    State::PendingReview,
    State::Suspended,
    State::Revoked,
    State::Reinstated,
    State::Rejected,
    State::Blocked,
    State::Lifted,
    State::Withdrawn,
];

impl State {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Routed => "routed",
            State::PendingReview => "pending_review",
            State::Suspended => "suspended",
            State::Revoked => "revoked",
            State::Reinstated => "reinstated",
            State::Rejected => "rejected",
            State::Blocked => "blocked",
            State::Lifted => "lifted",
            State::Withdrawn => "withdrawn",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<State> {
        ALL_STATES.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether no event leads anywhere from here, except the registry's reinstatement of a
    /// withdrawn suspension.
    pub fn is_final(self) -> bool {
        !TRANSITIONS
            .iter()
            .any(|(from, event, _)| *from == self && *event == Event::Withdraw)
            && !matches!(self, State::Received | State::Routed)
    }

    /// Whether the registry (VNNIC) works on requests in this state.
    pub fn is_registry(self) -> bool {
        matches!(
            self,
            State::PendingReview
                | State::Suspended
                | State::Revoked
                | State::Reinstated
                | State::Rejected
                | State::Withdrawn
        )
    }
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A worker resolved the target and chose the channel.
    Route,
    /// The request enters the registry's queue.
    ToRegistry,
    /// The target goes on the operators' blocklist.
    ToOperators,
    /// The registry suspends the domain (or extends a suspension).
    Suspend,
    /// The registry revokes the domain (or a suspension ends in revocation).
    Revoke,
    /// The registry declines.
    Reject,
    /// The registry restores the domain (or a suspension ends).
    Reinstate,
    /// The requesting authority withdraws the request.
    Withdraw,
}

/// The allowed transitions: `(from, event, to)`.
pub const TRANSITIONS: &[(State, Event, State)] = &[
    (State::Received, Event::Route, State::Routed),
    (State::Routed, Event::ToRegistry, State::PendingReview),
    (State::Routed, Event::ToOperators, State::Blocked),
    (State::PendingReview, Event::Suspend, State::Suspended),
    (State::Suspended, Event::Suspend, State::Suspended),
    (State::PendingReview, Event::Revoke, State::Revoked),
    (State::Suspended, Event::Revoke, State::Revoked),
    (State::PendingReview, Event::Reject, State::Rejected),
    (State::Suspended, Event::Reinstate, State::Reinstated),
    (State::Withdrawn, Event::Reinstate, State::Reinstated),
    (State::Received, Event::Withdraw, State::Withdrawn),
    (State::Routed, Event::Withdraw, State::Withdrawn),
    (State::PendingReview, Event::Withdraw, State::Withdrawn),
    (State::Suspended, Event::Withdraw, State::Withdrawn),
    (State::Blocked, Event::Withdraw, State::Lifted),
];

/// Where `event` leads from `from`, if it is allowed.
pub fn next(from: State, event: Event) -> Option<State> {
    TRANSITIONS
        .iter()
        .find(|(f, e, _)| *f == from && *e == event)
        .map(|(_, _, to)| *to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in ALL_STATES {
            assert_eq!(State::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!(State::parse("blocked "), None);
    }

    #[test]
    fn the_table_is_the_api_diagram() {
        use State::*;
        assert_eq!(next(Received, Event::Route), Some(Routed));
        assert_eq!(next(Routed, Event::ToRegistry), Some(PendingReview));
        assert_eq!(next(Routed, Event::ToOperators), Some(Blocked));
        assert_eq!(next(PendingReview, Event::Suspend), Some(Suspended));
        assert_eq!(next(Suspended, Event::Revoke), Some(Revoked));
        assert_eq!(next(Suspended, Event::Reinstate), Some(Reinstated));
        assert_eq!(next(PendingReview, Event::Reject), Some(Rejected));
        assert_eq!(next(Blocked, Event::Withdraw), Some(Lifted));
        assert_eq!(next(Received, Event::Withdraw), Some(Withdrawn));
        // Nothing skips a step or leaves a final state, and no event is allowed twice.
        assert_eq!(next(Received, Event::ToRegistry), None);
        assert_eq!(next(PendingReview, Event::Reinstate), None);
        assert_eq!(next(Rejected, Event::Suspend), None);
        assert_eq!(next(Blocked, Event::Suspend), None);
        for state in [Revoked, Reinstated, Rejected, Lifted, Withdrawn] {
            assert!(state.is_final(), "{state:?}");
            assert_eq!(next(state, Event::Withdraw), None, "{state:?}");
        }
        for state in [Received, Routed, PendingReview, Suspended, Blocked] {
            assert!(!state.is_final(), "{state:?}");
            assert!(next(state, Event::Withdraw).is_some(), "{state:?}");
        }
        for (i, (f, e, _)) in TRANSITIONS.iter().enumerate() {
            let again = TRANSITIONS[i + 1..]
                .iter()
                .any(|(f2, e2, _)| f2 == f && e2 == e);
            assert!(!again, "{f:?} {e:?} twice");
        }
    }
}
