#!/usr/bin/env bash
# The same service against one Redis and against a Redis Cluster (3 masters, 1 replica each),
# measured side by side: claims (POST /v1/claims/verify), takedown intake (POST /v1/takedowns)
# and the traceability check. Loopback only: every redis-server binds 127.0.0.1, the service
# listens on 127.0.0.1 and its resolver points at 127.0.0.1:1 (nothing answers there), its
# workers are off (ORIGINGUARD_NO_WORKERS) so that intake alone is measured.
#
#   bash benches/cluster.sh                      # 3 rounds, 10 s of wrk per figure, 32 connections
#   DURATION=5 ROUNDS=1 bash benches/cluster.sh
#   CHECK=0 bash benches/cluster.sh              # without the traceability check
#
# Each round starts a fresh service three times, in this order: on the single Redis, on the
# cluster with the default `--redis-wait-replicas auto` (waits for one replica before a
# takedown's 202, since the cluster's masters have replicas), and on the cluster with
# `--redis-wait-replicas 0` (intake only), so that a slower stretch of the shared machine hits
# all sides of a round alike. Every Redis keeps AOF with `appendfsync always` and no RDB saves.
#
# The release binary is built into its own target dir (CARGO_TARGET_DIR, default
# /work/target-bench) so that it does not wait on, or block, debug builds in ./target.
# Needs: wrk (installed with apt-get if missing), curl, redis-server, redis-cli, python3.
# BENCHMARKS.md records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
CHECK=${CHECK:-1}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}

if ! command -v wrk > /dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk > /dev/null; else sudo apt-get install -y -qq wrk > /dev/null; fi
fi
for tool in wrk curl redis-server redis-cli python3; do
  command -v "$tool" > /dev/null || { echo "needs $tool" >&2; exit 1; }
done

cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/originguard
FIXTURES=$PWD/fixtures/reference
WORK=$(mktemp -d /tmp/og-cluster.XXXXXX)

# Everything this script starts is recorded here and stopped on every way out.
REDIS_PIDS=()
SERVICE=
WRK=
stop_pid() { # pid: SIGTERM, up to 10 s, then SIGKILL
  local pid=$1
  kill "$pid" 2> /dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}
cleanup() {
  set +e
  [ -n "$WRK" ] && stop_pid "$WRK"
  [ -n "$SERVICE" ] && stop_pid "$SERVICE"
  for pid in "${REDIS_PIDS[@]}"; do stop_pid "$pid"; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# N distinct free loopback ports, held open together while they are chosen.
free_ports() {
  python3 - "$1" <<'EOF_PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF_PY
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis: $(redis-server --version | awk '{print $3}' | sed 's/v=//'), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds"

# --- Redis: one server, and a cluster of three masters with one replica each ---------------
start_redis() { # dir port [more redis-server arguments]
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --appendonly yes --appendfsync always --save '' \
    --daemonize no --loglevel warning --logfile "$dir/redis.log" "$@" < /dev/null > /dev/null 2>&1 &
  REDIS_PIDS+=("$!")
}
wait_ping() { # port
  for _ in $(seq 1 200); do
    [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2> /dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  echo "redis on 127.0.0.1:$1 did not start" >&2
  return 1
}

read -r -a PORTS <<< "$(free_ports 13)"
SINGLE_PORT=${PORTS[0]}
NODE_PORTS=("${PORTS[@]:1:6}")
BUS_PORTS=("${PORTS[@]:7:6}")

start_redis "$WORK/redis-single" "$SINGLE_PORT"
for i in 0 1 2 3 4 5; do
  start_redis "$WORK/redis-node-${NODE_PORTS[$i]}" "${NODE_PORTS[$i]}" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-port "${BUS_PORTS[$i]}"
done
wait_ping "$SINGLE_PORT"
for port in "${NODE_PORTS[@]}"; do wait_ping "$port"; done

create_args=()
for port in "${NODE_PORTS[@]}"; do create_args+=("127.0.0.1:$port"); done
redis-cli --cluster create "${create_args[@]}" --cluster-replicas 1 --cluster-yes < /dev/null > "$WORK/cluster-create.log" 2>&1 \
  || { cat "$WORK/cluster-create.log" >&2; exit 1; }
# Whole: every node sees all 16384 slots served, every replica's link to its master is up.
whole=
for _ in $(seq 1 300); do
  whole=yes
  for port in "${NODE_PORTS[@]}"; do
    info=$(redis-cli -h 127.0.0.1 -p "$port" cluster info 2> /dev/null | tr -d '\r')
    repl=$(redis-cli -h 127.0.0.1 -p "$port" info replication 2> /dev/null | tr -d '\r')
    case "$info" in *cluster_state:ok*) ;; *) whole= ;; esac
    case "$info" in *cluster_slots_ok:16384*) ;; *) whole= ;; esac
    case "$repl" in *role:master* | *master_link_status:up*) ;; *) whole= ;; esac
  done
  [ -n "$whole" ] && break
  sleep 0.1
