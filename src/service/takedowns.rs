//! The takedown workflow steps. Each decides the next state from the one table in
//! [`crate::takedown::state`] and
//! makes the change with [`crate::store::takedowns::transition`], which refuses it if the
//! request moved in the meantime.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::i18n::Text;
use crate::network::resolve::{resolve_one, NetworkContext, ResolveOptions};
use crate::store::blocklist as store_blocklist;
use crate::store::platforms as store_platforms;
use crate::store::takedowns::{
    self, fields, BlocklistEdit, Idempotency, PlatformEdit, Submitted, Transition, Transitioned,
};
use crate::store::Store;
use crate::takedown::blocklist;
use crate::takedown::platform::{destination, recommend, AccountHistory, Destination, Outcome};
use crate::takedown::request::{FieldError, RequestedAction, TargetType};
use crate::takedown::schema::{AcceptCollateral, Note, Reason};
use crate::takedown::state::{next, Event, State};
use crate::takedown::{new_id, Channel, Takedown, TakedownInput, TakedownSettings};

/// Longest a worker spends resolving one target.
pub const RESOLVE_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a step was not taken.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// No such request (or not visible to the caller).
    #[error("no such takedown request")]
    NotFound,
    /// The state machine does not allow the step from the current state.
    #[error("not allowed in state {state:?}")]
    Conflict {
        /// The current state.
        state: State,
    },
    /// The same `Idempotency-Key` came with another body.
    #[error("idempotency key reused with another body")]
    IdempotencyMismatch,
    /// Bad fields.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// The blocklist value kept changing under the step; try again.
    #[error("the blocklist entry kept changing; try again")]
    Busy,
    /// Redis failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The digest an `Idempotency-Key` is stored under: per caller, so two callers never share
/// keys.
pub fn idempotency(caller: &Caller, key: &str, body: &serde_json::Value) -> Idempotency {
    let mut hasher = Sha256::new();
    hasher.update(caller.name.as_bytes());
    hasher.update([0]);
    hasher.update(key.as_bytes());
    // `serde_json::Value` keeps object keys sorted, so this text ignores key order and spacing.
    let body_digest = hex::encode(Sha256::digest(body.to_string().as_bytes()));
    Idempotency {
        key_digest: hex::encode(hasher.finalize()),
        body_digest,
    }
}

/// Whether `caller` may see `takedown`: admin sees all, an authority its agency's.
pub fn visible(caller: &Caller, takedown: &Takedown) -> bool {
    match caller.role {
        crate::auth::Role::Admin => true,
        crate::auth::Role::Authority => caller.agency.is_some() && caller.agency == takedown.agency,
        _ => false,
    }
}

/// Validates and stores a request; returns it and whether it was created now (`false` for a
/// repeat with the same idempotency key and body). Returns only once the replicas the store's
/// wait policy asks for hold the request (else an unreachable-store error: the request stays
/// stored, and a repeat with the same idempotency key waits again).
pub async fn submit(
    store: &Store,
    caller: &Caller,
    input: &TakedownInput,
    idem: Option<Idempotency>,
) -> Result<(Takedown, bool), StepError> {
    let now = Utc::now();
    let request = input.validate(now).map_err(StepError::Invalid)?;
    let id = new_id(now);
    let agency = caller.agency.as_deref();
    let answer = match takedowns::submit(
        store,
        &id,
        &request,
        caller.actor(),
        agency,
        idem.as_ref(),
        now,
    )
    .await?
    {
        Submitted::Created => {
            // Exactly what was written; no need to read it back.
            let takedown = Takedown {
                id,
                state: State::Received,
                channel: None,
                agency: caller.agency.clone(),
                submitted_by: caller.name.clone(),
                request,
                resolution: None,
                suspension: None,
                registry_task: None,
                findings: Vec::new(),
                notice: None,
                history: vec![crate::takedown::HistoryEntry {
                    state: State::Received,
                    at: now,
                    actor: caller.name.clone(),
                    reason: None,
                }],
                created_at: now,
                updated_at: now,
            };
            (takedown, true)
        }
        Submitted::Repeat { id, body_digest } => {
            if idem.is_some_and(|i| i.body_digest != body_digest) {
                return Err(StepError::IdempotencyMismatch);
            }
            let takedown = takedowns::load(store, &id)
                .await?
                .ok_or(StepError::NotFound)?;
            (takedown, false)
        }
    };
    // A 202 must survive the master's death: replicas hold the request first, also for a
    // repeat (the first answer may have been a 503 for want of them).
    store.replicated().await?;
    Ok(answer)
}

