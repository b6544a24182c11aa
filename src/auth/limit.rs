//! Fair use: each key's rate limit, as a GCRA (generic cell rate algorithm) held in this
//! process and reconciled with the other replicas through Redis.
//!
//! A key's policy is `rate_per_minute` and `burst`: one unit of budget comes back every
//! `60 s / rate_per_minute` (the *emission interval*), and at most `burst` units are held.
//! The state of a key is one number, its *theoretical arrival time* (TAT): the time at which
//! its bucket would be full again. A request of cost `n` conforms when
//! `max(TAT, now) + n · interval − now ≤ burst · interval`, and then moves the TAT there.
//!
//! The request path only touches this process's memory: a few atomic operations on the key's
//! own [`KeyBudget`] (no lock is held across an await, and one key's state never blocks
//! another's). What each key spent here since the last reconciliation is counted on the side;
//! [`crate::store::limits`] pushes it to Redis every few milliseconds, where one shared TAT
//! per key advances by every replica's spend, and brings back how far that shared TAT is
//! ahead of Redis's clock. [`merged_tat`] then moves the local TAT forward to it, so each
//! replica charges itself for what the others spent. Keys with at least half their burst
//! left here are reconciled every [`RELAXED_EVERY`] intervals only, so that Redis's work
//! follows the keys near their limit, not every key in use.
//!
//! # The error across replicas
//!
//! With `N` replicas, a reconciliation interval `s` and a Redis round trip `d`, a replica
//! admits a request knowing every unit spent anywhere except what the other replicas spent in
//! the last `s + d` and have not pushed yet. So over any window of length `W`, the cluster
//! admits at most
//!
//! ```text
//! max(N · burst, burst + rate · W) + (N − 1) · rate · (s + d)
//! ```
//!
//! where `burst + rate · W` is what one exact GCRA admits. The `N · burst` term is the one
//! transient: when a key goes from idle to a flood on every replica at once, each may spend
//! its burst (the first half of it reconciled only every [`RELAXED_EVERY`] intervals) before
//! hearing of the others. Everything spent is charged, so that excess is
//! debt: the replicas refuse until the key's TAT is back within its burst, and over any
//! window longer than `(N − 1) · burst / rate` (6 s for the platform default with two
//! replicas) it has been paid back. The last term is below one request for every default
//! policy (`s` = 5 ms, `d` < 1 ms). Spend pushed to Redis is charged at Redis's time of the
//! push, up to `s` after it happened, which errs on the side of admitting less.
//!
//! While Redis is unreachable each replica keeps limiting on its own spend alone (fail open to
//! a per-replica limit); spend made meanwhile is not pushed later, so a Redis outage never
//! turns into a wave of refusals when it ends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::Role;

/// Nanoseconds in a minute.
const MINUTE_NS: u64 = 60_000_000_000;
/// Nanoseconds in a second.
const SECOND_NS: u64 = 1_000_000_000;
/// How stale a key's `last_used` may be.
const LAST_USED_GRAIN_NS: u64 = 10_000_000;
/// Shards of the key map; a request holds one shard's lock only to find its key's budget.
const SHARDS: usize = 16;
/// A key used within this long is reconciled also when this replica spent nothing for it, so
/// that it learns what the other replicas spent.
pub const HOT_FOR: Duration = Duration::from_secs(2);
/// Keys with at least half their burst left are reconciled only every this many intervals
/// (the others every interval), which keeps Redis's load low for keys far from their limit.
pub const RELAXED_EVERY: u64 = 10;
/// Units charged per started group of this many lines of a batch or NDJSON load (on top of
/// the one unit of the request itself).
pub const LINES_PER_UNIT: u64 = 100;
/// Round-trip margin added, with the reconciliation interval, to the waits a refusal tells.
const RECONCILE_MARGIN: Duration = Duration::from_millis(5);
/// The name of the quota policy in the `RateLimit-Policy` and `RateLimit` fields.
pub const POLICY_NAME: &str = "key";

/// A key's rate limit: `rate_per_minute` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePolicy {
    /// Units per minute, sustained (at least 1).
    pub rate_per_minute: u32,
    /// Units that may be spent at once (at least 1).
    pub burst: u32,
}

