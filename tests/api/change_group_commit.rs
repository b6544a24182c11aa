//! Audited changes are sent to Redis in groups by one appender per store, which numbers and
//! hashes the audit entries itself. These tests race many changes from two stores (two
//! appenders, as two processes would be) against one real Redis and check the chain and the
//! preconditions.

use crate::common;

use common::TestApp;
use futures::future::join_all;
use originguard::store::audit;
use originguard::store::change::{Applied, Change, Cmd};
use originguard::store::Store;
use serde_json::json;

/// Sets a key that changes requiring it absent are refused on; returns it.
fn occupied(app: &TestApp) -> &'static str {
    let taken = "og:{enforce}:test:taken";
    let _: () = redis::cmd("SET")
        .arg(taken)
        .arg("x")
        .query(&mut app.redis.connection())
        .unwrap();
    taken
}

/// Change `i`: sets `test:made:{i}` with an audit entry whose subject is `s{i}`; with
/// `refuse`, it requires `taken` absent first.
async fn made_unless_refused(store: &Store, i: usize, refuse: bool, taken: &str) -> Applied {
    let mut change = Change::new();
    if refuse {
        change.require_absent(taken);
    }
    let key = format!("og:{{enforce}}:test:made:{i}");
    change.op(Cmd::Set, &key, ["1"]);
    change.audit("t", "test.made", &format!("s{i}"), None, &json!({}));
    change.apply(store).await.expect("apply")
}

#[tokio::test]
async fn two_appenders_racing_keep_one_unbroken_chain() {
    let app = TestApp::spawn().await;
    let first = app.redis.store().await;
    let second = app.redis.store().await;
    let appends = (0..700).map(|i| {
        let store = if i % 7 < 5 {
            first.clone()
        } else {
            second.clone()
        };
        async move {
            audit::append(
                &store,
                "t",
                "test.race",
                &format!("s{i}"),
                None,
                json!({"i": i}),
            )
            .await
        }
    });
    let mut seqs: Vec<u64> = join_all(appends)
        .await
        .into_iter()
        .map(|r| r.expect("append"))
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=700).collect::<Vec<u64>>());
    let verified = audit::verify(&first).await.unwrap();
    assert_eq!(verified.first_bad_seq, None);
    assert!(verified.valid);
    assert_eq!(verified.entries, 700);
}

#[tokio::test]
async fn of_two_changes_that_need_the_same_key_absent_exactly_one_is_made() {
    let app = TestApp::spawn().await;
    let first = app.redis.store().await;
    let second = app.redis.store().await;
    let attempt = |store: Store, pair: usize, who: &'static str| async move {
        let key = format!("og:{{enforce}}:test:once:{pair}");
        let mut change = Change::new();
        change.require_absent(&key);
        change.op(Cmd::Set, &key, [who]);
        change.audit(who, "test.once", &key, None, &json!({}));
        change.apply(&store).await.expect("apply")
    };
    // All in flight together: pairs from the same appender land in one group.
    let mut calls = Vec::new();
    for pair in 0..50 {
        calls.push(attempt(first.clone(), pair, "a"));
        let other = if pair % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        calls.push(attempt(other, pair, "b"));
    }
    let outcomes = join_all(calls).await;
    for (pair, both) in outcomes.chunks(2).enumerate() {
        let done = both
            .iter()
            .filter(|o| matches!(o, Applied::Done { .. }))
            .count();
        assert_eq!(done, 1, "pair {pair}: {both:?}");
        let refused = both
            .iter()
            .find(|o| matches!(o, Applied::Refused { .. }))
            .expect("one refused");
        assert!(
            matches!(refused, Applied::Refused { index: 1, current: Some(v) } if v == "a" || v == "b"),
            "{refused:?}"
        );
    }
    let verified = audit::verify(&first).await.unwrap();
    assert!(verified.valid);
    assert_eq!(verified.entries, 50, "one audit entry per change made");
}