/// What routing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    /// Routed now, to this channel.
    Now(Channel),
    /// Held for review: enforcing it would hit more than the offender.
    Held,
    /// Nothing to do: routed before, withdrawn, or gone.
    AlreadyHandled,
}

/// Resolves the target of a `received` request, stores the snapshot and routes it: a domain
/// under `.vn` to the registry's queue, anything else to the operators. Safe to repeat.
pub async fn route(
    store: &Store,
    network: &NetworkContext,
    settings: &TakedownSettings,
    id: &str,
) -> Result<Routed, StepError> {
    let Some(takedown) = takedowns::load(store, id).await? else {
        return Ok(Routed::AlreadyHandled);
    };
    if takedown.state != State::Received {
        return Ok(Routed::AlreadyHandled);
    }
    let request = &takedown.request;
    let options = ResolveOptions {
        tls: settings.resolve_tls && request.target_type != TargetType::Cidr,
        ..ResolveOptions::default()
    };
    let resolution = match tokio::time::timeout(
        RESOLVE_BUDGET,
        resolve_one(&request.target, options, network),
    )
    .await
    {
        Ok(result) => serde_json::to_value(result).unwrap_or_default(),
        Err(_) => {
            json!({"target": request.target, "errors": [{"code": "timeout", "message": "resolution took longer than its budget"}]})
        }
    };
    let now = Utc::now();
    let destination = destination_of(store, request).await?;
    let mut transition = Transition::new(&takedown, State::Routed, "worker", "takedown.route");
    transition.set = vec![(fields::RESOLUTION, resolution.to_string())];
    transition.details = json!({"target": request.target_value});
    match destination {
        Destination::Channel(channel) => {
            return Ok(
                match enforce(store, settings, &takedown, transition, channel).await? {
                    true => Routed::Now(channel),
                    false => Routed::AlreadyHandled,
                },
            );
        }
        Destination::Review(findings) => {
            transition.steps.extend(next(State::Routed, Event::Hold));
            let findings_json = crate::store::error::json("findings", &findings)?;
            transition.set.push((fields::FINDINGS, findings_json));
            transition.details["held"] = json!(true);
            transition.details["findings"] = json!(findings);
        }
        Destination::Platform { platform, account } => {
            let channel = Channel::Platform;
            transition
                .steps
                .extend(next(State::Routed, Event::ToPlatform));
            let history = match &account {
                Some(account) => {
                    store_platforms::account_history(store, &platform, account, now).await?
                }
                None => AccountHistory::default(),
            };
            let recommendation = recommend(&history, &settings.platforms.lock);
            let due = now + settings.platforms.deadline;
            transition.set.extend([
                (fields::CHANNEL, channel.as_str().to_owned()),
                (fields::PLATFORM, platform.clone()),
                (fields::NOTIFIED_AT, now.to_rfc3339()),
                (fields::DUE_AT, due.to_rfc3339()),
            ]);
            if let Some(account) = &account {
                transition.set.push((fields::ACCOUNT, account.clone()));
            }
            if let Some(lock) = recommendation {
                transition
                    .set
                    .push((fields::LOCK_RECOMMENDATION, lock.as_str().to_owned()));
            }
            transition.details["channel"] = json!(channel);
            transition.details["platform"] = json!(platform);
            transition.details["account"] = json!(account);
            transition.details["due_at"] = json!(due);
            transition.details["lock_recommendation"] = json!(recommendation);
            transition.details["account_history"] = json!(history);
            transition.platform = Some(PlatformEdit::Notify { platform, due });
        }
    }
    let routed = match transition.platform {
        Some(_) => Routed::Now(Channel::Platform),
        None => Routed::Held,
    };
    Ok(
        match takedowns::transition(store, &transition, now).await? {
            Transitioned::Done => routed,
            Transitioned::Moved | Transitioned::HoldersMoved => Routed::AlreadyHandled,
        },
    )
}