done
[ -n "$whole" ] || { echo "the cluster did not become whole in 30 s" >&2; exit 1; }
SEEDS=$(printf 'redis://127.0.0.1:%s,' "${NODE_PORTS[@]}")
SEEDS=${SEEDS%,}
SEED_PORT=${NODE_PORTS[0]}
ENFORCE_SLOT=$(redis-cli -h 127.0.0.1 -p "$SEED_PORT" cluster keyslot 'og:{enforce}:index:all' | tr -d '\r')
echo "cluster: 3 masters + 3 replicas on 127.0.0.1 ports ${NODE_PORTS[*]}; {enforce} is slot $ENFORCE_SLOT"
redis-cli -h 127.0.0.1 -p "$SEED_PORT" cluster nodes | tr -d '\r' \
  | awk '{split($2, a, "@"); printf "  %s %s %s\n", a[1], ($3 ~ /master/ ? "master" : "replica"), ($3 ~ /master/ ? $9 : "")}' | sort

# --- Keys and reference data ------------------------------------------------------------------
key() { "$BIN" keys new --role "$1" --name "cluster-bench-$1" ${2:+--agency "$2"}; }
: > "$WORK/keys.toml"
declare -A SECRET
for role in platform authority; do
  if [ "$role" = authority ]; then out=$(key "$role" "Cục QLTT Hà Nội"); else out=$(key "$role"); fi
  SECRET[$role]=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
  printf '%s\n' "$out" | grep -v '^#' >> "$WORK/keys.toml"
done

# The service and the import see only what is set here (no REDIS_URL or other setting from
# the caller's environment can leak in).
OG_ENV=(env -i PATH="$PATH" HOME="$HOME" ORIGINGUARD_NAMESERVERS=127.0.0.1:1 ORIGINGUARD_DATA_DIR="$WORK/data")
SINGLE_ENV=(REDIS_URL="redis://127.0.0.1:$SINGLE_PORT")
CLUSTER_ENV=(ORIGINGUARD_REDIS_CLUSTER_NODES="$SEEDS")

for kind in products recalls taxpayers invoices platforms shared-infrastructure; do
  "${OG_ENV[@]}" "${SINGLE_ENV[@]}" "$BIN" import "$kind" "$FIXTURES/$kind.ndjson" >> "$WORK/import.log" 2>&1
  "${OG_ENV[@]}" "${CLUSTER_ENV[@]}" "$BIN" import "$kind" "$FIXTURES/$kind.ndjson" >> "$WORK/import.log" 2>&1
done
echo "reference data: fixtures/reference/*.ndjson imported into both (keys: single $(redis-cli -h 127.0.0.1 -p "$SINGLE_PORT" dbsize | tr -d '\r'), cluster masters $(for p in "${NODE_PORTS[@]}"; do r=$(redis-cli -h 127.0.0.1 -p "$p" role | head -1 | tr -d '\r'); [ "$r" = master ] && redis-cli -h 127.0.0.1 -p "$p" dbsize | tr -d '\r'; done | paste -sd+ -))"

