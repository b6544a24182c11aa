#!/usr/bin/env bash
# The blocklist at 1,000,000 active entries: time and peak memory of the service for the full
# RPZ and JSON answers, and p99 latency of a 1,000-change delta. Loopback only.
#
#   bash benches/blocklist.sh            # ENTRIES=1000000 DELTA=1000 DURATION=10
#
# The entries are written straight into the service's Redis with `redis-cli --pipe` in the
# layout src/store/blocklist.rs keeps (takedowns are not needed to measure reading them).
# Needs: curl, wrk, redis-cli, python3. BENCHMARKS.md records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-1000000}
DELTA=${DELTA:-1000}
DURATION=${DURATION:-10}

cargo build --release --quiet
BIN=$PWD/target/release/originguard
WORK=$(mktemp -d /tmp/og-bl.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

cleanup() {
  [ -n "${SERVICE:-}" ] && kill "$SERVICE" 2>/dev/null && wait "$SERVICE" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

out=$("$BIN" keys new --role operator --operator viettel --name load-operator)
SECRET=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
printf '%s\n' "$out" | grep -v '^#' > "$WORK/keys.toml"

(cd "$WORK" && ORIGINGUARD_NAMESERVERS=127.0.0.1:9 ORIGINGUARD_NO_SAMPLE_DATA=true ORIGINGUARD_SCHEDULER_POLL_MS=200 \
  ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" ORIGINGUARD_LISTEN=127.0.0.1:$PORT \
  ORIGINGUARD_NO_RATE_LIMITS=1 RUST_LOG=warn exec "$BIN" serve > "$WORK/service.log" 2>&1) &
SERVICE=$!
for _ in $(seq 1 200); do
  curl -sf "$BASE/readyz" > /dev/null && break
  sleep 0.05
done
SOCKET=$WORK/data/redis/redis.sock
PID=$SERVICE
R() { redis-cli -s "$SOCKET" "$@"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# Entries 1..ENTRIES, then DELTA more changes (half removals of old entries, half additions).
python3 - "$ENTRIES" "$DELTA" > "$WORK/fill.resp" <<'EOF_PY'
import json, sys
entries, delta = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
T = "og:{enforce}:bl:"
def value(i):
    if i % 10 == 0:
        return "198.%d.%d.%d" % (18 + (i >> 16) % 2, (i >> 8) % 256, i % 256), "ip"
    return "shop%07d.bench-fake.example" % i, "domain"
def add(i, version):
    v, kind = value(i)
    e = {"value": v, "type": kind, "subdomains": kind == "domain", "takedown_id": "td_%024x" % i,
         "category": "counterfeit", "added_in": 0}
    j = json.dumps(e, separators=(",", ":"))
    cmd("HSET", T + "holders", v, e["takedown_id"])
    cmd("HSET", T + "active", v, j)
    cmd("HSET", T + "added", v, version)
    cmd("ZADD", T + "sorted", 0, v + ("\ts" if e["subdomains"] else "\t-"))
    cmd("HINCRBY", T + "types", kind, 1)
    cmd("XADD", T + "log", "MAXLEN", "~", 100000, version, "op", "add", "entry", j, "at", "2026-11-23T00:00:00+00:00")
def remove(i, version):
    v, kind = value(i)
    e = {"value": v, "type": kind, "subdomains": kind == "domain", "takedown_id": "td_%024x" % i,
         "category": "counterfeit", "added_in": 0}
    cmd("HDEL", T + "holders", v); cmd("HDEL", T + "active", v); cmd("HDEL", T + "added", v)
    cmd("ZREM", T + "sorted", v + ("\ts" if e["subdomains"] else "\t-"))
    cmd("HINCRBY", T + "types", kind, -1)
    cmd("XADD", T + "log", "MAXLEN", "~", 100000, version, "op", "remove", "entry",
        json.dumps(e, separators=(",", ":")), "at", "2026-11-23T00:00:00+00:00")
for i in range(1, entries + 1):
    add(i, i)
cmd("SET", T + "version", entries)
EOF_PY
start=$(date +%s.%N)
R --pipe < "$WORK/fill.resp" | tail -1
echo "filled $ENTRIES entries in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s; redis used_memory $(R info memory | tr -d '\r' | awk -F: '/^used_memory_human/ {print $2}')"

wait_published() {
  for _ in $(seq 1 600); do
    [ "$(R hget 'og:{enforce}:bl:checksum' version)" = "$1" ] && return 0
    sleep 0.2
  done
  echo "checksum of version $1 never published" >&2; exit 1
}
t0=$(date +%s.%N); wait_published "$ENTRIES"
echo "checksum of version $ENTRIES published by the workers $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s after the fill"

full() { # format
  echo 5 > "/proc/$PID/clear_refs"   # reset the peak-RSS mark
  local before after
  before=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
  curl -s -H "Authorization: Bearer $SECRET" -o "$WORK/full.$1" -w "%{time_total} %{size_download}" "$BASE/v1/blocklist?format=$1" > "$WORK/timing"
  after=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
  read -r seconds bytes < "$WORK/timing" || true   # no trailing newline
  echo "full $1: ${seconds} s, $((bytes / 1048576)) MiB, service rss before ${before} KiB, peak during ${after} KiB (+$(( (after - before) / 1024 )) MiB)"
}
full rpz; full rpz; full json; full text
sum_text=$(tail -n +2 "$WORK/full.text" | sha256sum | cut -d' ' -f1)
sum_json=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checksum"])' "$WORK/full.json")
[ "$sum_text" = "$sum_json" ] && echo "checksum: text answer | sha256sum = JSON checksum ($sum_json)" || { echo "checksum mismatch $sum_text $sum_json" >&2; exit 1; }

# DELTA changes after version ENTRIES: removals of the first DELTA/2 entries, additions of new ones.
python3 - "$ENTRIES" "$DELTA" > "$WORK/delta.resp" <<'EOF_PY'
import sys
entries, delta = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
T = "og:{enforce}:bl:"
version = entries
for k in range(delta):
    version += 1
    if k % 2 == 0:
        i = k + 1
        v = "198.%d.%d.%d" % (18 + (i >> 16) % 2, (i >> 8) % 256, i % 256) if i % 10 == 0 else "shop%07d.bench-fake.example" % i
        flag = "\t-" if i % 10 == 0 else "\ts"
        kind = "ip" if i % 10 == 0 else "domain"
        cmd("HDEL", T + "active", v); cmd("HDEL", T + "added", v); cmd("HDEL", T + "holders", v)
        cmd("ZREM", T + "sorted", v + flag); cmd("HINCRBY", T + "types", kind, -1)
        e = '{"value":"%s","type":"%s","subdomains":%s,"takedown_id":"td_%024x","category":"counterfeit","added_in":0}' % (v, kind, "false" if kind == "ip" else "true", i)
        cmd("XADD", T + "log", "MAXLEN", "~", 100000, version, "op", "remove", "entry", e, "at", "2026-11-23T00:00:00+00:00")
    else:
        v = "new%07d.bench-fake.example" % k
        e = '{"value":"%s","type":"domain","subdomains":true,"takedown_id":"td_%024x","category":"smuggled","added_in":0}' % (v, 10**7 + k)
        cmd("HSET", T + "active", v, e); cmd("HSET", T + "added", v, version); cmd("HSET", T + "holders", v, "x")
        cmd("ZADD", T + "sorted", 0, v + "\ts"); cmd("HINCRBY", T + "types", "domain", 1)
        cmd("XADD", T + "log", "MAXLEN", "~", 100000, version, "op", "add", "entry", e, "at", "2026-11-23T00:00:00+00:00")
cmd("SET", T + "version", version)
EOF_PY
R --pipe < "$WORK/delta.resp" | tail -1
NEW=$((ENTRIES + DELTA))
wait_published "$NEW"
curl -s -H "Authorization: Bearer $SECRET" "$BASE/v1/blocklist?since=$ENTRIES" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("delta of %d changes: version %d, %d additions, %d removals, full=%s" % ('"$DELTA"', d["version"], len(d["additions"]), len(d["removals"]), d["full"]))'
cat > "$WORK/delta.lua" <<EOF_LUA
wrk.headers["Authorization"] = "Bearer $SECRET"
done = function(summary, latency)
  io.write(string.format("delta since $ENTRIES (${DELTA} changes): %.0f answers/s, p50 %.2f ms, p99 %.2f ms, non-200 %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
EOF_LUA
for connections in 1 4; do
  printf 'wrk -c%s: ' "$connections"
  wrk -t1 -c"$connections" -d"${DURATION}s" --latency -s "$WORK/delta.lua" "$BASE/v1/blocklist?since=$ENTRIES" | grep '^delta since'
done