#[tokio::test]
async fn refused_changes_in_a_group_leave_the_others_made_and_the_chain_whole() {
    let app = TestApp::spawn().await;
    let store = app.redis.store().await;
    let taken = occupied(&app);
    let calls = (0..60).map(|i| {
        let store = store.clone();
        async move { (i, made_unless_refused(&store, i, i % 3 == 1, taken).await) }
    });
    let outcomes = join_all(calls).await;
    let mut conn = app.redis.connection();
    for (i, outcome) in outcomes {
        let made: bool = redis::cmd("EXISTS")
            .arg(format!("og:{{enforce}}:test:made:{i}"))
            .query(&mut conn)
            .unwrap();
        if i % 3 == 1 {
            assert!(
                matches!(outcome, Applied::Refused { .. }),
                "{i}: {outcome:?}"
            );
            assert!(!made, "{i}: a refused change wrote nothing");
        } else {
            assert!(matches!(outcome, Applied::Done { .. }), "{i}: {outcome:?}");
            assert!(made, "{i}");
        }
    }
    let verified = audit::verify(&store).await.unwrap();
    assert!(verified.valid);
    assert_eq!(verified.entries, 40);
}

/// More changes than one group holds, so that groups are on the wire together: refusals
/// scattered through them (and a second appender moving the head) make groups sent behind a
/// broken one write nothing and go again. Every change must still be answered for what it did,
/// with the seq of its own audit entry, and the chain stay whole.
#[tokio::test]
async fn groups_on_the_wire_together_survive_refusals_and_a_racing_appender() {
    let app = TestApp::spawn().await;
    let first = app.redis.store().await;
    let second = app.redis.store().await;
    let taken = occupied(&app);
    let calls = (0..1200).map(|i| {
        let store = if i % 10 == 9 {
            second.clone()
        } else {
            first.clone()
        };
        async move { (i, made_unless_refused(&store, i, i % 7 == 3, taken).await) }
    });
    let outcomes = join_all(calls).await;
    let mut conn = app.redis.connection();
    let mut made_seqs = Vec::new();
    for (i, outcome) in &outcomes {
        let made: bool = redis::cmd("EXISTS")
            .arg(format!("og:{{enforce}}:test:made:{i}"))
            .query(&mut conn)
            .unwrap();
        match outcome {
            Applied::Done { audit_seq } if i % 7 != 3 => {
                assert!(made, "{i}");
                made_seqs.push((*audit_seq, format!("s{i}")));
            }
            Applied::Refused { index: 1, current } if i % 7 == 3 => {
                assert_eq!(current.as_deref(), Some("x"));
                assert!(!made, "{i}: a refused change wrote nothing");
            }
            other => panic!("{i}: {other:?}"),
        }
    }
    let verified = audit::verify(&first).await.unwrap();
    assert!(verified.valid, "{verified:?}");
    assert_eq!(verified.entries as usize, made_seqs.len());
    // Each change was answered with the seq of its own entry.
    let entries: Vec<redis::Value> = redis::cmd("XRANGE")
        .arg(originguard::store::keys::audit_log())
        .arg("-")
        .arg("+")
        .query(&mut conn)
        .unwrap();
    let mut subjects = std::collections::HashMap::new();
    for entry in entries {
        let (_, fields): (String, std::collections::HashMap<String, String>) =
            redis::from_redis_value(&entry).unwrap();
        let stored: serde_json::Value = serde_json::from_str(&fields["entry"]).unwrap();
        subjects.insert(
            stored["seq"].as_u64().unwrap(),
            stored["subject"].as_str().unwrap().to_owned(),
        );
    }
    for (seq, subject) in made_seqs {
        assert_eq!(subjects.get(&seq), Some(&subject), "seq {seq}");
    }
}

/// `cmdstat_zadd` calls so far.
fn zadd_calls(app: &TestApp) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut app.redis.connection())
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("cmdstat_zadd:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |calls| calls.parse().unwrap())
}