# --- The service ------------------------------------------------------------------------------
start_service() { # label, then environment assignments
  local label=$1
  shift
  PORT=$(free_ports 1)
  BASE=http://127.0.0.1:$PORT
  echo "=== $(date -u +%H:%M:%S) start $label" >> "$WORK/service-$label.log"
  (cd "$WORK" && exec "${OG_ENV[@]}" "$@" ORIGINGUARD_NO_WORKERS=true ORIGINGUARD_NO_SAMPLE_DATA=true \
    ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" ORIGINGUARD_LISTEN="127.0.0.1:$PORT" \
    ORIGINGUARD_NO_RATE_LIMITS=true RUST_LOG=warn "$BIN" serve >> "$WORK/service-$label.log" 2>&1) &
  SERVICE=$!
  for _ in $(seq 1 300); do
    curl -sf "$BASE/readyz" > /dev/null 2>&1 && return 0
    kill -0 "$SERVICE" 2> /dev/null || break
    sleep 0.05
  done
  echo "the service ($label) did not become ready:" >&2
  tail -20 "$WORK/service-$label.log" >&2
  exit 1
}
stop_service() {
  stop_pid "$SERVICE"
  SERVICE=
}

# --- wrk scripts ------------------------------------------------------------------------------
# One line for every run, read back by `field`.
DONE_LUA='
done = function(summary, latency)
  io.write(string.format("result rate=%.0f p50=%.2f p99=%.2f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end'
# Claims: the README's whole claim (seller, product by Digital Link with lot and serial,
# manufacturer, one invoice with its tax-authority code), a different serial in each of 1,000
# bodies formatted once at start and rotated.
{
  printf 'local key = "%s"\n' "${SECRET[platform]}"
  cat <<'EOF_LUA'
local template = '{"seller":{"tax_code":"0101248141","shop_url":"https://shop.example.vn/p/%d"},' ..
  '"product":{"code":"https://id.gs1.org/01/08935049500018/10/LOT7/21/SN%d","claimed_origin":"VN",' ..
  '"claimed_manufacturer_tax_code":"0300588569"},' ..
  '"invoices":[{"seller_tax_code":"0300588569","template":"1","symbol":"C26TAA","number":"123",' ..
  '"issued_on":"2026-03-01","tax_authority_code":"00A1B2C3D4E5F60718293A4B5C6D7E8F90"}]}'
local requests = {}
for n = 1, 1000 do
  requests[n] = wrk.format("POST", "/v1/claims/verify",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key},
    string.format(template, n, n))
end
local i = 0
request = function()
  i = i + 1
  return requests[(i % #requests) + 1]
end
EOF_LUA
  printf '%s\n' "$DONE_LUA"
} > "$WORK/claims.lua"
# Intake: as benches/takedowns.sh, a new target in every body; a per-thread prefix and a run
# number keep bodies unique across wrk's threads and across runs.
{
  printf 'local key = "%s"\n' "${SECRET[authority]}"
  cat <<'EOF_LUA'
local template = '{"target":"r%s-t%d-%d.example.com","category":"counterfeit",' ..
  '"legal_basis":{"document_number":"123/QĐ-QLTT","issued_on":"2026-11-02","issuer":"Cục QLTT Hà Nội"},' ..
  '"evidence":[{"url":"https://r%s-t%d-%d.example.com/p/1","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",' ..
  '"captured_at":"2026-11-01T08:00:00Z","description":"listing"}],"requested_action":"block"}'
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local run, i = "x", 0
init = function(args)
  run = args[1] or "x"
end
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/takedowns",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key},
    string.format(template, run, tid or 0, i, run, tid or 0, i))
end
EOF_LUA
  printf '%s\n' "$DONE_LUA"
} > "$WORK/intake.lua"
# The traceability check with one fixed element string.
{
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\n' "${SECRET[platform]}"
  printf 'wrk.path = "/v1/traceability/check"\nwrk.body = %s\n' "'{\"code\":\"(01)08935049500018(10)LOT7(17)271231\"}'"
  printf '%s\n' "$DONE_LUA"
} > "$WORK/check.lua"

# --- Measuring --------------------------------------------------------------------------------
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2> /dev/null | awk '{print $12 + $13}' || echo 0; }
redis_ticks() { local t=0 pid; for pid in "${REDIS_PIDS[@]}"; do t=$((t + $(cpu_ticks "$pid"))); done; echo "$t"; }
HZ=$(getconf CLK_TCK)
# Redis on the side being measured: `single` or `cluster`.
rcli() { # side, redis-cli arguments (the cluster side follows redirections)
  local side=$1
  shift
  if [ "$side" = single ]; then redis-cli -h 127.0.0.1 -p "$SINGLE_PORT" "$@"; else redis-cli -c -h 127.0.0.1 -p "$SEED_PORT" "$@"; fi
}
stored() { rcli "$1" zcard 'og:{enforce}:index:all' | tr -d '\r'; }
# WAIT calls Redis has answered so far (every node of the side).
wait_calls() {
  local ports=("$SINGLE_PORT") n=0 port c
  [ "$1" = cluster ] && ports=("${NODE_PORTS[@]}")
  for port in "${ports[@]}"; do
    c=$(redis-cli -h 127.0.0.1 -p "$port" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_wait:calls=\([0-9]*\),.*/\1/p')
    n=$((n + ${c:-0}))
  done
  echo "$n"
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$2"; }
# The share of both cores the machine used over 2 s while nothing of ours was under load.
busy_sample() {
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
  sleep 2
  b=$(awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
  python3 -c "a=[int(x) for x in '$a'.split()]; b=[int(x) for x in '$b'.split()]; print(round(100*(b[0]-a[0])/max(b[1]-a[1],1)))"
}

RESULTS=$WORK/results.tsv
printf 'round\tside\tfigure\trate\tp50\tp99\trequests\tnon2xx\tsocket_errors\tstored\twaits\tservice_us\tredis_us\tload\n' > "$RESULTS"
run_wrk() { # round side figure lua [wrk args...]
  local round=$1 side=$2 figure=$3 lua=$4 out=$WORK/wrk-$1-$2-$3.txt
  shift 4
  local load stored_before waits_before s_before r_before pid
  load=$(cut -d' ' -f1 /proc/loadavg)
  stored_before=$(stored "${side%%-*}")
  waits_before=$(wait_calls "${side%%-*}")
  pid=$SERVICE
  s_before=$(cpu_ticks "$pid")
  r_before=$(redis_ticks)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$lua" "$BASE" "$@" > "$out" 2>&1 &
  WRK=$!
  wait "$WRK" || { echo "wrk failed:" >&2; cat "$out" >&2; exit 1; }
  WRK=
  local requests stored_delta waits service_us redis_us
  requests=$(field requests "$out")
  requests=${requests:-0}
  stored_delta=$(( $(stored "${side%%-*}") - stored_before ))
  waits=$(( $(wait_calls "${side%%-*}") - waits_before ))
  service_us=$(python3 -c "print(round(($(cpu_ticks "$pid") - $s_before) / $HZ / max($requests, 1) * 1e6))")
  redis_us=$(python3 -c "print(round(($(redis_ticks) - $r_before) / $HZ / max($requests, 1) * 1e6))")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$side" "$figure" \
    "$(field rate "$out")" "$(field p50 "$out")" "$(field p99 "$out")" "$requests" \
    "$(field non2xx "$out")" "$(field socket_errors "$out")" "$stored_delta" "$waits" \
    "$service_us" "$redis_us" "$load" >> "$RESULTS"
  local extra=""
  if [ "$figure" = intake ]; then
    extra=", stored $stored_delta, WAIT calls $waits ($( [ "$waits" -gt 0 ] && echo 'WAIT in effect' || echo 'no WAIT'))"
  fi
  printf 'round %s %-13s %-7s %7s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s, socket errors %s%s; cpu per request: service %s µs, all redis-servers %s µs (load avg %s)\n' \
    "$round" "$side" "$figure" "$(field rate "$out")" "$(field p50 "$out")" "$(field p99 "$out")" \
    "$(field non2xx "$out")" "$(field socket_errors "$out")" "$extra" "$service_us" "$redis_us" "$load"
}

# One claim and one takedown through each side before measuring: both must answer alike.
sanity() { # side label
  local claim verdict status
  claim=$(curl -sf -H "Authorization: Bearer ${SECRET[platform]}" -H 'Content-Type: application/json' -d '{
    "seller":{"tax_code":"0101248141","shop_url":"https://shop.example.vn/p/1"},
    "product":{"code":"https://id.gs1.org/01/08935049500018/10/LOT7/21/SN1","claimed_origin":"VN",
               "claimed_manufacturer_tax_code":"0300588569"},
    "invoices":[{"seller_tax_code":"0300588569","template":"1","symbol":"C26TAA","number":"123",
                 "issued_on":"2026-03-01","tax_authority_code":"00A1B2C3D4E5F60718293A4B5C6D7E8F90"}]}' \
    "$BASE/v1/claims/verify")
  verdict=$(printf '%s' "$claim" | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${SECRET[authority]}" -H 'Content-Type: application/json' -d '{
    "target":"sanity-'"$2"'.example.com","category":"counterfeit","requested_action":"block",
    "legal_basis":{"document_number":"123/QĐ-QLTT","issued_on":"2026-11-02","issuer":"Cục QLTT Hà Nội"},
    "evidence":[{"url":"https://sanity-'"$2"'.example.com/p/1","captured_at":"2026-11-01T08:00:00Z",
                 "sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}' \
    "$BASE/v1/takedowns")
  echo "sanity $2: claim verdict $verdict, takedown answered $status"
  if [ "$verdict" != consistent ] || [ "$status" != 202 ]; then echo "unexpected answers on $2" >&2; exit 1; fi
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round: load average $(cut -d' ' -f1-3 /proc/loadavg), CPU used by others over 2 s: $(busy_sample) %"

  start_service single "${SINGLE_ENV[@]}"
  [ "$round" = 1 ] && sanity single single
  run_wrk "$round" single claims "$WORK/claims.lua"
  run_wrk "$round" single intake "$WORK/intake.lua" -- "${round}s"
  [ "$CHECK" = 1 ] && run_wrk "$round" single check "$WORK/check.lua"
  stop_service

  start_service cluster "${CLUSTER_ENV[@]}"
  [ "$round" = 1 ] && sanity cluster cluster
  run_wrk "$round" cluster claims "$WORK/claims.lua"
  run_wrk "$round" cluster intake "$WORK/intake.lua" -- "${round}c"
  [ "$CHECK" = 1 ] && run_wrk "$round" cluster check "$WORK/check.lua"
  stop_service

  start_service cluster-nowait "${CLUSTER_ENV[@]}" ORIGINGUARD_REDIS_WAIT_REPLICAS=0
  run_wrk "$round" cluster-nowait intake "$WORK/intake.lua" -- "${round}n"
  stop_service
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# What the service logged: every ERROR line, and how many WARN lines, per side.
for label in single cluster cluster-nowait; do
  log=$WORK/service-$label.log
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  echo "$label: $(printf '%s\n' "$clean" | grep -c ' ERROR ' || true) ERROR lines, $(printf '%s\n' "$clean" | grep -c ' WARN ' || true) WARN lines"
  { printf '%s\n' "$clean" | grep -E ' (ERROR|WARN) ' || true; } | sed -E 's/^[^ ]+ +//' | sort | uniq -c | sort -rn | head -5 | sed 's/^/  /'
done
for dir in "$WORK"/redis-*; do
  # (Redis's start-up advice on vm.overcommit_memory is not counted.)
  n=$({ grep -iE 'error|fail' "$dir/redis.log" || true; } | { grep -vc 'overcommit' || true; })
  if [ "$n" -gt 0 ]; then echo "$(basename "$dir"): $n error/fail lines in redis.log:"; grep -iE 'error|fail' "$dir/redis.log" | grep -v overcommit | head -3; fi
done
# The table the rounds made, for BENCHMARKS.md.
echo "results (tab-separated):"
cat "$RESULTS"