/// Where a request goes, from the platforms and shared infrastructure its target touches.
async fn destination_of(
    store: &Store,
    request: &crate::takedown::TakedownRequest,
) -> Result<Destination, StepError> {
    match request.target_type {
        TargetType::Domain => {
            let platform = store_platforms::platform_for_host(store, &request.target_value).await?;
            let public_suffix = crate::network::names::DomainName::parse(&request.target_value)
                .is_ok_and(|name| name.registrable_domain().is_none());
            Ok(destination(request, platform.as_ref(), public_suffix, &[]))
        }
        TargetType::Ip | TargetType::Cidr => {
            let shared = store_platforms::shared_infrastructure(store).await?;
            Ok(destination(request, None, false, &shared))
        }
    }
}

/// Makes `transition` of `takedown` (which ends in `routed`) carry the request on to
/// `channel`, the registry's queue or the operators' blocklist, retrying while other
/// takedowns change the same blocklist value. `false` when the request had moved on
/// meanwhile.
async fn enforce(
    store: &Store,
    settings: &TakedownSettings,
    takedown: &Takedown,
    mut transition: Transition<'_>,
    channel: Channel,
) -> Result<bool, StepError> {
    let request = &takedown.request;
    let event = match channel {
        Channel::Registry => Event::ToRegistry,
        _ => Event::ToOperators,
    };
    transition.steps.extend(next(State::Routed, event));
    transition
        .set
        .push((fields::CHANNEL, channel.as_str().to_owned()));
    transition.details["channel"] = json!(channel);
    transition.notify_registry = channel == Channel::Registry && settings.webhook_enabled;
    let registrable = match crate::network::names::Target::parse(&request.target) {
        Ok(crate::network::names::Target::Domain { name, .. }) => {
            name.registrable_domain().map(|d| d.as_str().to_owned())
        }
        _ => None,
    };
    for _ in 0..HOLDER_ATTEMPTS {
        if channel == Channel::Operators {
            let entry = blocklist::entry_for(transition.id, request, registrable.as_deref());
            let (holders_before, _) = store_blocklist::holders(store, &entry.value).await?;
            transition.blocklist = Some(BlocklistEdit::Add {
                entry,
                holders_before,
                retention: settings.blocklist_retention,
            });
        }
        match takedowns::transition(store, &transition, Utc::now()).await? {
            Transitioned::Done => return Ok(true),
            Transitioned::Moved => return Ok(false),
            Transitioned::HoldersMoved => continue,
        }
    }
    Err(StepError::Busy)
}

/// Attempts at a step whose blocklist value other takedowns keep changing.
const HOLDER_ATTEMPTS: usize = 20;

/// The registry's decision on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Suspend for `suspend_days` (also extends a running suspension).
    Suspend,
    /// Revoke.
    Revoke,
    /// Decline.
    Reject,
    /// Restore the name (ends a suspension, or carries out a withdrawal).
    Reinstate,
}

/// `POST /v1/registry/requests/{id}/decision` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "decision": "suspend",
    "reason": "Counterfeit cosmetics confirmed by the 123/QĐ-QLTT inspection.",
    "suspend_days": 30
}))]
pub struct DecisionInput {
    /// What the registry decided.
    pub decision: Decision,
    /// Why the registry decided so: shown in the history and the audit log.
    // Optional to the parser: a missing reason is the handler's 422 naming `reason`.
    #[schema(value_type = Reason)]
    pub reason: Option<String>,
    /// Length of a suspension in days: required for `suspend` (1 to the configured maximum,
    /// 90 by default), refused for the other decisions.
    #[schema(minimum = 1)]
    pub suspend_days: Option<u32>,
}

fn field_error(field: &str, code: &'static str, en: String, vi: String) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code,
        message: Text::new(en, vi),
    }
}

/// A required reason: 1 to [`crate::takedown::request::MAX_TEXT`] characters, no control characters
/// but newline and tab.
pub fn reason(text: Option<&str>) -> Result<String, StepError> {
    let mut errors = Vec::new();
    match crate::takedown::request::text(
        text,
        "reason",
        crate::takedown::request::MAX_TEXT,
        &mut errors,
    ) {
        Some(reason) if errors.is_empty() => Ok(reason),
        _ => Err(StepError::Invalid(errors)),
    }
}

