//! Takedown requests in Redis.
//!
//! A request is a hash (`request` JSON, `state`, `channel`, `agency`, `resolution`, …) with a
//! list of history entries beside it, from the first state change on (`received` is the
//! hash's own creation, so intake writes no list). Ids sort by time, so the indexes are sorted
//! sets with score 0 read by lexical range: every id, each agency's ids, and the registry's
//! requests by state. Every write is a [`Change`] that re-checks the state it was decided on.

use super::StoreResult;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::change::{Applied, Change, Cmd};
use super::{keys, Store};
use crate::takedown::platform::LockRecommendation;
use crate::takedown::state::{effects, Effect};
use crate::takedown::{
    Channel, HistoryEntry, Notice, State, Suspension, Takedown, TakedownRequest,
};

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL_SECS: u64 = 48 * 3600;
/// Ids read per index page while listing.
const LIST_PAGE: usize = 200;
/// Most ids examined by one listing call; the cursor continues from there.
const LIST_SCAN_MAX: usize = 10_000;

/// Field names of the request hash.
mod field {
    pub const REQUEST: &str = "request";
    pub const STATE: &str = "state";
    pub const CHANNEL: &str = "channel";
    pub const AGENCY: &str = "agency";
    pub const SUBMITTED_BY: &str = "submitted_by";
    pub const CREATED_AT: &str = "created_at";
    pub const UPDATED_AT: &str = "updated_at";
    pub const RESOLUTION: &str = "resolution";
    pub const SUSPEND_DAYS: &str = "suspend_days";
    pub const SUSPENDED_UNTIL: &str = "suspended_until";
    pub const REGISTRY_TASK: &str = "registry_task";
    pub const FINDINGS: &str = "findings";
    pub const PLATFORM: &str = "platform";
    pub const ACCOUNT: &str = "account";
    pub const NOTIFIED_AT: &str = "notified_at";
    pub const DUE_AT: &str = "due_at";
    pub const LOCK_RECOMMENDATION: &str = "lock_recommendation";
    pub const LOCK_DAYS: &str = "lock_days";
    pub const ACTED_AT: &str = "acted_at";
}

/// The key digest of an agency's index.
fn agency_digest(agency: &str) -> String {
    hex::encode(&Sha256::digest(agency.as_bytes())[..12])
}

/// The index an agency's requests are listed from (`None`: every request).
pub fn index_for(agency: Option<&str>) -> String {
    match agency {
        Some(agency) => keys::agency_index(&agency_digest(agency)),
        None => keys::takedown_index(),
    }
}

/// The idempotency record of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// Digest of the caller and its `Idempotency-Key`.
    pub key_digest: String,
    /// Digest of the canonical body.
    pub body_digest: String,
}

/// What [`submit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// The request is stored and queued.
    Created,
    /// The idempotency key was used before: for the body with `body_digest`, creating `id`.
    Repeat {
        /// The id created the first time.
        id: String,
        /// The body digest of the first time.
        body_digest: String,
    },
}

fn history_json(
    change: &mut Change,
    state: State,
    at: DateTime<Utc>,
    actor: &str,
    reason: Option<&str>,
) -> String {
    let entry = HistoryEntry {
        state,
        at,
        actor: actor.to_owned(),
        reason: reason.map(str::to_owned),
    };
    change.json("history entry", &entry)
}

