#!/usr/bin/env bash
# Takedown intake beside BullMQ, the queue an agency would otherwise put in front of its own
# workers, on the same Redis in the same run (issue 22). One redis-server started here (TCP on
# a free 127.0.0.1 port, AOF on, `appendfsync always`, no RDB, no AOF rewrite during the run)
# serves both sides; neither side runs workers (the service with ORIGINGUARD_NO_WORKERS, BullMQ
# with no Worker). The service's name server is the loopback NSD of benches/support/nsd.sh
# (with its workers off it asks nothing). Loopback only.
#
# Three modes, each in ROUNDS alternating rounds (originguard, BullMQ, originguard, ...), each
# run DURATION seconds:
#   single  POST /v1/takedowns, wrk with IN_FLIGHT connections   vs queue.add, IN_FLIGHT outstanding
#   batch   POST /v1/takedowns/batch, 1,000 NDJSON lines,           vs queue.addBulk of 1,000,
#           BATCH_IN_FLIGHT requests outstanding                       BATCH_IN_FLIGHT outstanding
#   idem    POST /v1/takedowns with a unique Idempotency-Key        vs queue.add with a unique jobId
#   floor   GET /healthz carrying the single mode's headers and body, wrk with IN_FLIGHT
#           connections, no peer: what one HTTP request costs the service and wrk when the
#           service does nothing with it (the part of a single submission that BullMQ's
#           in-process producer does not have)
# Per run: jobs/s, and per job the CPU of Redis, of the service or of the Node producer, and of
# wrk, Redis's own time in commands (INFO commandstats) and the AOF bytes written.
#
#   bash benches/intake_peers.sh
#   DURATION=5 ROUNDS=1 bash benches/intake_peers.sh
#   MODES="single idem" bash benches/intake_peers.sh
#
# Needs: wrk, curl, redis-server, redis-cli, python3, node and npm (bullmq and ioredis are
# installed from the npm registry into target/npm-bench/ on the first run), nsd (installed by
# nsd.sh when missing). BENCHMARKS.md records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
IN_FLIGHT=${IN_FLIGHT:-32}
BATCH_IN_FLIGHT=${BATCH_IN_FLIGHT:-4}
MODES=${MODES:-single batch idem floor}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
NPM_DIR=$PWD/target/npm-bench

cargo build --release --quiet
cargo build --release --quiet --example bench_zones
. benches/support/nsd.sh
BIN=$TARGET_DIR/release/originguard
WORK=$(mktemp -d /tmp/og-peers.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop() { # stops one child started here, by its pid
  if [ -n "${1:-}" ] && kill "$1" 2> /dev/null; then wait "$1" 2> /dev/null || true; fi
}
cleanup() {
  stop "${WRK:-}"
  stop "${NODE:-}"
  stop "${SERVICE:-}"
  stop_nsd
  stop "${REDIS:-}"
  rm -rf "$WORK"
}
trap cleanup EXIT

# BullMQ and ioredis, pinned to what was installed first (package-lock.json stays there).
if [ ! -d "$NPM_DIR/node_modules/bullmq" ] || [ ! -d "$NPM_DIR/node_modules/ioredis" ]; then
  mkdir -p "$NPM_DIR"
  npm install --prefix "$NPM_DIR" --no-audit --no-fund --silent bullmq ioredis
fi
cp benches/support/bullmq_bench.mjs "$NPM_DIR/bullmq_bench.mjs"

# The one Redis of both sides.
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --protected-mode yes --dir "$WORK" \
  --appendonly yes --appendfsync always --save '' --auto-aof-rewrite-percentage 0 \
  --logfile "$WORK/redis.log" > /dev/null 2>&1 &
REDIS=$!
rcli() { redis-cli -h 127.0.0.1 -p "$RPORT" "$@"; }
for _ in $(seq 1 200); do rcli ping > /dev/null 2>&1 && break; sleep 0.05; done
rcli ping > /dev/null

start_nsd "$WORK/nsd" "$TARGET_DIR/release"
case "$NAMESERVER" in 127.0.0.1:*) ;; *) echo "no loopback name server: $NAMESERVER" >&2; exit 1 ;; esac