/// Records a registry decision on a registry request.
pub async fn decide(
    store: &Store,
    settings: &TakedownSettings,
    caller: &Caller,
    id: &str,
    input: &DecisionInput,
) -> Result<Takedown, StepError> {
    let reason = reason(input.reason.as_deref())?;
    let days = match (input.decision, input.suspend_days) {
        (Decision::Suspend, Some(days)) if (1..=settings.max_suspend_days).contains(&days) => {
            Some(days)
        }
        (Decision::Suspend, _) => {
            let max = settings.max_suspend_days;
            return Err(StepError::Invalid(vec![field_error(
                "suspend_days",
                "out_of_range",
                format!("A suspension needs suspend_days from 1 to {max}."),
                format!("Tạm ngừng cần suspend_days từ 1 đến {max}."),
            )]));
        }
        (_, Some(_)) => {
            return Err(StepError::Invalid(vec![field_error(
                "suspend_days",
                "not_applicable",
                "suspend_days applies to suspensions only.".into(),
                "suspend_days chỉ dùng cho quyết định tạm ngừng.".into(),
            )]))
        }
        (_, None) => None,
    };
    let takedown = takedowns::load(store, id)
        .await?
        .filter(|t| t.channel == Some(Channel::Registry))
        .ok_or(StepError::NotFound)?;
    let event = match input.decision {
        Decision::Suspend => Event::Suspend,
        Decision::Revoke => Event::Revoke,
        Decision::Reject => Event::Reject,
        Decision::Reinstate => Event::Reinstate,
    };
    let to = next(takedown.state, event).ok_or(StepError::Conflict {
        state: takedown.state,
    })?;
    let now = Utc::now();
    let mut transition = Transition::new(&takedown, to, caller.actor(), "takedown.decision");
    transition.reason = Some(&reason);
    transition.details = json!({"decision": format!("{:?}", input.decision).to_lowercase()});
    if takedown.state == State::Withdrawn {
        // Only the reinstatement a withdrawn suspension left behind.
        transition
            .require
            .push((fields::REGISTRY_TASK, "reinstate".into()));
        transition.unset.push(fields::REGISTRY_TASK);
    }
    if let Some(days) = days {
        let ends = now + settings.suspension_day * days;
        transition
            .set
            .push((fields::SUSPEND_DAYS, days.to_string()));
        transition
            .set
            .push((fields::SUSPENDED_UNTIL, ends.to_rfc3339()));
        transition.suspension_ends = Some(ends);
        transition.details["suspend_days"] = json!(days);
        transition.details["ends_at"] = json!(ends);
    }
    apply(store, &transition, now).await
}

async fn apply(
    store: &Store,
    transition: &Transition<'_>,
    now: DateTime<Utc>,
) -> Result<Takedown, StepError> {
    let outcome = takedowns::transition(store, transition, now).await?;
    let takedown = takedowns::load(store, transition.id)
        .await?
        .ok_or(StepError::NotFound)?;
    match outcome {
        Transitioned::Done => Ok(takedown),
        Transitioned::Moved => Err(StepError::Conflict {
            state: takedown.state,
        }),
        Transitioned::HoldersMoved => Err(StepError::Busy),
    }
}

/// Withdraws a request for the authority that filed it: a block is lifted, a suspension
/// leaves the registry a reinstatement task, anything earlier is simply withdrawn.
pub async fn withdraw(
    store: &Store,
    settings: &TakedownSettings,
    caller: &Caller,
    id: &str,
    reason_text: Option<&str>,
) -> Result<Takedown, StepError> {
    let reason = reason(reason_text)?;
    let takedown = takedowns::load(store, id)
        .await?
        .filter(|t| visible(caller, t))
        .ok_or(StepError::NotFound)?;
    let to = next(takedown.state, Event::Withdraw).ok_or(StepError::Conflict {
        state: takedown.state,
    })?;
    let mut transition = Transition::new(&takedown, to, caller.actor(), "takedown.withdraw");
    transition.reason = Some(&reason);
    if takedown.state == State::Suspended {
        transition
            .set
            .push((fields::REGISTRY_TASK, "reinstate".into()));
    }
    if let Some(notice) = takedown
        .notice
        .as_ref()
        .filter(|_| takedown.state == State::PendingPlatform)
    {
        transition.platform = Some(PlatformEdit::Close {
            platform: notice.platform.clone(),
        });
    }
    if takedown.state != State::Blocked {
        return apply(store, &transition, Utc::now()).await;
    }
    let value = takedown.request.target_value.clone();
    for _ in 0..HOLDER_ATTEMPTS {
        let (holders_before, entry) = store_blocklist::holders(store, &value).await?;
        transition.blocklist = Some(BlocklistEdit::Remove {
            value: value.clone(),
            holders_before,
            entry,
            retention: settings.blocklist_retention,
        });
        match apply(store, &transition, Utc::now()).await {
            Err(StepError::Busy) => continue,
            other => return other,
        }
    }
    Err(StepError::Busy)
}