impl RatePolicy {
    /// The default policy of a role (API.md); admin keys have none.
    pub fn for_role(role: Role) -> Option<RatePolicy> {
        let (rate_per_minute, burst) = match role {
            Role::Platform => (6000, 600),
            Role::Authority => (1200, 120),
            Role::Registry => (600, 60),
            Role::Operator => (120, 20),
            Role::Steward => (60, 10),
            Role::Admin => return None,
        };
        Some(RatePolicy {
            rate_per_minute,
            burst,
        })
    }

    /// Nanoseconds for one unit to come back.
    pub fn emission_ns(self) -> u64 {
        MINUTE_NS / u64::from(self.rate_per_minute.max(1))
    }

    /// How far ahead of now the TAT may be after a conforming request.
    pub fn tolerance_ns(self) -> u64 {
        self.emission_ns() * u64::from(self.burst.max(1))
    }

    /// The `RateLimit-Policy` field value (draft-ietf-httpapi-ratelimit-headers-11): the
    /// burst as the quota, and as the window the whole seconds it takes to come back, which
    /// together also state the sustained rate: `"key";q=600;w=6` for 6000 a minute.
    pub fn header_value(self) -> String {
        let window = self.tolerance_ns().div_ceil(SECOND_NS).max(1);
        format!("\"{POLICY_NAME}\";q={};w={window}", self.burst)
    }
}

/// What a limit check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Within the limit.
    Allowed {
        /// Whole units that may still be spent now.
        remaining: u64,
        /// Seconds until the full burst is available again.
        reset_secs: u64,
    },
    /// Over the limit.
    Refused {
        /// Whole seconds (at least 1) until a request of the same cost conforms.
        retry_after_secs: u64,
    },
}

impl Decision {
    /// The `RateLimit` field value: `"key";r=<remaining>;t=<seconds>`. Refused answers carry
    /// `r=0` with `t` equal to `Retry-After`, the time within which nothing more is admitted.
    pub fn header_value(self) -> String {
        match self {
            Decision::Allowed {
                remaining,
                reset_secs,
            } => format!("\"{POLICY_NAME}\";r={remaining};t={reset_secs}"),
            Decision::Refused { retry_after_secs } => {
                format!("\"{POLICY_NAME}\";r=0;t={retry_after_secs}")
            }
        }
    }
}

/// The GCRA step: the new TAT when `cost` units conform at `now`, or the nanoseconds until
/// they would.
pub fn admit(tat: u64, now: u64, cost: u64, policy: RatePolicy) -> Result<u64, u64> {
    let new_tat = tat
        .max(now)
        .saturating_add(cost.saturating_mul(policy.emission_ns()));
    let ahead = new_tat - now;
    if ahead <= policy.tolerance_ns() {
        Ok(new_tat)
    } else {
        Err(ahead - policy.tolerance_ns())
    }
}

/// Charges `cost` units whatever the budget: the TAT may go past the burst (debt), and the
/// key is refused until it is back within it.
pub fn charge(tat: u64, now: u64, cost: u64, policy: RatePolicy) -> u64 {
    tat.max(now)
        .saturating_add(cost.saturating_mul(policy.emission_ns()))
}

/// Whole units that may be spent at `now`.
pub fn remaining(tat: u64, now: u64, policy: RatePolicy) -> u64 {
    let ahead = tat.saturating_sub(now);
    policy.tolerance_ns().saturating_sub(ahead) / policy.emission_ns()
}

/// Whole seconds until the full burst is back.
pub fn reset_secs(tat: u64, now: u64) -> u64 {
    tat.saturating_sub(now).div_ceil(SECOND_NS)
}

/// Whole seconds, at least 1, for a wait of `wait_ns`.
pub fn retry_after_secs(wait_ns: u64) -> u64 {
    wait_ns.div_ceil(SECOND_NS).max(1)
}

/// Reconciliation: the local TAT after Redis answered that the shared TAT is `remote_ahead_ns`
/// ahead of its clock. The shared TAT holds every replica's pushed spend but not the
/// `unpushed` units spent here since the push, so those are added; the local TAT already
/// holds them and this replica's own pushed spend, so the later of the two is kept and
/// nothing is counted twice. It never moves back, so a Redis that lost its data never
/// forgives spend this replica knows of.
pub fn merged_tat(
    local_tat: u64,
    now: u64,
    remote_ahead_ns: u64,
    unpushed: u64,
    policy: RatePolicy,
) -> u64 {
    let remote = now
        .saturating_add(remote_ahead_ns)
        .saturating_add(unpushed.saturating_mul(policy.emission_ns()));
    local_tat.max(remote)
}

