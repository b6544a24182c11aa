//! How far each operator's enforcement lags the blocklist: pure arithmetic over its last
//! acknowledgement and the change log after it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An operator's acknowledgement: the version it reports having applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The version it applied.
    pub version: u64,
    /// When it said so.
    pub at: DateTime<Utc>,
}

/// One record of the blocklist's change log, as compliance needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogMark {
    /// The version the change made.
    pub version: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether it added an entry (a removal is never overdue).
    pub added: bool,
}

/// One operator's standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OperatorCompliance {
    /// The operator's id, as its keys name it (`viettel`).
    pub operator: String,
    /// The version it last acknowledged (null: never).
    pub acked_version: Option<u64>,
    /// When the operator acknowledged that version (null: never).
    pub acked_at: Option<DateTime<Utc>>,
    /// Versions between its acknowledgement and the current one.
    pub versions_behind: u64,
    /// Seconds since the first change it has not applied was made (0 when current).
    pub seconds_behind: i64,
    /// Additions older than the enforcement deadline that it has not applied.
    pub overdue_entries: u64,
}

/// Compliance of every operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComplianceAnswer {
    /// The current version.
    pub version: u64,
    /// The enforcement deadline, in seconds.
    pub deadline_seconds: u64,
    /// Per operator: those in the keys file, and any that acknowledged before.
    pub operators: Vec<OperatorCompliance>,
}

/// The operators to report on: every operator a key names, and every one that acknowledged
/// before (a key may have been removed since), once each, sorted.
pub fn operators<'k, 'a>(
    from_keys: impl IntoIterator<Item = &'k str>,
    from_acks: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut all: Vec<String> = from_keys.into_iter().map(str::to_owned).collect();
    all.extend(from_acks.into_iter().map(str::to_owned));
    all.sort();
    all.dedup();
    all
}

/// An operator's standing at `version` and `now`, given its acknowledgement and the log
/// records after it (`pending`, oldest first). An addition is overdue once it is older than
/// `deadline`.
pub fn standing(
    operator: String,
    ack: Option<&Ack>,
    version: u64,
    pending: &[LogMark],
    now: DateTime<Utc>,
    deadline: std::time::Duration,
) -> OperatorCompliance {
    let acked = ack.map_or(0, |a| a.version);
    let pending = pending.iter().filter(|m| m.version > acked);
    let cutoff = now - Duration::from_std(deadline).unwrap_or(Duration::days(1));
    let mut first = None;
    let mut overdue_entries = 0;
    for mark in pending {
        first.get_or_insert(mark.at);
        if mark.added && mark.at <= cutoff {
            overdue_entries += 1;
        }
    }
    OperatorCompliance {
        operator,
        acked_version: ack.map(|a| a.version),
        acked_at: ack.map(|a| a.at),
        versions_behind: version.saturating_sub(acked),
        seconds_behind: first.map_or(0, |at| (now - at).num_seconds().max(0)),
        overdue_entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::minutes(minutes_ago)
    }

    fn log(now: DateTime<Utc>) -> Vec<LogMark> {
        vec![
            LogMark {
                version: 5,
                at: at(120, now),
                added: true,
            },
            LogMark {
                version: 6,
                at: at(90, now),
                added: false,
            },
            LogMark {
                version: 7,
                at: at(30, now),
                added: true,
            },
            LogMark {
                version: 8,
                at: at(1, now),
                added: true,
            },
        ]
    }

    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

    #[test]
    fn an_operator_that_never_acknowledged_owes_everything() {
        let now = Utc::now();
        let s = standing("vnpt".into(), None, 8, &log(now), now, HOUR);
        assert_eq!(s.acked_version, None);
        assert_eq!(s.versions_behind, 8);
        assert_eq!(s.seconds_behind, 120 * 60);
        // Version 5 is the one addition older than the hour; 6 is a removal.
        assert_eq!(s.overdue_entries, 1);
    }

    #[test]
    fn only_changes_after_the_acknowledged_version_count() {
        let now = Utc::now();
        let ack = Ack {
            version: 6,
            at: at(60, now),
        };
        let s = standing("viettel".into(), Some(&ack), 8, &log(now), now, HOUR);
        assert_eq!(s.acked_version, Some(6));
        assert_eq!(s.acked_at, Some(ack.at));
        assert_eq!(s.versions_behind, 2);
        assert_eq!(s.seconds_behind, 30 * 60);
        assert_eq!(s.overdue_entries, 0);
        let short = standing(
            "viettel".into(),
            Some(&ack),
            8,
            &log(now),
            now,
            std::time::Duration::from_secs(600),
        );
        assert_eq!(short.overdue_entries, 1, "version 7 is 30 minutes old");
    }

    #[test]
    fn a_current_operator_is_not_behind() {
        let now = Utc::now();
        let ack = Ack {
            version: 8,
            at: now,
        };
        let s = standing("fpt".into(), Some(&ack), 8, &log(now), now, HOUR);
        assert_eq!(
            (s.versions_behind, s.seconds_behind, s.overdue_entries),
            (0, 0, 0)
        );
    }

    #[test]
    fn operators_are_listed_once_in_order() {
        assert_eq!(
            operators(["viettel", "fpt"], ["vnpt", "viettel"]),
            vec!["fpt", "viettel", "vnpt"]
        );
    }
}