out=$("$BIN" keys new --role authority --name peers-authority --agency "Cục QLTT Hà Nội")
SECRET=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
printf '%s\n' "$out" | grep -v '^#' > "$WORK/keys.toml"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
(cd "$WORK" && REDIS_URL="redis://127.0.0.1:$RPORT" ORIGINGUARD_NAMESERVERS=$NAMESERVER \
  ORIGINGUARD_NO_WORKERS=true ORIGINGUARD_NO_SAMPLE_DATA=true ORIGINGUARD_NO_RATE_LIMITS=1 \
  ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" ORIGINGUARD_LISTEN=127.0.0.1:$PORT RUST_LOG=warn \
  exec "$BIN" serve > "$WORK/service.log" 2>&1) &
SERVICE=$!
for _ in $(seq 1 200); do curl -sf "$BASE/readyz" > /dev/null && break; sleep 0.05; done
curl -sf "$BASE/readyz" > /dev/null || { cat "$WORK/service.log" >&2; exit 1; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "redis: $(redis-server --version | awk '{print $3}'), appendonly $(rcli config get appendonly | tail -1), appendfsync $(rcli config get appendfsync | tail -1); bullmq $(node -p "require('$NPM_DIR/node_modules/bullmq/package.json').version"), ioredis $(node -p "require('$NPM_DIR/node_modules/ioredis/package.json').version"), node $(node --version)"
echo "runs of ${DURATION}s; single/idem: $IN_FLIGHT in flight; batch: $BATCH_IN_FLIGHT batches of 1,000 in flight"

# Request bodies: the one takedown of benches/takedowns.sh, numbered; keys unique per run.
template='{"target":"shop%d.example.com","category":"counterfeit",'\
'"legal_basis":{"document_number":"123/QĐ-QLTT","issued_on":"2026-11-02","issuer":"Cục QLTT Hà Nội"},'\
'"evidence":[{"url":"https://shop%d.example.com/p/1","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",'\
'"captured_at":"2026-11-01T08:00:00Z","description":"listing"}],"requested_action":"block"}'
python3 - "$WORK/batch.ndjson" "$template" <<'EOF_PY'
import sys
with open(sys.argv[1], "w") as out:
    for i in range(1000):
        out.write(sys.argv[2].replace("%d", str(i)) + "\n")
EOF_PY
# wrk: each connection's requests are numbered per thread; accepted jobs are counted from the
# answers (202 for one request; each `"id":` line of a batch answer), so only finished
# requests count, as on the BullMQ side.
write_lua() { # MODE TAG
  {
    printf 'local key, mode, tag = "%s", "%s", "%s"\n' "$SECRET" "$1" "$2"
    printf 'local template = [[%s]]\n' "$template"
    printf 'local batch_file = "%s"\n' "$WORK/batch.ndjson"
    cat <<'EOF_LUA'
local threads, counter = {}, 1
setup = function(thread)
  thread:set("tid", counter); counter = counter + 1
  table.insert(threads, thread)
end
local i, batch_request = 0, nil
accepted = 0
init = function()
  if mode == "batch" then
    local f = assert(io.open(batch_file, "r")); local body = f:read("*a"); f:close()
    batch_request = wrk.format("POST", "/v1/takedowns/batch",
      {["Content-Type"] = "application/x-ndjson", ["Authorization"] = "Bearer " .. key}, body)
  end
end
request = function()
  if mode == "batch" then return batch_request end
  i = i + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
  if mode == "idem" then headers["Idempotency-Key"] = string.format("%s-%d-%d", tag, tid, i) end
  if mode == "floor" then return wrk.format("GET", "/healthz", headers, string.format(template, i, i)) end
  return wrk.format("POST", "/v1/takedowns", headers, string.format(template, i, i))
end
response = function(status, headers, body)
  if mode == "batch" then
    if status == 200 then accepted = accepted + select(2, string.gsub(body, '"id":', '')) end
  elseif status == 202 or (mode == "floor" and status == 200) then
    accepted = accepted + 1
  end
end
done = function(summary, latency)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("accepted") end
  io.write(string.format("%d %.6f %.3f %.3f %d %d\n", total, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF_LUA
  } > "$WORK/$1.lua"
}

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
aof_bytes() { rcli info persistence | tr -d '\r' | awk -F: '/^aof_current_size:/ {print $2}'; }
# Redis time inside scripts (both sides write through EVALSHA). Commands that a script calls
# are counted again under their own names in INFO commandstats, so the lines do not add up.
redis_usec() { rcli info commandstats | tr -d '\r' | sed -nE 's/^cmdstat_evalsha:calls=[0-9]+,usec=([0-9]+),.*/\1/p' | awk '{s += $1} END {print s + 0}'; }
top_commands() { # the three commands with the most Redis time, per job
  rcli info commandstats | tr -d '\r' | sed -nE 's/^cmdstat_([^:]+):calls=([0-9]+),usec=([0-9]+),.*/\3 \2 \1/p' \
    | sort -rn | head -3 | awk -v n="$1" '{printf "%s%s %.1f µs (%.2f calls)", (NR > 1 ? ", " : ""), $3, $1 / n, $2 / n}'
}

HZ=$(getconf CLK_TCK)
declare -A RATE
run=0
report() { # SIDE MODE ROUND JOBS SECONDS SIDE_CPU_S WRK_CPU_S REDIS_TICKS REDIS_USEC AOF_BYTES P50 P99 EXTRA
  python3 - "$HZ" "$@" <<'EOF_PY'
import sys
hz = float(sys.argv[1])
side, mode, rnd, jobs, secs, side_cpu, client_cpu, rticks, rusec, aof, p50, p99, extra = sys.argv[2:15]
jobs, secs = max(float(jobs), 1), float(secs)
us = lambda s: float(s) / jobs * 1e6
who = "service" if side == "originguard" else "node producer"
client = f", wrk {us(client_cpu):.0f} µs" if side == "originguard" else ""
print(f"  {side:11s} {jobs / secs:9.0f} jobs/s ({jobs:.0f} in {secs:.1f} s, p50 {p50} ms, p99 {p99} ms); per job: "
      f"redis cpu {us(float(rticks) / hz):.0f} µs, in scripts {float(rusec) / jobs:.1f} µs, "
      f"{who} {us(side_cpu):.0f} µs{client}, aof {float(aof) / jobs:.0f} B{extra}")
EOF_PY
}

for mode in $MODES; do
  echo "== $mode"
  sides="originguard bullmq"; [ "$mode" = floor ] && sides=originguard
  for round in $(seq 1 "$ROUNDS"); do
    for side in $sides; do
      run=$((run + 1)); tag="r$run-$$"
      load=$(cut -d' ' -f1-3 /proc/loadavg)
      rcli config resetstat > /dev/null
      r0=$(ticks "$REDIS"); a0=$(aof_bytes); s0=$(ticks "$SERVICE")
      if [ "$side" = originguard ]; then
        write_lua "$mode" "$tag"
        n0=$(rcli zcard 'og:{enforce}:index:all')
        conns=$IN_FLIGHT; [ "$mode" = batch ] && conns=$BATCH_IN_FLIGHT
        /usr/bin/time -f '%U %S' -o "$WORK/wrk.time" \
          wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 30s -s "$WORK/$mode.lua" "$BASE" > "$WORK/wrk.out" &
        WRK=$!; wait "$WRK"; WRK=
        read -r jobs secs p50 p99 non2xx sockerr < <(tail -1 "$WORK/wrk.out")
        wrk_cpu=$(awk '{print $1 + $2}' "$WORK/wrk.time")
        side_cpu=$(python3 -c "print(($(ticks "$SERVICE") - $s0) / $HZ)")
        stored=$(( $(rcli zcard 'og:{enforce}:index:all') - n0 ))
        extra="; stored $stored, non-2xx $non2xx, socket errors $sockerr"
      else
        width=$IN_FLIGHT; [ "$mode" = batch ] && width=$BATCH_IN_FLIGHT
        bmode=$mode; [ "$mode" = batch ] && bmode=bulk; [ "$mode" = idem ] && bmode=jobid
        node "$NPM_DIR/bullmq_bench.mjs" "$bmode" "$DURATION" "$width" "$RPORT" "$tag" > "$WORK/node.out" &
        NODE=$!; wait "$NODE"; NODE=
        read -r jobs secs p50 p99 side_cpu failures < <(python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(r["jobs"], r["seconds"], "%.3f" % r["p50_ms"], "%.3f" % r["p99_ms"], r["cpu_s"], r["failures"])' "$WORK/node.out")
        wrk_cpu=0
        extra="; failed adds $failures"
      fi
      r1=$(ticks "$REDIS"); a1=$(aof_bytes); usec=$(redis_usec)
      report "$side" "$mode" "$round" "$jobs" "$secs" "$side_cpu" "$wrk_cpu" "$((r1 - r0))" "$usec" "$((a1 - a0))" "$p50" "$p99" "$extra"
      echo "              load before $load; redis time by command per job (script calls counted twice): $(top_commands "$jobs")"
      RATE[$mode.$round.$side]=$(python3 -c "print($jobs / $secs)")
    done
    [ "$mode" = floor ] && continue
    python3 -c "print('  round $round ($mode): originguard/bullmq = %.2f' % (${RATE[$mode.$round.originguard]} / ${RATE[$mode.$round.bullmq]}))"
  done
done
echo "service log lines at WARN or above: $(grep -c -E 'WARN|ERROR' "$WORK/service.log" || true)"