/// Units a batch of `lines` lines costs beyond the request itself.
pub fn extra_units_for_lines(lines: u64) -> u64 {
    lines / LINES_PER_UNIT
}

/// One key's budget in this process.
#[derive(Debug)]
pub struct KeyBudget {
    /// The key's id (see [`super::KeyEntry::key_id`]), naming its shared state in Redis.
    id: String,
    /// The theoretical arrival time, in nanoseconds of [`Limiter`]'s clock.
    tat: AtomicU64,
    /// Units spent here and not yet pushed to Redis.
    unpushed: AtomicU64,
    /// When the key was last checked (admitted or refused), same clock.
    last_used: AtomicU64,
    /// The policy's rate and burst as of the last check (rate in the high half).
    policy: AtomicU64,
    /// Whether the last check left less than half the burst (or refused): such keys are
    /// reconciled every interval.
    tight: AtomicBool,
}

impl KeyBudget {
    fn new(id: String) -> KeyBudget {
        KeyBudget {
            id,
            tat: AtomicU64::new(0),
            unpushed: AtomicU64::new(0),
            last_used: AtomicU64::new(0),
            policy: AtomicU64::new(0),
            tight: AtomicBool::new(false),
        }
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn remember(&self, policy: RatePolicy, now: u64) {
        let packed = (u64::from(policy.rate_per_minute) << 32) | u64::from(policy.burst);
        if self.policy.load(Ordering::Relaxed) != packed {
            self.policy.store(packed, Ordering::Relaxed);
        }
        // Coarse on purpose: a store on every request would bounce the cache line between
        // cores for nothing (hotness is judged in seconds).
        if now.saturating_sub(self.last_used.load(Ordering::Relaxed)) > LAST_USED_GRAIN_NS {
            self.last_used.store(now, Ordering::Relaxed);
        }
    }

    fn policy(&self) -> Option<RatePolicy> {
        let packed = self.policy.load(Ordering::Relaxed);
        let rate_per_minute = (packed >> 32) as u32;
        (rate_per_minute > 0).then_some(RatePolicy {
            rate_per_minute,
            burst: packed as u32,
        })
    }

    /// Spends `cost` units if they conform; a refusal's wait is told `slack_ns` longer.
    fn check(&self, cost: u64, policy: RatePolicy, now: u64, slack_ns: u64) -> Decision {
        self.remember(policy, now);
        let mut tat = self.tat.load(Ordering::Acquire);
        loop {
            match admit(tat, now, cost, policy) {
                Ok(new_tat) => {
                    match self.tat.compare_exchange_weak(
                        tat,
                        new_tat,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => {
                            self.unpushed.fetch_add(cost, Ordering::Relaxed);
                            let remaining = remaining(new_tat, now, policy);
                            let tight = remaining < u64::from(policy.burst) / 2;
                            if self.tight.load(Ordering::Relaxed) != tight {
                                self.tight.store(tight, Ordering::Relaxed);
                            }
                            return Decision::Allowed {
                                remaining,
                                reset_secs: reset_secs(new_tat, now),
                            };
                        }
                        Err(current) => tat = current,
                    }
                }
                Err(wait) => {
                    self.tight.store(true, Ordering::Relaxed);
                    return Decision::Refused {
                        retry_after_secs: retry_after_secs(wait.saturating_add(slack_ns)),
                    };
                }
            }
        }
    }

    /// Spends `cost` units whatever the budget (see [`charge`]).
    fn charge(&self, cost: u64, policy: RatePolicy, now: u64) {
        self.remember(policy, now);
        let mut tat = self.tat.load(Ordering::Acquire);
        loop {
            let new_tat = charge(tat, now, cost, policy);
            match self
                .tat
                .compare_exchange_weak(tat, new_tat, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(current) => tat = current,
            }
        }
        self.unpushed.fetch_add(cost, Ordering::Relaxed);
        self.tight.store(true, Ordering::Relaxed);
    }
}

/// One key's spend on its way to Redis.
#[derive(Debug, Clone)]
pub struct Push {
    /// The key's budget here.
    pub budget: Arc<KeyBudget>,
    /// Units spent here since the last push (0: only learn the others' spend).
    pub units: u64,
    /// Nanoseconds per unit under the key's policy.
    pub emission_ns: u64,
    policy: RatePolicy,
}

/// Every key's budget in this process; cheap to clone.
#[derive(Debug, Clone)]
pub struct Limiter(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    started: Instant,
    /// Added to each refusal's wait: reconciliation may move a TAT this much later (spend
    /// is charged in Redis when it is pushed, not when it happened), and `Retry-After` must
    /// not send a client back too early.
    slack_ns: u64,
    shards: Vec<Mutex<HashMap<[u8; 32], Arc<KeyBudget>>>>,
}

/// A [`Limiter`] that does not keep it alive (for its reconciliation task).
#[derive(Debug, Clone)]
pub struct WeakLimiter(Weak<Inner>);

impl WeakLimiter {
    /// The limiter, while anything else still holds it.
    pub fn upgrade(&self) -> Option<Limiter> {
        self.0.upgrade().map(Limiter)
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(Duration::ZERO)
    }
}

impl Limiter {
    /// A limiter reconciled every `reconcile_every` (which, with a margin for the round trip,
    /// is added to the waits it tells).
    pub fn new(reconcile_every: Duration) -> Limiter {
        let slack = reconcile_every + RECONCILE_MARGIN;
        Limiter(Arc::new(Inner {
            started: Instant::now(),
            slack_ns: u64::try_from(slack.as_nanos()).unwrap_or(u64::MAX),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }))
    }