/// Ends one suspension whose time is up: revoked when the authority asked for revocation,
/// reinstated otherwise. Safe to repeat; a suspension extended meanwhile is left alone.
pub async fn end_suspension(
    store: &Store,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StepError> {
    let Some(takedown) = takedowns::load(store, id).await? else {
        return Ok(false);
    };
    let Some(suspension) = takedown
        .suspension
        .as_ref()
        .filter(|_| takedown.state == State::Suspended)
    else {
        return Ok(false);
    };
    if suspension.ends_at > now {
        return Ok(false);
    }
    let event = if takedown.request.requested_action == Some(RequestedAction::Revoke) {
        Event::Revoke
    } else {
        Event::Reinstate
    };
    let Some(to) = next(State::Suspended, event) else {
        return Ok(false);
    };
    let mut transition = Transition::new(&takedown, to, "scheduler", "takedown.suspension_ended");
    transition.reason = Some("the suspension ended");
    transition.details = json!({"ended_at": suspension.ends_at});
    transition.require = vec![(fields::SUSPENDED_UNTIL, suspension.ends_at.to_rfc3339())];
    Ok(takedowns::transition(store, &transition, now).await? == Transitioned::Done)
}

/// `POST /v1/takedowns/{id}/confirm` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reason": "The shop's own subdomain on the CDN; the CDN confirmed no other customer uses it.",
    "accept_collateral": true
}))]
pub struct ConfirmInput {
    /// Why enforcing it is worth what it also hits (audited).
    #[schema(value_type = Reason)]
    pub reason: Option<String>,
    /// Must be `true`: the authority accepts what the findings say enforcement also hits.
    #[schema(value_type = AcceptCollateral)]
    pub accept_collateral: Option<bool>,
}

/// Carries a request held for review on to its own channel (the registry for a `.vn`
/// domain, else the operators' blocklist) once its authority accepts the collateral, with
/// the reason and the findings it accepted in the audit entry.
pub async fn confirm(
    store: &Store,
    settings: &TakedownSettings,
    caller: &Caller,
    id: &str,
    input: &ConfirmInput,
) -> Result<Takedown, StepError> {
    // Both fields are checked, so that one answer names every bad one.
    let mut errors = Vec::new();
    let reason = crate::takedown::request::text(
        input.reason.as_deref(),
        "reason",
        crate::takedown::request::MAX_TEXT,
        &mut errors,
    );
    if input.accept_collateral != Some(true) {
        errors.push(field_error(
            "accept_collateral",
            "required",
            "A confirmation needs accept_collateral: true: enforcing this request also hits what its findings name.".into(),
            "Xác nhận cần accept_collateral: true: thực thi yêu cầu này cũng ảnh hưởng tới những gì được nêu trong findings.".into(),
        ));
    }
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(StepError::Invalid(errors));
    };
    let takedown = takedowns::load(store, id)
        .await?
        .filter(|t| visible(caller, t))
        .ok_or(StepError::NotFound)?;
    if next(takedown.state, Event::Confirm).is_none() {
        return Err(StepError::Conflict {
            state: takedown.state,
        });
    }
    let channel = crate::takedown::platform::own_channel(&takedown.request);
    let mut transition =
        Transition::new(&takedown, State::Routed, caller.actor(), "takedown.confirm");
    transition.reason = Some(&reason);
    transition.details = json!({"accept_collateral": true, "findings": takedown.findings});
    let done = enforce(store, settings, &takedown, transition, channel).await?;
    let now = takedowns::load(store, id)
        .await?
        .ok_or(StepError::NotFound)?;
    if done {
        Ok(now)
    } else {
        Err(StepError::Conflict { state: now.state })
    }
}

