#!/usr/bin/env bash
# Resolution throughput through the endpoint: 10,000 names (10 `POST /v1/resolve` requests of
# 1,000 names, one after the other, TLS off) against NSD serving the benchmark zones on
# 127.0.0.1 (benches/support/nsd.sh; installed with apt-get when missing), with the release
# service pointing `ORIGINGUARD_NAMESERVERS` at it alone. Each round starts a fresh service, so
# no round profits from an earlier one. Loopback only: NSD binds 127.0.0.1, and every zone
# address is a documentation address.
#
#   bash benches/resolve.sh                 # 5 rounds
#   ROUNDS=10 bash benches/resolve.sh
#
# Needs: curl, redis-server, python3 (input and checking the answers), nsd (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

cargo build --release --quiet
cargo build --release --quiet --example bench_zones
. benches/support/nsd.sh
BIN=$TARGET_DIR/release/originguard
WORK=$(mktemp -d /tmp/og-resolve.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop() { # stops one child started here, by its pid
  [ -n "${1:-}" ] && kill "$1" 2> /dev/null && wait "$1" 2> /dev/null || true
}
cleanup() {
  stop "${SERVICE:-}"
  stop_nsd
  stop "${REDIS:-}"
  rm -rf "$WORK"
}
trap cleanup EXIT

# One Redis for every round (unix socket only, nothing persisted); the service needs it.
redis-server --port 0 --unixsocket "$WORK/redis.sock" --save '' --appendonly no \
  --dir "$WORK" > "$WORK/redis.log" 2>&1 &
REDIS=$!
for _ in $(seq 1 200); do [ -S "$WORK/redis.sock" ] && break; sleep 0.05; done

out=$("$BIN" keys new --role platform --name bench-resolve)
KEY=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
printf '%s\n' "$out" | grep -v '^#' > "$WORK/keys.toml"

# NSD with the benchmark zones, on loopback; the service asks only it.
start_nsd "$WORK/nsd" "$TARGET_DIR/release"
case "$NAMESERVER" in 127.0.0.1:*) ;; *) echo "no loopback name server: $NAMESERVER" >&2; exit 1 ;; esac

python3 -c '
import json
for b in range(10):
    names = ["n%d.shop%d.com.vn" % (i % 100, i // 100) for i in range(b * 1000, (b + 1) * 1000)]
    print(json.dumps({"targets": names}))
' > "$WORK/bodies.txt"
split -l 1 -d -a 2 "$WORK/bodies.txt" "$WORK/body."

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "name server: $NAMESERVER ($(nsd -v 2>&1 | head -1), one server process)"

for round in $(seq 1 "$ROUNDS"); do
  PORT=$(free_port)
  BASE=http://127.0.0.1:$PORT
  (cd "$WORK" && REDIS_URL="unix://$WORK/redis.sock" ORIGINGUARD_NO_WORKERS=true \
    ORIGINGUARD_NAMESERVERS=$NAMESERVER ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" \
    ORIGINGUARD_LISTEN=127.0.0.1:$PORT ORIGINGUARD_NO_RATE_LIMITS=1 RUST_LOG=warn exec "$BIN" serve > "$WORK/service.log" 2>&1) &
  SERVICE=$!
  for _ in $(seq 1 200); do curl -sf "$BASE/readyz" > /dev/null && break; sleep 0.05; done
  START=$(date +%s.%N)
  for b in 00 01 02 03 04 05 06 07 08 09; do
    curl -sf -o "$WORK/answer.$b" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      --data-binary @"$WORK/body.$b" "$BASE/v1/resolve"
  done
  END=$(date +%s.%N)
  CPU=$(sed 's/.*) //' "/proc/$SERVICE/stat" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($12 + $13) / hz}')
  stop "$SERVICE"; SERVICE=
  # Checked after the clock stopped: every name has its A record, NS, PTR and no DNS error
  # (documentation addresses are reported blocked_address, nothing else).
  GOOD=$(python3 - "$WORK" <<'EOF'
import json, sys
good = 0
for b in range(10):
    for x in json.load(open("%s/answer.%02d" % (sys.argv[1], b)))["results"]:
        ok = (x["records"]["a"] and x["records"]["ns"]
              and all(a["ptr"] for a in x["addresses"])
              and all(e["code"] == "blocked_address" for e in x["errors"]))
        good += bool(ok)
print(good)
EOF
)
  echo "round $round: $GOOD of 10000 names resolved (A, NS, PTR, no DNS error) in $(python3 -c "print(round($END-$START,2))")s = $(python3 -c "print(round(10000/($END-$START)))") names/s; service CPU ${CPU}s; load $(cut -d' ' -f1 /proc/loadavg)"
done