/// Index adds of one group are made in one ZADD, yet every other write to that index in the
/// group still sees each add in its place: an add followed by a removal of the same member
/// leaves it out, a removal followed by an add leaves it in, and a refused change adds nothing.
#[tokio::test]
async fn index_adds_of_a_group_are_one_zadd_and_keep_their_place() {
    let app = TestApp::spawn().await;
    let store = app.redis.store().await;
    let taken = occupied(&app);
    let (merged, mixed) = ("og:{enforce}:test:merged", "og:{enforce}:test:mixed");
    let before = zadd_calls(&app);
    let calls = (0..100).map(|i| {
        let store = store.clone();
        async move {
            let mut change = Change::new();
            if i % 10 == 9 {
                change.require_absent(taken);
            }
            change.index_add(merged, &format!("m{i:03}"));
            match i % 4 {
                // Added, then removed by the next change: out.
                0 => change.index_add(mixed, &format!("x{i:03}")),
                1 => change.op(Cmd::Zrem, mixed, [format!("x{:03}", i - 1)]),
                // Removed (not there yet), then added by the next change: in.
                2 => change.op(Cmd::Zrem, mixed, [format!("y{:03}", i + 1)]),
                _ => change.index_add(mixed, &format!("y{i:03}")),
            };
            change.audit("t", "test.index", &format!("s{i}"), None, &json!({}));
            change.apply(&store).await.expect("apply")
        }
    });
    let outcomes = join_all(calls).await;
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Applied::Refused { .. }))
        .count();
    assert_eq!(refused, 10);
    let mut conn = app.redis.connection();
    let members = |conn: &mut common::TestConn, key: &str| -> Vec<String> {
        redis::cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query(conn)
            .unwrap()
    };
    let expected: Vec<String> = (0..100)
        .filter(|i| i % 10 != 9)
        .map(|i| format!("m{i:03}"))
        .collect();
    assert_eq!(members(&mut conn, merged), expected);
    // The same changes made one by one, in order, the refused ones skipped.
    let mut expected = std::collections::BTreeSet::new();
    for i in (0..100).filter(|i| i % 10 != 9) {
        match i % 4 {
            0 => expected.insert(format!("x{i:03}")),
            1 => expected.remove(&format!("x{:03}", i - 1)),
            2 => expected.remove(&format!("y{:03}", i + 1)),
            _ => expected.insert(format!("y{i:03}")),
        };
    }
    assert!(
        expected.contains("x008"),
        "a refused removal leaves its member"
    );
    assert!(!expected.contains("x000") && expected.contains("y003"));
    assert_eq!(
        members(&mut conn, mixed),
        expected.into_iter().collect::<Vec<_>>()
    );
    let zadds = zadd_calls(&app) - before;
    assert!(
        zadds < 90,
        "{zadds} ZADD calls for 90 index adds: the adds were not merged"
    );
    let verified = audit::verify(&store).await.unwrap();
    assert!(verified.valid);
    assert_eq!(verified.entries, 90);
}

/// One change may add more members to an index than Lua can pass to one command; they go in
/// several ZADDs, all made.
#[tokio::test]
async fn a_change_with_thousands_of_index_adds_makes_them_all() {
    let app = TestApp::spawn().await;
    let store = app.redis.store().await;
    let key = "og:{enforce}:test:large";
    let mut change = Change::new();
    for i in 0..5000 {
        change.index_add(key, &format!("m{i:05}"));
    }
    change.audit("t", "test.large", "s", None, &json!({}));
    assert!(matches!(
        change.apply(&store).await.expect("apply"),
        Applied::Done { .. }
    ));
    let count: u64 = redis::cmd("ZCARD")
        .arg(key)
        .query(&mut app.redis.connection())
        .unwrap();
    assert_eq!(count, 5000);
}
