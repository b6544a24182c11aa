//! The workflow steps. Each decides the next state from the one table in [`super::state`] and
//! makes the change with [`crate::store::takedowns::transition`], which refuses it if the
//! request moved in the meantime.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::blocklist;
use super::request::{FieldError, RequestedAction, TargetType};
use super::state::{next, Event, State};
use super::{new_id, Channel, Takedown, TakedownInput, TakedownSettings};
use crate::auth::Caller;
use crate::i18n::Text;
use crate::network::resolve::{resolve_one, NetworkContext, ResolveOptions};
use crate::store::blocklist as store_blocklist;
use crate::store::takedowns::{
    self, fields, BlocklistEdit, Idempotency, Submitted, Transition, Transitioned,
};
use crate::store::Store;

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
    Redis(#[from] redis::RedisError),
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
/// repeat with the same idempotency key and body).
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
    match takedowns::submit(
        store,
        &id,
        &request,
        &caller.name,
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
                history: vec![super::HistoryEntry {
                    state: State::Received,
                    at: now,
                    actor: caller.name.clone(),
                    reason: None,
                }],
                created_at: now,
                updated_at: now,
            };
            Ok((takedown, true))
        }
        Submitted::Repeat { id, body_digest } => {
            if idem.is_some_and(|i| i.body_digest != body_digest) {
                return Err(StepError::IdempotencyMismatch);
            }
            let takedown = takedowns::load(store, &id)
                .await?
                .ok_or(StepError::NotFound)?;
            Ok((takedown, false))
        }
    }
}

/// What routing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    /// Routed now, to this channel.
    Now(Channel),
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
    let (channel, event) = if request.target_type == TargetType::Domain && request.is_vn {
        (Channel::Registry, Event::ToRegistry)
    } else {
        (Channel::Operators, Event::ToOperators)
    };
    let mut transition = Transition::new(&takedown, State::Routed, "worker", "takedown.route");
    transition.steps.extend(next(State::Routed, event));
    transition.set = vec![
        (fields::CHANNEL, channel.as_str().to_owned()),
        (fields::RESOLUTION, resolution.to_string()),
    ];
    transition.details = json!({"channel": channel, "target": request.target_value});
    transition.notify_registry = channel == Channel::Registry && settings.webhook_enabled;
    let registrable = match crate::network::names::Target::parse(&request.target) {
        Ok(crate::network::names::Target::Domain { name, .. }) => {
            name.registrable_domain().map(|d| d.as_str().to_owned())
        }
        _ => None,
    };
    for _ in 0..HOLDER_ATTEMPTS {
        if channel == Channel::Operators {
            let entry = blocklist::entry_for(id, request, registrable.as_deref());
            let (holders_before, _) = store_blocklist::holders(store, &entry.value).await?;
            transition.blocklist = Some(BlocklistEdit::Add {
                entry,
                holders_before,
                retention: settings.blocklist_retention,
            });
        }
        match takedowns::transition(store, &transition, Utc::now()).await? {
            Transitioned::Done => return Ok(Routed::Now(channel)),
            Transitioned::Moved => return Ok(Routed::AlreadyHandled),
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
pub struct DecisionInput {
    /// What the registry decided.
    pub decision: Decision,
    /// Why (required).
    pub reason: Option<String>,
    /// Length of a suspension in days (suspensions only; 1 to the configured maximum).
    pub suspend_days: Option<u32>,
}

fn field_error(field: &str, code: &'static str, en: String, vi: String) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code,
        message: Text::new(en, vi),
    }
}

/// A required reason of at most [`super::request::MAX_TEXT`] characters.
pub fn reason(text: Option<&str>) -> Result<String, StepError> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.is_empty() || text.chars().count() > super::request::MAX_TEXT {
        return Err(StepError::Invalid(vec![field_error(
            "reason",
            "required",
            format!(
                "A reason of 1 to {} characters is required.",
                super::request::MAX_TEXT
            ),
            format!("Cần lý do dài 1 đến {} ký tự.", super::request::MAX_TEXT),
        )]));
    }
    Ok(text.to_owned())
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
    let mut transition = Transition::new(&takedown, to, &caller.name, "takedown.decision");
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
    let mut transition = Transition::new(&takedown, to, &caller.name, "takedown.withdraw");
    transition.reason = Some(&reason);
    if takedown.state == State::Suspended {
        transition
            .set
            .push((fields::REGISTRY_TASK, "reinstate".into()));
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