/// Stores a new request, its indexes and intake queue entry, and its audit entry,
/// in one step; with `idempotency`, only if the key was not used before.
pub async fn submit(
    store: &Store,
    id: &str,
    request: &TakedownRequest,
    actor: crate::auth::Actor<'_>,
    agency: Option<&str>,
    idempotency: Option<&Idempotency>,
    now: DateTime<Utc>,
) -> StoreResult<Submitted> {
    let mut change = Change::new();
    if let Some(idem) = idempotency {
        let key = keys::idempotency(&idem.key_digest);
        change.require_absent(&key);
        let record = json!({"id": id, "body": idem.body_digest}).to_string();
        change.op(
            Cmd::Set,
            &key,
            [record, "EX".into(), IDEMPOTENCY_TTL_SECS.to_string()],
        );
    }
    let td = keys::takedown(id);
    let request_json = change.json("takedown request", request);
    let now_text = now.to_rfc3339();
    // Only what intake knows: no agency field without an agency, and no `updated_at` until
    // the first state change (it reads as `created_at` until then, see `parse_takedown`).
    let mut fields = vec![
        field::REQUEST,
        &request_json,
        field::STATE,
        State::Received.as_str(),
        field::SUBMITTED_BY,
        actor.name,
        field::CREATED_AT,
        &now_text,
    ];
    if let Some(agency) = agency {
        fields.extend([field::AGENCY, agency]);
    }
    change.op(Cmd::Hset, &td, fields);
    // No history entry: `received` is told by the record itself (see `parse_takedown`).
    change.index_add(&keys::takedown_index(), id);
    if let Some(agency) = agency {
        change.index_add(&index_for(Some(agency)), id);
    }
    change.op(Cmd::Xadd, &keys::intake_stream(), ["*", "id", id]);
    change.audit(
        actor,
        "takedown.submit",
        id,
        agency,
        &json!({
            "target": request.target_value,
            "target_type": request.target_type,
            "category": request.category,
            "legal_basis": request.legal_basis.document_number,
            "evidence_sha256": request.evidence.iter().map(|e| e.sha256.as_str()).collect::<Vec<_>>(),
        }),
    );
    match change.apply(store).await? {
        Applied::Done { .. } => Ok(Submitted::Created),
        Applied::Refused { current, .. } => {
            let record: Value = current
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or(Value::Null);
            Ok(Submitted::Repeat {
                id: record["id"].as_str().unwrap_or_default().to_owned(),
                body_digest: record["body"].as_str().unwrap_or_default().to_owned(),
            })
        }
    }
}

/// A state change to make.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    /// The request.
    pub id: &'a str,
    /// Its target's canonical value.
    pub target: &'a str,
    /// The state the change was decided on; the change is refused if it moved.
    pub from: State,
    /// The states passed through, the last being the new state.
    pub steps: Vec<State>,
    /// Who.
    pub actor: crate::auth::Actor<'a>,
    /// Why.
    pub reason: Option<&'a str>,
    /// The request's agency (for the audit entry).
    pub agency: Option<&'a str>,
    /// Fields to set besides state and time.
    pub set: Vec<(&'static str, String)>,
    /// Fields to delete.
    pub unset: Vec<&'static str>,
    /// Further fields that must still hold these values.
    pub require: Vec<(&'static str, String)>,
    /// The audit action (`takedown.route`, `takedown.decision`, …).
    pub action: &'static str,
    /// The audit details.
    pub details: Value,
    /// Queue a webhook delivery (a new registry request while the webhook is configured).
    pub notify_registry: bool,
    /// The end of a suspension entered, for the schedule.
    pub suspension_ends: Option<DateTime<Utc>>,
    /// What changes on the operators' blocklist with this step.
    pub blocklist: Option<BlocklistEdit>,
    /// What changes in the platforms' notice bookkeeping with this step.
    pub platform: Option<PlatformEdit>,
}

/// A change of a platform notice's bookkeeping made together with a state change.
#[derive(Debug, Clone)]
pub enum PlatformEdit {
    /// A new notice to `platform`, due at `due`.
    Notify {
        /// The platform.
        platform: String,
        /// When it is due.
        due: DateTime<Utc>,
    },
    /// The platform's outcome.
    Act {
        /// The platform.
        platform: String,
        /// The account the notice named.
        account: Option<String>,
        /// What it did.
        outcome: crate::takedown::platform::Outcome,
        /// Whether a lock is temporary.
        temporary_lock: bool,
        /// When the notice went out.
        notified_at: DateTime<Utc>,
    },
    /// The notice ends without an outcome (withdrawn).
    Close {
        /// The platform.
        platform: String,
    },
}

impl<'a> Transition<'a> {
    /// A step of `takedown` from its current state to `to` by `actor`, recorded as `action`;
    /// the other fields start empty.
    pub fn new(
        takedown: &'a Takedown,
        to: State,
        actor: impl Into<crate::auth::Actor<'a>>,
        action: &'static str,
    ) -> Transition<'a> {
        Transition {
            id: &takedown.id,
            target: &takedown.request.target_value,
            from: takedown.state,
            steps: vec![to],
            actor: actor.into(),
            reason: None,
            agency: takedown.agency.as_deref(),
            set: vec![],
            unset: vec![],
            require: vec![],
            action,
            details: json!({}),
            notify_registry: false,
            suspension_ends: None,
            blocklist: None,
            platform: None,
        }
    }
}

