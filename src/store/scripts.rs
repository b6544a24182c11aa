//! Every Lua script the store runs, one file each under `store/lua/`, each built once per
//! process (its SHA-1 computed once; Redis is asked by `EVALSHA`, and given the text only when
//! it does not have it yet).

use std::sync::LazyLock;

use redis::Script;

macro_rules! script {
    ($(#[$doc:meta])* $name:ident, $file:literal) => {
        $(#[$doc])*
        pub static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(include_str!(concat!("lua/", $file))));
    };
}

script!(
    /// One atomic change with its audit entries, for a group of changes ([`super::change`]).
    CHANGE,
    "change.lua"
);
script!(
    /// Leases due members of a schedule ([`super::queue::lease_due`]).
    LEASE_DUE,
    "lease_due.lua"
);
script!(
    /// Ends a delivered webhook under its lease ([`super::queue::webhook_delivered`]).
    WEBHOOK_DELIVERED,
    "webhook_delivered.lua"
);
script!(
    /// Counts a failed webhook attempt and schedules the next ([`super::queue::webhook_failed`]).
    WEBHOOK_FAILED,
    "webhook_failed.lua"
);
script!(
    /// Copies the blocklist's sorted values once per version ([`super::blocklist::snapshot`]).
    BLOCKLIST_SNAPSHOT,
    "blocklist_snapshot.lua"
);
script!(
    /// Moves the cached blocklist checksum forward only ([`super::blocklist::checksum`]).
    CHECKSUM_FORWARD,
    "checksum_forward.lua"
);
