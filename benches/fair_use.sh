#!/usr/bin/env bash
# Fair use: what per-key rate limits cost. Two release services share one Redis (loopback
# only), one with limits (the default) and one with --no-rate-limits; wrk loads
# POST /v1/traceability/check and /healthz on each in alternating rounds, so that a slower or
# faster stretch of the shared machine affects both sides alike. The benchmark key's limit is
# far above what wrk can send (rate_per_minute = 1,000,000,000), so every request is checked,
# charged and reconciled but none is refused. BENCHMARKS.md records the numbers.
#
#   bash benches/fair_use.sh                    # 5 rounds of 10 s per load
#   ROUNDS=3 DURATION=5 bash benches/fair_use.sh
#
# Needs: wrk, curl, redis-server, python3. Every loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-5}

cargo build --release --quiet --bin originguard
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$TARGET_DIR/release/originguard
WORK=$(mktemp -d /tmp/og-fair-use.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REDIS_PORT=$(free_port)
ON_PORT=$(free_port)
OFF_PORT=$(free_port)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" \
  --daemonize no --loglevel warning > "$WORK/redis.log" 2>&1 &
PIDS+=($!)
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping > /dev/null 2>&1 && break; sleep 0.05; done
"$BIN" import products fixtures/reference/products.ndjson > /dev/null
"$BIN" import recalls fixtures/reference/recalls.ndjson > /dev/null

out=$("$BIN" keys new --role platform --name bench-platform)
SECRET=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
{ printf '%s\n' "$out" | grep -v '^#'; printf 'rate_per_minute = 1000000000\nburst = 1000000000\n'; } > "$WORK/keys.toml"

start() { # port, extra flags
  (cd "$WORK" && ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" RUST_LOG=warn exec "$BIN" serve \
    --listen "127.0.0.1:$1" --nameservers 127.0.0.1:1 --no-workers ${2:-} > "$WORK/service-$1.log" 2>&1) &
  PIDS+=($!)
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$1/readyz" > /dev/null && return; sleep 0.05; done
  echo "service on $1 did not start" >&2; exit 1
}
start "$ON_PORT"
start "$OFF_PORT" --no-rate-limits
# The limited service answers with RateLimit; the other does not.
curl -s -o /dev/null -D - -H "Authorization: Bearer $SECRET" -H 'Content-Type: application/json' \
  -d '{"code":"(01)08935049500018(10)LOT7(17)271231"}' "http://127.0.0.1:$ON_PORT/v1/traceability/check" | grep -qi '^ratelimit:' \
  || { echo "limits are not on" >&2; exit 1; }

printf 'local key = "%s"\n' "$SECRET" > "$WORK/check.lua"
# Quoted here-document: the JSON keeps its \u001d escapes (GS) as written.
cat >> "$WORK/check.lua" <<'EOF'
local codes = {
  '{"code":"(01)08935049500018(10)LOT7(17)271231"}',
  '{"code":"]d20108935049500018\\u001d10LOT7\\u001d17271231"}',
  '{"code":"https://id.gs1.org/01/08935049500018/10/LOT7?17=271231"}',
  '{"code":"(01)04006381333931(21)SN12345"}',
}
local requests = {}
for n, body in ipairs(codes) do
  requests[n] = wrk.format("POST", "/v1/traceability/check",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
local i = 0
request = function()
  i = i + 1
  return requests[(i % #requests) + 1]
end
EOF
rate() { awk '/Requests\/sec/ {print $2}'; }
non2xx() { awk '/Non-2xx/ {print $5}' | grep . || echo 0; }
load() { # port, path or script → "rate non2xx"
  local port=$1 what=$2 out
  if [ "$what" = healthz ]; then
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$port/healthz")
  else
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/check.lua" "http://127.0.0.1:$port")
  fi
  echo "$(printf '%s\n' "$out" | rate) $(printf '%s\n' "$out" | non2xx)"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "round | check, limits on | check, limits off | on/off | healthz, limits on | healthz, limits off"
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which side goes first.
  if [ $((round % 2)) -eq 1 ]; then
    read -r CON EON <<< "$(load "$ON_PORT" check)"; read -r COFF EOFF <<< "$(load "$OFF_PORT" check)"
    read -r HON _ <<< "$(load "$ON_PORT" healthz)"; read -r HOFF _ <<< "$(load "$OFF_PORT" healthz)"
  else
    read -r COFF EOFF <<< "$(load "$OFF_PORT" check)"; read -r CON EON <<< "$(load "$ON_PORT" check)"
    read -r HOFF _ <<< "$(load "$OFF_PORT" healthz)"; read -r HON _ <<< "$(load "$ON_PORT" healthz)"
  fi
  [ "$EON" = 0 ] && [ "$EOFF" = 0 ] || { echo "non-2xx answers: on $EON, off $EOFF" >&2; exit 1; }
  echo "$round | $CON | $COFF | $(python3 -c "print(f'{100*$CON/$COFF:.1f} %')") | $HON | $HOFF"
done