    /// A handle that does not keep the limiter alive.
    pub fn downgrade(&self) -> WeakLimiter {
        WeakLimiter(Arc::downgrade(&self.0))
    }

    /// Nanoseconds on this limiter's monotonic clock.
    pub fn now(&self) -> u64 {
        u64::try_from(self.0.started.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The budget of the key with `digest`, made on first use with the key id `id` gives.
    pub fn budget(&self, digest: &[u8; 32], id: impl FnOnce() -> String) -> Arc<KeyBudget> {
        let shard = &self.0.shards[usize::from(digest[0]) % SHARDS];
        let mut map = match shard.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::clone(
            map.entry(*digest)
                .or_insert_with(|| Arc::new(KeyBudget::new(id()))),
        )
    }

    /// Spends `cost` units of `budget` if they conform to `policy`.
    pub fn check(&self, budget: &KeyBudget, cost: u64, policy: RatePolicy) -> Decision {
        budget.check(cost, policy, self.now(), self.0.slack_ns)
    }

    /// Spends `cost` units of `budget` whatever is left (a batch's lines, counted as they
    /// arrive): the key may go into debt.
    pub fn charge(&self, budget: &KeyBudget, cost: u64, policy: RatePolicy) {
        budget.charge(cost, policy, self.now());
    }

    /// The keys to reconcile now: every key with unpushed spend, and every key used within
    /// [`HOT_FOR`]; with `relaxed_too` false, only those of them that were left with less
    /// than half their burst. Their unpushed spend is taken; pass Redis's answer to
    /// [`Limiter::merge`], or drop it when Redis could not be reached.
    pub fn take_pushes(&self, relaxed_too: bool) -> Vec<Push> {
        let now = self.now();
        let hot_since = now.saturating_sub(u64::try_from(HOT_FOR.as_nanos()).unwrap_or(0));
        let mut pushes = Vec::new();
        for shard in &self.0.shards {
            let budgets: Vec<Arc<KeyBudget>> = match shard.lock() {
                Ok(map) => map.values().cloned().collect(),
                Err(poisoned) => poisoned.into_inner().values().cloned().collect(),
            };
            for budget in budgets {
                let Some(policy) = budget.policy() else {
                    continue;
                };
                let hot = budget.last_used.load(Ordering::Relaxed) >= hot_since;
                if !hot && budget.unpushed.load(Ordering::Relaxed) == 0 {
                    continue;
                }
                if !relaxed_too && !budget.tight.load(Ordering::Relaxed) {
                    continue;
                }
                let units = budget.unpushed.swap(0, Ordering::AcqRel);
                pushes.push(Push {
                    budget,
                    units,
                    emission_ns: policy.emission_ns(),
                    policy,
                });
            }
        }
        pushes
    }

    /// Applies Redis's answer for `push`: the shared TAT is `remote_ahead_ns` ahead of now.
    pub fn merge(&self, push: &Push, remote_ahead_ns: u64) {
        let budget = &push.budget;
        let now = self.now();
        let unpushed = budget.unpushed.load(Ordering::Acquire);
        let target = merged_tat(0, now, remote_ahead_ns, unpushed, push.policy);
        budget.tat.fetch_max(target, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLATFORM: RatePolicy = RatePolicy {
        rate_per_minute: 6000,
        burst: 600,
    };
    const STEWARD: RatePolicy = RatePolicy {
        rate_per_minute: 60,
        burst: 10,
    };

    #[test]
    fn role_defaults_are_those_of_the_contract() {
        let pairs: Vec<_> = Role::ALL
            .iter()
            .map(|r| RatePolicy::for_role(*r).map(|p| (p.rate_per_minute, p.burst)))
            .collect();
        assert_eq!(
            pairs,
            [
                Some((6000, 600)),
                Some((1200, 120)),
                Some((600, 60)),
                Some((120, 20)),
                Some((60, 10)),
                None
            ]
        );
    }

    #[test]
    fn a_fresh_key_may_spend_its_burst_at_once_and_no_more() {
        let now = 5 * SECOND_NS;
        let mut tat = 0;
        for _ in 0..10 {
            tat = admit(tat, now, 1, STEWARD).expect("within the burst");
        }
        let wait = admit(tat, now, 1, STEWARD).unwrap_err();
        // One unit comes back each second.
        assert_eq!(wait, SECOND_NS);
        assert_eq!(retry_after_secs(wait), 1);
        assert_eq!(remaining(tat, now, STEWARD), 0);
        assert_eq!(reset_secs(tat, now), 10);
    }

    #[test]
    fn the_sustained_rate_is_the_emission_interval() {
        // A request every 10 ms, for a minute, all conform at 6000 a minute with no burst.
        let policy = RatePolicy {
            rate_per_minute: 6000,
            burst: 1,
        };
        let mut tat = 0;
        let mut admitted = 0;
        for step in 0..12_000u64 {
            let now = step * 5_000_000; // every 5 ms: twice the rate
            if let Ok(new) = admit(tat, now, 1, policy) {
                tat = new;
                admitted += 1;
            }
        }
        assert_eq!(admitted, 6000);
    }

    #[test]
    fn over_a_window_one_gcra_admits_the_burst_plus_the_rate() {
        let mut tat = 0;
        let mut admitted = 0u64;
        // A flood of a request every 100 µs for 30 s, both ends included.
        for step in 0..=300_000u64 {
            if let Ok(new) = admit(tat, step * 100_000, 1, PLATFORM) {
                tat = new;
                admitted += 1;
            }
        }
        assert_eq!(admitted, 600 + 3000);
    }

    #[test]
    fn a_charge_may_go_into_debt_and_the_key_waits_it_out() {
        let now = 0;
        let tat = charge(0, now, 101, STEWARD);
        assert_eq!(tat, 101 * SECOND_NS);
        let wait = admit(tat, now, 1, STEWARD).unwrap_err();
        assert_eq!(retry_after_secs(wait), 92);
        assert!(admit(tat, 92 * SECOND_NS, 1, STEWARD).is_ok());
        assert_eq!(remaining(tat, now, STEWARD), 0);
    }

    #[test]
    fn retry_after_is_a_whole_second_at_least() {
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(SECOND_NS), 1);
        assert_eq!(retry_after_secs(SECOND_NS + 1), 2);
    }

    #[test]
    fn headers_follow_the_draft_syntax() {
        assert_eq!(PLATFORM.header_value(), "\"key\";q=600;w=6");
        assert_eq!(STEWARD.header_value(), "\"key\";q=10;w=10");
        let odd = RatePolicy {
            rate_per_minute: 7,
            burst: 1,
        };
        assert_eq!(odd.header_value(), "\"key\";q=1;w=9");
        assert_eq!(
            Decision::Allowed {
                remaining: 3,
                reset_secs: 2
            }
            .header_value(),
            "\"key\";r=3;t=2"
        );
        assert_eq!(
            Decision::Refused {
                retry_after_secs: 4
            }
            .header_value(),
            "\"key\";r=0;t=4"
        );
    }

    #[test]
    fn batches_cost_one_unit_per_hundred_lines() {
        assert_eq!(extra_units_for_lines(0), 0);
        assert_eq!(extra_units_for_lines(99), 0);
        assert_eq!(extra_units_for_lines(100), 1);
        assert_eq!(extra_units_for_lines(10_000), 100);
    }

    #[test]
    fn merging_adds_the_others_spend_and_never_counts_ours_twice() {
        let now = 100 * SECOND_NS;
        // Here: 3 units spent and pushed; the others spent 5 more. Redis's shared TAT is
        // 8 units ahead; 2 units were spent here after the push.
        let local = charge(0, now, 3 + 2, STEWARD);
        let merged = merged_tat(local, now, 8 * SECOND_NS, 2, STEWARD);
        assert_eq!(merged, now + 10 * SECOND_NS);
        // Redis knows less than this replica (it restarted empty): keep what we know.
        assert_eq!(merged_tat(local, now, 0, 2, STEWARD), local);
        // An idle shared key changes nothing.
        assert_eq!(merged_tat(local, now, 0, 0, STEWARD), local);
    }

    #[test]
    fn two_replicas_reconciling_stay_within_the_documented_bound() {
        // Two replicas share a flood of a request every 1 ms each, reconciling every 5 ms
        // through a model of the shared TAT; over 60 s they admit at most
        // max(2 · burst, burst + rate · W) + rate · s.
        let policy = PLATFORM;
        let interval = 5_000_000u64;
        let mut shared: u64 = 0;
        let mut local = [0u64; 2];
        let mut unpushed = [0u64; 2];
        let mut admitted = 0u64;
        let step = 1_000_000u64;
        let end = 60 * SECOND_NS;
        let mut now = 0;
        while now < end {
            for (tat, spent) in local.iter_mut().zip(unpushed.iter_mut()) {
                if let Ok(new) = admit(*tat, now, 1, policy) {
                    *tat = new;
                    *spent += 1;
                    admitted += 1;
                }
            }
            if now.is_multiple_of(interval) {
                for (tat, spent) in local.iter_mut().zip(unpushed.iter_mut()) {
                    shared = charge(shared, now, *spent, policy);
                    *spent = 0;
                    *tat = merged_tat(*tat, now, shared.saturating_sub(now), 0, policy);
                }
            }
            now += step;
        }
        let exact = 600 + 6000;
        let bound = exact + 6000 * 5 / 1000;
        assert!(admitted <= bound, "{admitted} > {bound}");
        assert!(admitted >= exact * 95 / 100, "{admitted}");
    }

    #[test]
    fn limiter_keeps_one_budget_per_key_and_reports_spend_once() {
        let limiter = Limiter::default();
        let a = limiter.budget(&[1; 32], || "a".to_owned());
        let b = limiter.budget(&[2; 32], || "b".to_owned());
        for _ in 0..10 {
            assert!(matches!(
                limiter.check(&a, 1, STEWARD),
                Decision::Allowed { .. }
            ));
        }
        assert!(matches!(
            limiter.check(&a, 1, STEWARD),
            Decision::Refused { .. }
        ));
        // Another key is untouched by the first one's excess.
        assert!(matches!(
            limiter.check(&b, 1, STEWARD),
            Decision::Allowed { remaining: 9, .. }
        ));
        // Only the key near its limit is reconciled on every interval.
        let tight = limiter.take_pushes(false);
        assert_eq!(tight.len(), 1);
        assert_eq!((tight[0].budget.id(), tight[0].units), ("a", 10));
        let pushes = limiter.take_pushes(true);
        let units: HashMap<&str, u64> = pushes.iter().map(|p| (p.budget.id(), p.units)).collect();
        assert_eq!(units["a"], 0);
        assert_eq!(units["b"], 1);
        // Spend is taken once; hot keys stay listed with nothing to push.
        assert!(limiter.take_pushes(true).iter().all(|p| p.units == 0));
        assert!(Arc::ptr_eq(
            &limiter.budget(&[1; 32], || "a".to_owned()),
            &a
        ));
    }

    #[test]
    fn merged_spend_of_other_replicas_refuses_here() {
        let limiter = Limiter::default();
        let a = limiter.budget(&[1; 32], || "a".to_owned());
        assert!(matches!(
            limiter.check(&a, 1, STEWARD),
            Decision::Allowed { .. }
        ));
        let pushes = limiter.take_pushes(true);
        // The others spent the rest of the burst.
        limiter.merge(&pushes[0], 10 * SECOND_NS);
        assert!(matches!(
            limiter.check(&a, 1, STEWARD),
            Decision::Refused { .. }
        ));
    }
}
