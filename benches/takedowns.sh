#!/usr/bin/env bash
# Takedown intake under load, beside redis-benchmark XADD on the same Redis in the same run.
# Loopback only: the service's resolver points at a loopback port, and its workers are off
# (ORIGINGUARD_NO_WORKERS) so that what is measured is intake alone.
#
#   bash benches/takedowns.sh                 # 10 s of wrk, 32 connections
#   DURATION=5 CONNECTIONS=64 bash benches/takedowns.sh
#
# Needs: wrk, curl, redis-server, redis-benchmark, python3. BENCHMARKS.md records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
XADD_REQUESTS=${XADD_REQUESTS:-200000}

cargo build --release --quiet
BIN=$PWD/target/release/originguard
WORK=$(mktemp -d /tmp/og-td.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

cleanup() {
  [ -n "${SERVICE:-}" ] && kill "$SERVICE" 2>/dev/null && wait "$SERVICE" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

out=$("$BIN" keys new --role authority --name load-authority --agency "Cục QLTT Hà Nội")
SECRET=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
printf '%s\n' "$out" | grep -v '^#' > "$WORK/keys.toml"

(cd "$WORK" && ORIGINGUARD_NAMESERVERS=127.0.0.1:9 ORIGINGUARD_NO_WORKERS=true ORIGINGUARD_NO_SAMPLE_DATA=true \
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
echo "redis: $(redis-server --version | awk '{print $3}'), AOF appendfsync $(redis-cli -s "$SOCKET" config get appendfsync | tail -1)"

printf 'local key = "%s"\n' "$SECRET" > "$WORK/submit.lua"
cat >> "$WORK/submit.lua" <<'EOF_LUA'
local i = 0
local template = '{"target":"shop%d.example.com","category":"counterfeit",' ..
  '"legal_basis":{"document_number":"123/QĐ-QLTT","issued_on":"2026-11-02","issuer":"Cục QLTT Hà Nội"},' ..
  '"evidence":[{"url":"https://shop%d.example.com/p/1","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",' ..
  '"captured_at":"2026-11-01T08:00:00Z","description":"listing"}],"requested_action":"block"}'
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/takedowns",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key},
    string.format(template, i, i))
end
local accepted, other = 0, 0
response = function(status)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end
done = function(summary, latency)
  io.write(string.format("takedown intake: %.0f accepted/s, p50 %.2f ms, p99 %.2f ms, non-202 answers %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status))
end
EOF_LUA
# CPU time of each process over the run (utime + stime from /proc), per accepted submission.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
REDIS_PID=$(pgrep -f "redis-server unixsocket:$SOCKET" -n || true)
service_before=$(cpu_ticks "$SERVICE"); redis_before=$([ -n "$REDIS_PID" ] && cpu_ticks "$REDIS_PID" || echo 0)
stored_before=$(redis-cli -s "$SOCKET" zcard 'og:{enforce}:index:all')
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/submit.lua" "$BASE" > "$WORK/wrk.txt" &
WRK=$!
sleep 1; wrk_ticks=0
while kill -0 "$WRK" 2> /dev/null; do wrk_ticks=$(cpu_ticks "$WRK" 2> /dev/null || echo "$wrk_ticks"); sleep 0.2; done
wait "$WRK"
grep '^takedown intake' "$WORK/wrk.txt"
stored_after=$(redis-cli -s "$SOCKET" zcard 'og:{enforce}:index:all')
python3 - "$(getconf CLK_TCK)" "$((stored_after - stored_before))" \
  "$(( $(cpu_ticks "$SERVICE") - service_before ))" \
  "$([ -n "$REDIS_PID" ] && echo $(( $(cpu_ticks "$REDIS_PID") - redis_before )) || echo 0)" "$wrk_ticks" <<'EOF_PY'
import sys
hz, n, service, redis, wrk = (float(x) for x in sys.argv[1:])
per = lambda ticks: ticks / hz / max(n, 1) * 1e6
print(f"cpu per submission: service {per(service):.0f} µs, redis {per(redis):.0f} µs (main process), wrk {per(wrk):.0f} µs (at least; sampled)")
EOF_PY
stored=$(redis-cli -s "$SOCKET" zcard 'og:{enforce}:index:all')
queued=$(redis-cli -s "$SOCKET" xlen 'og:{enforce}:queue:intake')
echo "stored requests: $stored, queued: $queued, audit entries: $(redis-cli -s "$SOCKET" xlen 'og:{enforce}:audit:log')"
redis-cli -s "$SOCKET" info commandstats | tr -d '\r' | grep -E '^cmdstat_(evalsha|hgetall|lrange|xadd|hset|rpush|zadd|hmget|incr|set|get):' \
  | sed -E 's/^cmdstat_([a-z]+):calls=([0-9]+),usec=[0-9]+,usec_per_call=([0-9.]+).*/redis time per call: \1 \3 µs (\2 calls)/'
echo "service rss: $(awk '/VmRSS/ {print $2}' "/proc/$(pgrep -f "target/release/originguard serve" -n)/status") KiB"

# The same requests through the batch endpoint (one HTTP request carries 1,000 of them), so
# that the HTTP round trip per submission is out of the way and the storage path is what is
# left: BATCH_CLIENTS clients each send BATCHES batches.
python3 - "$WORK/batch.ndjson" <<'EOF_PY'
import json, sys
line = {"category": "counterfeit", "requested_action": "block",
        "legal_basis": {"document_number": "123/QĐ-QLTT", "issued_on": "2026-11-02", "issuer": "Cục QLTT Hà Nội"}}
with open(sys.argv[1], "w") as out:
    for i in range(1000):
        line["target"] = f"batch{i}.example.com"
        line["evidence"] = [{"url": f"https://batch{i}.example.com/p/1",
                             "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                             "captured_at": "2026-11-01T08:00:00Z", "description": "listing"}]
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
EOF_PY
service_before=$(cpu_ticks "$SERVICE"); redis_before=$([ -n "$REDIS_PID" ] && cpu_ticks "$REDIS_PID" || echo 0)
stored_before=$(redis-cli -s "$SOCKET" zcard 'og:{enforce}:index:all')
started=$(date +%s.%N); clients=()
for _ in $(seq 1 "${BATCH_CLIENTS:-4}"); do
  (for _ in $(seq 1 "${BATCHES:-5}"); do
    curl -sf -o /dev/null -H "Authorization: Bearer $SECRET" -H 'Content-Type: application/x-ndjson' \
      --data-binary @"$WORK/batch.ndjson" "$BASE/v1/takedowns/batch"
  done) &
  clients+=($!)
done
wait "${clients[@]}"
ended=$(date +%s.%N)
stored_after=$(redis-cli -s "$SOCKET" zcard 'og:{enforce}:index:all')
batch_redis_ticks=$([ -n "$REDIS_PID" ] && echo $(( $(cpu_ticks "$REDIS_PID") - redis_before )) || echo 0)
batch_stored=$((stored_after - stored_before))
python3 - "$(getconf CLK_TCK)" "$batch_stored" "$started" "$ended" \
  "$(( $(cpu_ticks "$SERVICE") - service_before ))" "$batch_redis_ticks" <<'EOF_PY'
import sys
hz, n, started, ended, service, redis = (float(x) for x in sys.argv[1:])
per = lambda ticks: ticks / hz / max(n, 1) * 1e6
print(f"batch intake: {n / (ended - started):.0f} accepted/s ({n:.0f} in {ended - started:.1f} s); "
      f"cpu per submission: service {per(service):.0f} µs, redis {per(redis):.0f} µs")
EOF_PY

# The same Redis, XADD alone, same client concurrency, with Redis's CPU time per XADD.
redis_before=$([ -n "$REDIS_PID" ] && cpu_ticks "$REDIS_PID" || echo 0)
xadd=$(redis-benchmark -s "$SOCKET" -n "$XADD_REQUESTS" -c "$CONNECTIONS" -q XADD og:bench:xadd '*' id td_000000000000000000000000 \
  | tr '\r' '\n' | grep -a 'XADD' | tail -1)
echo "redis-benchmark: $xadd"
redis_xadd_ticks=$(( $([ -n "$REDIS_PID" ] && cpu_ticks "$REDIS_PID" || echo 0) - redis_before ))
redis-cli -s "$SOCKET" del og:bench:xadd > /dev/null
# Redis is single-threaded: however many cores the service and the load generator get, intake
# cannot pass one Redis core's worth of submissions (fsync waits aside). Set beside the XADD
# rate, that is the most the intake/XADD ratio could be on a machine where nothing else takes
# Redis's core.
python3 - "$(getconf CLK_TCK)" "$XADD_REQUESTS" "$redis_xadd_ticks" "$batch_stored" "$batch_redis_ticks" \
  "$(printf '%s\n' "$xadd" | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')" <<'EOF_PY'
import sys
hz, n, ticks, stored, batch_ticks, xadd_rate = (float(x) for x in sys.argv[1:])
xadd_us = ticks / hz / n * 1e6
intake_us = batch_ticks / hz / max(stored, 1) * 1e6
ceiling = 1e6 / max(intake_us, 0.1)
print(f"redis cpu: {intake_us:.0f} µs per submission (batch round), {xadd_us:.1f} µs per XADD: "
      f"one submission costs Redis {intake_us / max(xadd_us, 0.1):.1f} XADDs; a Redis core to "
      f"itself would take at most {ceiling:.0f} submissions/s, {100 * ceiling / xadd_rate:.0f} % "
      f"of the XADD rate")
EOF_PY