/// `POST /v1/platform/notices/{id}/outcome` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "outcome": "account_locked",
    "reason": "Counterfeit seller, third notice this month.",
    "lock_days": 30
}))]
pub struct OutcomeInput {
    /// What the platform did.
    pub outcome: Outcome,
    /// Why: required (not blank) for `declined`, optional otherwise.
    #[schema(value_type = Option<Note>)]
    pub reason: Option<String>,
    /// Days of a temporary lock, 1 to 365 (`account_locked` only; none for a permanent lock).
    #[schema(minimum = 1, maximum = 365)]
    pub lock_days: Option<u32>,
}

/// Longest temporary lock a platform may report, in days.
pub const MAX_LOCK_DAYS: u32 = 365;

/// Whether `caller` acts for the platform a notice went to: a platform key bound to it, or
/// admin.
pub fn acts_for(caller: &Caller, takedown: &Takedown) -> bool {
    let Some(notice) = &takedown.notice else {
        return false;
    };
    match caller.role {
        crate::auth::Role::Admin => true,
        crate::auth::Role::Platform => caller.platform.as_deref() == Some(notice.platform.as_str()),
        _ => false,
    }
}

/// Records a platform's outcome on its notice. The same outcome again answers the notice as
/// it is; a different one after an outcome is a conflict.
pub async fn report_outcome(
    store: &Store,
    caller: &Caller,
    id: &str,
    input: &OutcomeInput,
) -> Result<Takedown, StepError> {
    let mut errors = Vec::new();
    let reason = match input.outcome {
        Outcome::Declined => crate::takedown::request::text(
            input.reason.as_deref(),
            "reason",
            crate::takedown::request::MAX_TEXT,
            &mut errors,
        ),
        _ => crate::takedown::request::optional_text(
            input.reason.as_deref(),
            "reason",
            crate::takedown::request::MAX_TEXT,
            &mut errors,
        ),
    };
    match (input.outcome, input.lock_days) {
        (Outcome::AccountLocked, Some(days)) if !(1..=MAX_LOCK_DAYS).contains(&days) => errors
            .push(field_error(
                "lock_days",
                "out_of_range",
                format!("lock_days is from 1 to {MAX_LOCK_DAYS}."),
                format!("lock_days từ 1 đến {MAX_LOCK_DAYS}."),
            )),
        (Outcome::Removed | Outcome::Declined, Some(_)) => errors.push(field_error(
            "lock_days",
            "not_applicable",
            "lock_days applies to account_locked only.".into(),
            "lock_days chỉ dùng cho account_locked.".into(),
        )),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(StepError::Invalid(errors));
    }
    let takedown = takedowns::load(store, id)
        .await?
        .filter(|t| acts_for(caller, t))
        .ok_or(StepError::NotFound)?;
    let event = match input.outcome {
        Outcome::Removed => Event::Remove,
        Outcome::AccountLocked => Event::LockAccount,
        Outcome::Declined => Event::Decline,
    };
    let Some(to) = next(State::PendingPlatform, event) else {
        return Err(StepError::Conflict {
            state: takedown.state,
        });
    };
    if takedown.state == to {
        return Ok(takedown);
    }
    let (Some(notice), State::PendingPlatform) = (&takedown.notice, takedown.state) else {
        return Err(StepError::Conflict {
            state: takedown.state,
        });
    };
    let now = Utc::now();
    let mut transition = Transition::new(&takedown, to, caller.actor(), "takedown.outcome");
    transition.reason = reason.as_deref();
    transition.set.push((fields::ACTED_AT, now.to_rfc3339()));
    let temporary_lock = input.outcome == Outcome::AccountLocked && input.lock_days.is_some();
    if let Some(days) = input.lock_days {
        transition.set.push((fields::LOCK_DAYS, days.to_string()));
    }
    transition.details = json!({
        "platform": notice.platform,
        "account": notice.account,
        "outcome": input.outcome,
        "lock_days": input.lock_days,
        "upheld": input.outcome.is_upheld(),
        "overdue": now > notice.due_at,
    });
    transition.platform = Some(PlatformEdit::Act {
        platform: notice.platform.clone(),
        account: notice.account.clone(),
        outcome: input.outcome,
        temporary_lock,
        notified_at: notice.notified_at,
    });
    match apply(store, &transition, now).await {
        // Another request recorded an outcome meanwhile: the same one answers as a repeat.
        Err(StepError::Conflict { state }) if state == to => {
            takedowns::load(store, id).await?.ok_or(StepError::NotFound)
        }
        other => other,
    }
}