/// A blocklist change made together with a state change, given the holders read before.
#[derive(Debug, Clone)]
pub enum BlocklistEdit {
    /// The takedown puts its entry on the list.
    Add {
        /// The entry.
        entry: crate::takedown::blocklist::Entry,
        /// The value's holders when the step was decided.
        holders_before: String,
        /// Log retention.
        retention: u64,
    },
    /// The takedown's hold on the value ends.
    Remove {
        /// The value.
        value: String,
        /// The value's holders when the step was decided.
        holders_before: String,
        /// The active entry, if any.
        entry: Option<crate::takedown::blocklist::Entry>,
        /// Log retention.
        retention: u64,
    },
}

/// What [`transition`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transitioned {
    /// Done.
    Done,
    /// The request is no longer in the state (or condition) the change was decided on.
    Moved,
    /// The blocklist holders of the value changed meanwhile: decide again.
    HoldersMoved,
}

/// Makes a state change with its history, index, schedule and audit updates in one step.
pub async fn transition(
    store: &Store,
    t: &Transition<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Transitioned> {
    let Some(&to) = t.steps.last() else {
        return Ok(Transitioned::Done);
    };
    let td = keys::takedown(t.id);
    let mut change = Change::new();
    change.require_field_in(&td, field::STATE, &[t.from.as_str()]);
    for (name, value) in &t.require {
        change.require_field_in(&td, name, &[value.as_str()]);
    }
    let now_text = now.to_rfc3339();
    let mut set: Vec<String> = vec![
        field::STATE.into(),
        to.as_str().into(),
        field::UPDATED_AT.into(),
        now_text,
    ];
    for (name, value) in &t.set {
        set.push((*name).into());
        set.push(value.clone());
    }
    change.op(Cmd::Hset, &td, set);
    if !t.unset.is_empty() {
        change.op(Cmd::Hdel, &td, t.unset.iter().copied());
    }
    let history: Vec<String> = t
        .steps
        .iter()
        .map(|s| history_json(&mut change, *s, now, t.actor.name, t.reason))
        .collect();
    change.op(Cmd::Rpush, &keys::takedown_history(t.id), history);
    let pair = format!("{}\t{}", t.target, t.id);
    for effect in effects(t.from, to) {
        match effect {
            Effect::LeaveRegistryList(state) => {
                change.op(Cmd::Zrem, &keys::registry_index(state.as_str()), [t.id]);
            }
            Effect::EnterRegistryList(state) => {
                change.index_add(&keys::registry_index(state.as_str()), t.id);
            }
            Effect::EnforceAtRegistry => {
                change.index_add(&keys::registry_enforced(), &pair);
                change.op(
                    Cmd::Hincrby,
                    &keys::registry_enforced_version(),
                    ["version", "1"],
                );
            }
            Effect::EndRegistryEnforcement => {
                change.op(Cmd::Zrem, &keys::registry_enforced(), [pair.as_str()]);
                change.op(
                    Cmd::Hincrby,
                    &keys::registry_enforced_version(),
                    ["version", "1"],
                );
            }
            Effect::CancelSuspensionEnd => {
                change.op(Cmd::Zrem, &keys::suspension_schedule(), [t.id]);
            }
        }
    }
    if let Some(ends) = t.suspension_ends {
        let score = ends.timestamp_millis().to_string();
        change.op(
            Cmd::Zadd,
            &keys::suspension_schedule(),
            [score.as_str(), t.id],
        );
    }
    if t.notify_registry {
        let score = now.timestamp_millis().to_string();
        change.op(Cmd::Zadd, &keys::webhook_due(), [score.as_str(), t.id]);
    }
    let mut details = t.details.clone();
    if let Value::Object(map) = &mut details {
        map.insert("from".into(), json!(t.from));
        map.insert("to".into(), json!(to));
        if let Some(reason) = t.reason {
            map.insert("reason".into(), json!(reason));
        }
    }
    let holders_check = match &t.blocklist {
        None => None,
        Some(BlocklistEdit::Add {
            entry,
            holders_before,
            retention,
        }) => super::blocklist::add(&mut change, entry, holders_before, *retention, now),
        Some(BlocklistEdit::Remove {
            value,
            holders_before,
            entry,
            retention,
        }) => super::blocklist::remove(
            &mut change,
            value,
            t.id,
            holders_before,
            entry.as_ref(),
            *retention,
            now,
        ),
    };
    match &t.platform {
        None => {}
        Some(PlatformEdit::Notify { platform, due }) => {
            super::platforms::notify(&mut change, platform, t.id, *due)
        }
        Some(PlatformEdit::Act {
            platform,
            account,
            outcome,
            temporary_lock,
            notified_at,
        }) => super::platforms::act(
            &mut change,
            &super::platforms::Acting {
                platform,
                account: account.as_deref(),
                id: t.id,
                outcome: *outcome,
                temporary_lock: *temporary_lock,
                notified_at: *notified_at,
            },
            now,
        ),
        Some(PlatformEdit::Close { platform }) => {
            super::platforms::close(&mut change, platform, t.id)
        }
    }
    change.audit(t.actor, t.action, t.id, t.agency, &details);
    Ok(match change.apply(store).await? {
        Applied::Done { .. } => Transitioned::Done,
        Applied::Refused { index, .. } if Some(index) == holders_check => {
            Transitioned::HoldersMoved
        }
        Applied::Refused { .. } => Transitioned::Moved,
    })
}

/// Field helpers for [`Transition::set`] and [`Transition::require`].
pub mod fields {
    use super::field;
    /// The channel field.
    pub const CHANNEL: &str = field::CHANNEL;
    /// The resolution snapshot field.
    pub const RESOLUTION: &str = field::RESOLUTION;
    /// Suspension length in days.
    pub const SUSPEND_DAYS: &str = field::SUSPEND_DAYS;
    /// Suspension end (RFC 3339).
    pub const SUSPENDED_UNTIL: &str = field::SUSPENDED_UNTIL;
    /// Registry work left (`reinstate`).
    pub const REGISTRY_TASK: &str = field::REGISTRY_TASK;
    /// Why a request is held for review (JSON list of findings).
    pub const FINDINGS: &str = field::FINDINGS;
    /// The platform a notice went to.
    pub const PLATFORM: &str = field::PLATFORM;
    /// The account a notice names.
    pub const ACCOUNT: &str = field::ACCOUNT;
    /// When a notice went out (RFC 3339).
    pub const NOTIFIED_AT: &str = field::NOTIFIED_AT;
    /// When a notice is due (RFC 3339).
    pub const DUE_AT: &str = field::DUE_AT;
    /// The lock a notice recommends.
    pub const LOCK_RECOMMENDATION: &str = field::LOCK_RECOMMENDATION;
    /// The days of a temporary lock the platform reported.
    pub const LOCK_DAYS: &str = field::LOCK_DAYS;
    /// When the platform reported its outcome (RFC 3339).
    pub const ACTED_AT: &str = field::ACTED_AT;
}

fn parse_takedown(
    id: &str,
    hash: &HashMap<String, String>,
    history: &[String],
) -> Option<Takedown> {
    let get = |name: &str| hash.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let time = |name: &str| {
        get(name)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let request: TakedownRequest = serde_json::from_str(get(field::REQUEST)?).ok()?;
    let suspension = match (get(field::SUSPEND_DAYS), time(field::SUSPENDED_UNTIL)) {
        (Some(days), Some(ends_at)) => Some(Suspension {
            days: days.parse().ok()?,
            ends_at,
        }),
        _ => None,
    };
    let created_at = time(field::CREATED_AT)?;
    let submitted_by = get(field::SUBMITTED_BY).unwrap_or_default().to_owned();
    let mut entries: Vec<HistoryEntry> = history
        .iter()
        .filter_map(|h| serde_json::from_str(h).ok())
        .collect();
    // Intake writes no history entry: `received` is the record's own creation. (Requests
    // stored before that have it in the list already.)
    if entries.first().is_none_or(|e| e.state != State::Received) {
        entries.insert(
            0,
            HistoryEntry {
                state: State::Received,
                at: created_at,
                actor: submitted_by.clone(),
                reason: None,
            },
        );
    }
    let notice = get(field::PLATFORM).and_then(|platform| {
        Some(Notice {
            platform: platform.to_owned(),
            account: get(field::ACCOUNT).map(str::to_owned),
            notified_at: time(field::NOTIFIED_AT)?,
            due_at: time(field::DUE_AT)?,
            lock_recommendation: get(field::LOCK_RECOMMENDATION)
                .and_then(LockRecommendation::parse),
            lock_days: get(field::LOCK_DAYS).and_then(|d| d.parse().ok()),
            acted_at: time(field::ACTED_AT),
        })
    });
    let findings = get(field::FINDINGS)
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_default();
    Some(Takedown {
        id: id.to_owned(),
        state: State::parse(get(field::STATE)?)?,
        channel: get(field::CHANNEL).and_then(Channel::parse),
        agency: get(field::AGENCY).map(str::to_owned),
        submitted_by,
        request,
        resolution: get(field::RESOLUTION).and_then(|r| serde_json::from_str(r).ok()),
        suspension,
        registry_task: get(field::REGISTRY_TASK).map(str::to_owned),
        findings,
        notice,
        history: entries,
        created_at,
        updated_at: time(field::UPDATED_AT).unwrap_or(created_at),
    })
}

/// Loads requests by id, in order; missing ones are left out.
pub async fn load_many(store: &Store, ids: &[String]) -> StoreResult<Vec<Takedown>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.hgetall(keys::takedown(id))
            .lrange(keys::takedown_history(id), 0, -1);
    }
    let mut conn = store.conn();
    let replies: Vec<(HashMap<String, String>, Vec<String>)> = {
        let flat: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        let mut out = Vec::with_capacity(ids.len());
        let mut it = flat.into_iter();
        while let (Some(hash), Some(history)) = (it.next(), it.next()) {
            out.push((
                redis::from_redis_value(&hash)?,
                redis::from_redis_value(&history)?,
            ));
        }
        out
    };
    Ok(ids
        .iter()
        .zip(replies)
        .filter_map(|(id, (hash, history))| parse_takedown(id, &hash, &history))
        .collect())
}

