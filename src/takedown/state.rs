//! The takedown state machine: one table of allowed transitions. Anything not in the table is
//! refused (409 `conflict` at the API).
//!
//! ```text
//! received ─route→ routed ─┬─ to registry ─→ pending_review ─suspend→ suspended ─revoke→ revoked
//!                          │                      │  └─revoke→ revoked     │ └─reinstate→ reinstated
//!                          │                      └─reject→ rejected       └─suspend (extend)
//!                          ├─ to operators ─→ blocked ─withdraw→ lifted
//!                          ├─ to platform ──→ pending_platform ─┬─remove→ removed
//!                          │                                    ├─lock account→ account_locked
//!                          │                                    └─decline→ declined
//!                          └─ hold ─→ needs_review ─confirm→ routed (then registry or operators)
//! withdraw: received | routed | pending_review | suspended | pending_platform | needs_review → withdrawn
//! a withdrawn suspension leaves the registry a reinstatement task: withdrawn ─reinstate→ reinstated
//! ```
//!
//! `needs_review` is the collateral-damage guard: a target that is a platform's own domain, a
//! public suffix or shared infrastructure waits there, enforced nowhere, until an authority
//! confirms with `accept_collateral` (audited).
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
    /// A notice to the platform the target is on, waiting for its outcome.
    PendingPlatform,
    /// The platform removed the listing or content (final).
    Removed,
    /// The platform locked the seller's account (final).
    AccountLocked,
    /// The platform declined, with a reason (final).
    Declined,
    /// Held: enforcing it would hit more than the offender; waits for an authority's
    /// confirmation.
    NeedsReview,
}

