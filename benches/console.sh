#!/usr/bin/env bash
# Server time of the console's pages with 100,000 takedown requests in Redis.
#
# Loads REQUESTS requests through the API's batch intake (rate limits off), lets the
# in-process workers route them (the resolver points at 127.0.0.1:1, where nothing answers, and
# TLS peeks are off: nothing leaves the machine), then signs in as the registry, an authority
# and a platform and times each page RUNS times with curl on loopback
# (time_starttransfer: the server's time to the first byte, plus a loopback round trip).
#
#   bash benches/console.sh                       # 100,000 requests, 200 runs a page
#   REQUESTS=20000 RUNS=50 bash benches/console.sh
#
# Needs: curl, redis-server, redis-cli, python3. BENCHMARKS.md records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-100000}
RUNS=${RUNS:-200}

cargo build --release --quiet
BIN=$PWD/target/release/originguard
WORK=$(mktemp -d /tmp/og-console.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

cleanup() {
  [ -n "${SERVICE:-}" ] && kill "$SERVICE" 2>/dev/null && wait "$SERVICE" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

key() { # role name extra-args… → prints the secret, appends the stanza to keys.toml
  local out
  out=$("$BIN" keys new --role "$1" --name "$2" "${@:3}")
  printf '%s\n' "$out" | grep -v '^#' >> "$WORK/keys.toml"
  printf '%s\n' "$out" | sed -n '2s/^# //p'
}
AUTHORITY=$(key authority bench-authority --agency "Cục QLTT Hà Nội")
REGISTRY=$(key registry bench-vnnic)
PLATFORM=$(key platform bench-shopee --platform shopee)

# The sample reference data (loaded into the empty managed Redis) lists shopee as a platform.
(cd "$WORK" && ORIGINGUARD_NAMESERVERS=127.0.0.1:1 ORIGINGUARD_TAKEDOWN_NO_TLS=true \
  ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" ORIGINGUARD_LISTEN=127.0.0.1:$PORT \
  ORIGINGUARD_NO_RATE_LIMITS=1 RUST_LOG=warn exec "$BIN" serve > "$WORK/service.log" 2>&1) &
SERVICE=$!
for _ in $(seq 1 200); do
  curl -sf "$BASE/readyz" > /dev/null && break
  sleep 0.05
done
SOCKET=$WORK/data/redis/redis.sock
[ -S "$SOCKET" ] || { echo "no managed Redis socket at $SOCKET" >&2; cat "$WORK/service.log" >&2; exit 1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "redis: $(redis-server --version | awk '{print $3}')"

# Batches of 10,000 lines: 60 % .vn domains (the registry's queue), 30 % listings on shopee.vn
# (notices), 10 % foreign domains (the blocklist).
python3 - "$WORK" "$REQUESTS" <<'EOF_PY'
import json, sys
work, total = sys.argv[1], int(sys.argv[2])
categories = ["counterfeit", "smuggled", "ip_infringement", "prohibited_goods", "unlicensed_trading"]
batch, out = 0, None
for i in range(total):
    if i % 10000 == 0:
        if out: out.close()
        out = open(f"{work}/batch{batch}.ndjson", "w"); batch += 1
    kind = i % 10
    target = (f"https://shopee.vn/seller-{i}" if kind in (0, 1, 2)
              else f"shop{i}.example.com" if kind == 3 else f"shop{i}.vn")
    line = {"target": target, "category": categories[i % 5],
            "legal_basis": {"document_number": f"{i}/QĐ-QLTT", "issued_on": "2026-11-02", "issuer": "Cục QLTT Hà Nội"},
            "evidence": [{"url": f"https://shop{i}.vn/p/1", "captured_at": "2026-11-01T08:00:00Z",
                          "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}
    out.write(json.dumps(line, ensure_ascii=False) + "\n")
out.close()
EOF_PY
started=$(date +%s)
for f in "$WORK"/batch*.ndjson; do
  curl -sf -o /dev/null -H "Authorization: Bearer $AUTHORITY" -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$f" "$BASE/v1/takedowns/batch"
done
echo "stored: $(redis-cli -s "$SOCKET" zcard 'og:{enforce}:index:all') requests in $(( $(date +%s) - started )) s"
while :; do
  left=$(redis-cli -s "$SOCKET" xlen 'og:{enforce}:queue:intake')
  [ "$left" -eq 0 ] && break
  sleep 2
done
echo "routed in $(( $(date +%s) - started )) s: registry queue $(redis-cli -s "$SOCKET" zcard 'og:{enforce}:index:registry:pending_review'), shopee notices $(redis-cli -s "$SOCKET" zcard 'og:{enforce}:platform:shopee:notices'), blocklist $(redis-cli -s "$SOCKET" hlen 'og:{enforce}:bl:active')"

sign_in() { # secret jar
  local token
  token=$(curl -sf -c "$2" "$BASE/console/sign-in" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
  curl -sf -o /dev/null -b "$2" -c "$2" --data-urlencode "csrf=$token" --data-urlencode "key=$1" "$BASE/console/sign-in"
}
sign_in "$REGISTRY" "$WORK/registry.jar"
sign_in "$AUTHORITY" "$WORK/authority.jar"
sign_in "$PLATFORM" "$WORK/platform.jar"
first_id() { redis-cli -s "$SOCKET" zrangebylex "$1" - + LIMIT 0 1; }
REGISTRY_ID=$(first_id 'og:{enforce}:index:registry:pending_review')
AGENCY_ID=$(redis-cli -s "$SOCKET" zrevrangebylex 'og:{enforce}:index:all' + - LIMIT 0 1)

time_page() { # label jar path
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -b "$2" "$BASE$3")
  [ "$status" = 200 ] || { echo "$1: $3 answered $status" >&2; exit 1; }
  for _ in $(seq 1 "$RUNS"); do
    curl -s -o /dev/null -w '%{time_starttransfer}\n' -b "$2" "$BASE$3"
  done | python3 -c '
import sys, statistics
label = sys.argv[1]
t = sorted(float(x) * 1000 for x in sys.stdin)
p99 = t[min(len(t) - 1, int(len(t) * 0.99))]
print(f"{label:<44} median {statistics.median(t):6.1f} ms   p99 {p99:6.1f} ms   max {t[-1]:6.1f} ms")
' "$1"
}
time_page "registry queue, first page" "$WORK/registry.jar" "/console/registry"
time_page "registry queue, suspended (empty state)" "$WORK/registry.jar" "/console/registry?state=suspended"
time_page "registry queue, filtered (category)" "$WORK/registry.jar" "/console/registry?category=smuggled"
time_page "registry queue, filtered (no match)" "$WORK/registry.jar" "/console/registry?target=nothing-matches"
time_page "registry request page" "$WORK/registry.jar" "/console/registry/$REGISTRY_ID"
time_page "agency's list (with compliance)" "$WORK/authority.jar" "/console/takedowns"
time_page "agency's list, filtered (no match)" "$WORK/authority.jar" "/console/takedowns?state=needs_review"
time_page "agency's request page" "$WORK/authority.jar" "/console/takedowns/$AGENCY_ID"
time_page "platform notices" "$WORK/platform.jar" "/console/notices"
time_page "platform notices, filtered (no match)" "$WORK/platform.jar" "/console/notices?state=declined"
echo "service rss: $(awk '/VmRSS/ {print $2}' "/proc/$(pgrep -f "target/release/originguard serve" -n)/status") KiB"