/// Loads one request.
pub async fn load(store: &Store, id: &str) -> StoreResult<Option<Takedown>> {
    Ok(load_many(store, &[id.to_owned()]).await?.pop())
}

/// Requests from the lexical index `index` after `cursor` (exclusive), newest first when
/// `newest_first`, keeping those `keep` accepts, until `limit` are found. Returns them and the
/// cursor to continue from when more may follow.
pub async fn list(
    store: &Store,
    index: &str,
    cursor: Option<&str>,
    limit: usize,
    newest_first: bool,
    keep: impl Fn(&Takedown) -> bool,
) -> StoreResult<(Vec<Takedown>, Option<String>)> {
    let mut conn = store.conn();
    let mut after = cursor.map(str::to_owned);
    let mut found = Vec::new();
    let mut scanned = 0;
    loop {
        let bound = after
            .as_deref()
            .map(|c| format!("({c}"))
            .unwrap_or_else(|| if newest_first { "+" } else { "-" }.to_owned());
        let ids: Vec<String> = if newest_first {
            conn.zrevrangebylex_limit(index, &bound, "-", 0, LIST_PAGE as isize)
                .await?
        } else {
            conn.zrangebylex_limit(index, &bound, "+", 0, LIST_PAGE as isize)
                .await?
        };
        let full_page = ids.len() == LIST_PAGE;
        for takedown in load_many(store, &ids).await? {
            scanned += 1;
            let id = takedown.id.clone();
            if keep(&takedown) {
                found.push(takedown);
                if found.len() == limit {
                    return Ok((found, Some(id)));
                }
            }
            after = Some(id);
        }
        if let Some(last) = ids.last() {
            after = Some(last.clone());
        }
        if !full_page {
            return Ok((found, None));
        }
        if scanned >= LIST_SCAN_MAX {
            return Ok((found, after));
        }
    }
}