/// Every state, for listings and tests.
pub const ALL_STATES: [State; 15] = [
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
    State::PendingPlatform,
    State::Removed,
    State::AccountLocked,
    State::Declined,
    State::NeedsReview,
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
            State::PendingPlatform => "pending_platform",
            State::Removed => "removed",
            State::AccountLocked => "account_locked",
            State::Declined => "declined",
            State::NeedsReview => "needs_review",
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

    /// Whether the registry's enforcement is in force for the name: under review, suspended
    /// or revoked (a name in one of these states is listed as enforced at the registry).
    pub fn is_enforced(self) -> bool {
        matches!(
            self,
            State::PendingReview | State::Suspended | State::Revoked
        )
    }

    /// Whether a platform's notice can be in this state.
    pub fn is_platform_notice(self) -> bool {
        matches!(
            self,
            State::PendingPlatform
                | State::Removed
                | State::AccountLocked
                | State::Declined
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
    /// A notice goes to the platform the target is on.
    ToPlatform,
    /// Enforcing it would hit more than the offender: hold for review.
    Hold,
    /// An authority accepts the collateral of a held request.
    Confirm,
    /// The platform removed the listing.
    Remove,
    /// The platform locked the account.
    LockAccount,
    /// The platform declined.
    Decline,
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
    (State::Routed, Event::ToPlatform, State::PendingPlatform),
    (State::Routed, Event::Hold, State::NeedsReview),
    (State::NeedsReview, Event::Confirm, State::Routed),
    (State::NeedsReview, Event::Withdraw, State::Withdrawn),
    (State::PendingPlatform, Event::Remove, State::Removed),
    (
        State::PendingPlatform,
        Event::LockAccount,
        State::AccountLocked,
    ),
    (State::PendingPlatform, Event::Decline, State::Declined),
    (State::PendingPlatform, Event::Withdraw, State::Withdrawn),
];

/// What moving a request from one state to another changes beside its own record (state,
/// history, audit entry), decided here and made by the store in the same atomic change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The request leaves the registry's list of requests in this state.
    LeaveRegistryList(State),
    /// The request enters the registry's list of requests in this state.
    EnterRegistryList(State),
    /// The registry's enforcement of the name starts ([`State::is_enforced`]).
    EnforceAtRegistry,
    /// The registry's enforcement of the name ends.
    EndRegistryEnforcement,
    /// The suspension's scheduled end no longer applies.
    CancelSuspensionEnd,
}

/// The effects of moving from `from` to `to` (after every step between). A withdrawn
/// suspension stays in the registry's list of withdrawn requests: the name must be reinstated.
pub fn effects(from: State, to: State) -> Vec<Effect> {
    let mut out = Vec::new();
    if from.is_registry() {
        out.push(Effect::LeaveRegistryList(from));
    }
    if to.is_registry() && (to != State::Withdrawn || from == State::Suspended) {
        out.push(Effect::EnterRegistryList(to));
    }
    match (from.is_enforced(), to.is_enforced()) {
        (false, true) => out.push(Effect::EnforceAtRegistry),
        (true, false) => out.push(Effect::EndRegistryEnforcement),
        _ => {}
    }
    if from == State::Suspended {
        out.push(Effect::CancelSuspensionEnd);
    }
    out
}

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
    fn effects_follow_the_registry_and_its_enforcement() {
        use Effect::*;
        use State::*;
        assert_eq!(
            effects(Routed, PendingReview),
            vec![EnterRegistryList(PendingReview), EnforceAtRegistry]
        );
        assert_eq!(
            effects(PendingReview, Suspended),
            vec![
                LeaveRegistryList(PendingReview),
                EnterRegistryList(Suspended)
            ]
        );
        // Extending a suspension re-lists it and replaces its scheduled end.
        assert_eq!(
            effects(Suspended, Suspended),
            vec![
                LeaveRegistryList(Suspended),
                EnterRegistryList(Suspended),
                CancelSuspensionEnd
            ]
        );
        assert_eq!(
            effects(Suspended, Withdrawn),
            vec![
                LeaveRegistryList(Suspended),
                EnterRegistryList(Withdrawn),
                EndRegistryEnforcement,
                CancelSuspensionEnd
            ]
        );
        // A request withdrawn before any decision leaves the registry's lists for good.
        assert_eq!(
            effects(PendingReview, Withdrawn),
            vec![LeaveRegistryList(PendingReview), EndRegistryEnforcement]
        );
        assert_eq!(
            effects(Withdrawn, Reinstated),
            vec![LeaveRegistryList(Withdrawn), EnterRegistryList(Reinstated)]
        );
        assert_eq!(effects(Routed, Blocked), vec![]);
        assert_eq!(effects(Blocked, Lifted), vec![]);
        assert!(Revoked.is_enforced() && !Reinstated.is_enforced() && !Blocked.is_enforced());
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
        assert_eq!(next(Routed, Event::ToPlatform), Some(PendingPlatform));
        assert_eq!(next(PendingPlatform, Event::Remove), Some(Removed));
        assert_eq!(
            next(PendingPlatform, Event::LockAccount),
            Some(AccountLocked)
        );
        assert_eq!(next(PendingPlatform, Event::Decline), Some(Declined));
        assert_eq!(next(NeedsReview, Event::Confirm), Some(Routed));
        // Nothing held is enforced without a confirmation, and a notice is never blocked.
        assert_eq!(next(NeedsReview, Event::ToOperators), None);
        assert_eq!(next(NeedsReview, Event::ToRegistry), None);
        assert_eq!(next(PendingPlatform, Event::ToOperators), None);
        assert_eq!(next(Removed, Event::Decline), None);
        for state in [
            Revoked,
            Reinstated,
            Rejected,
            Lifted,
            Withdrawn,
            Removed,
            AccountLocked,
            Declined,
        ] {
            assert!(state.is_final(), "{state:?}");
            assert_eq!(next(state, Event::Withdraw), None, "{state:?}");
        }
        for state in [
            Received,
            Routed,
            PendingReview,
            Suspended,
            Blocked,
            PendingPlatform,
            NeedsReview,
        ] {
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
