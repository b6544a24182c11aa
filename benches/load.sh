#!/usr/bin/env bash
# Load benchmarks against the real release binary and a real Redis on this machine, loopback
# only. Prints one line per measurement; BENCHMARKS.md records the numbers and the machine.
#
#   bash benches/load.sh            # everything
#   DURATION=5 bash benches/load.sh # shorter wrk runs
#   HTTP_ONLY=1 bash benches/load.sh # sections 1 and 2 only (wrk rates)
#
# Needs: wrk, curl, redis-server, python3 (for generating input), nsd (installed if missing;
# serves the resolution zones on 127.0.0.1, see benches/support/nsd.sh). Every loop is bounded.
# Section 5 alone, with several rounds and the service's CPU: benches/resolve.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
IMPORT_LINES=${IMPORT_LINES:-1000000}
BATCH_LINES=${BATCH_LINES:-10000}

cargo build --release --quiet
cargo build --release --quiet --example bench_zones
. benches/support/nsd.sh
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$TARGET_DIR/release/originguard
WORK=$(mktemp -d /tmp/og-load.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

cleanup() {
  [ -n "${SERVICE:-}" ] && kill "$SERVICE" 2>/dev/null && wait "$SERVICE" 2>/dev/null
  stop_nsd
  rm -rf "$WORK"
}
trap cleanup EXIT

# Keys: one per role, secrets kept in shell variables only.
key() { "$BIN" keys new --role "$1" --name "load-$1" ${2:+--agency "$2"} ${3:+--operator "$3"}; }
: > "$WORK/keys.toml"
declare -A SECRET
for role in platform steward; do
  out=$(key "$role")
  SECRET[$role]=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
  printf '%s\n' "$out" | grep -v '^#' >> "$WORK/keys.toml"
done

# NSD on loopback with the benchmark zones; the service asks only it.
start_nsd "$WORK/nsd" "$TARGET_DIR/release"
case "$NAMESERVER" in 127.0.0.1:*) ;; *) echo "no loopback name server: $NAMESERVER" >&2; exit 1 ;; esac

(cd "$WORK" && ORIGINGUARD_NAMESERVERS=$NAMESERVER ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" ORIGINGUARD_LISTEN=127.0.0.1:$PORT \
  ORIGINGUARD_NO_RATE_LIMITS=1 RUST_LOG=warn exec "$BIN" serve > "$WORK/service.log" 2>&1) &
SERVICE=$!
for _ in $(seq 1 200); do
  curl -sf "$BASE/readyz" > /dev/null && break
  sleep 0.05
done
PID=$(pgrep -f "$BIN serve" -n)
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$PID/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "service rss after start: $(rss) KiB"

# 1. /healthz against /v1/traceability/check under the same load.
printf 'local key = "%s"\n' "${SECRET[platform]}" > "$WORK/check.lua"
# Quoted here-document: the JSON keeps its \u001d escapes (GS) as written.
cat >> "$WORK/check.lua" <<'EOF'
local codes = {
  '{"code":"(01)08935049500018(10)LOT7(17)271231"}',
  '{"code":"]d20108935049500018\\u001d10LOT7\\u001d17271231"}',
  '{"code":"https://id.gs1.org/01/08935049500018/10/LOT7?17=271231"}',
  '{"code":"(01)04006381333931(21)SN12345"}',
}
-- Requests are formatted once; each call only picks the next, so wrk spends little on Lua.
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
errors() { awk '/Non-2xx/ {print $5}' | grep . || echo 0; }
rate() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }
# The same endpoint with one fixed body as well.
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer %s"\nwrk.body = %s\n' \
  "${SECRET[platform]}" "'{\"code\":\"(01)08935049500018(10)LOT7(17)271231\"}'" > "$WORK/check-static.lua"
# Rounds alternate the three loads, so that a slower or faster stretch of the shared machine
# affects both sides of each ratio alike.
for round in $(seq 1 "${ROUNDS:-3}"); do
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$BASE/healthz" > "$WORK/healthz.txt"
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/check-static.lua" "$BASE/v1/traceability/check" > "$WORK/check-static.txt"
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/check.lua" "$BASE" > "$WORK/check.txt"
  H=$(rate < "$WORK/healthz.txt"); C=$(rate < "$WORK/check.txt"); CS=$(rate < "$WORK/check-static.txt")
  echo "round $round: healthz: $H req/s (p99 $(p99 < "$WORK/healthz.txt"))"
  echo "round $round: traceability/check, one fixed element string: $CS req/s (p99 $(p99 < "$WORK/check-static.txt"), non-2xx $(errors < "$WORK/check-static.txt")) = $(python3 -c "print(round(100*$CS/$H,1))")% of healthz"
  echo "round $round: traceability/check, 4 forms rotated: $C req/s (p99 $(p99 < "$WORK/check.txt"), non-2xx $(errors < "$WORK/check.txt")) = $(python3 -c "print(round(100*$C/$H,1))")% of healthz"
done

# 2. Tax codes and invoices.
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer ${SECRET[platform]}" \
  "$BASE/v1/tax-codes/0100109106-001" > "$WORK/tax.txt"
echo "tax-codes: $(rate < "$WORK/tax.txt") req/s (p99 $(p99 < "$WORK/tax.txt"), non-2xx $(errors < "$WORK/tax.txt"))"
cat > "$WORK/invoice.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${SECRET[platform]}"
wrk.body = '{"seller_tax_code":"0300588569","template":"1","symbol":"C26TAA","number":"123","issued_on":"2026-03-01","tax_authority_code":"00A1B2C3D4E5F60718293A4B5C6D7E8F90","buyer_tax_code":"0101248141","gtin":"08935049500018"}'
EOF
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/invoice.lua" "$BASE/v1/invoices/check" > "$WORK/invoice.txt"
echo "invoices/check: $(rate < "$WORK/invoice.txt") req/s (p99 $(p99 < "$WORK/invoice.txt"), non-2xx $(errors < "$WORK/invoice.txt"))"

[ -n "${HTTP_ONLY:-}" ] && exit 0

# 3. A claims batch of BATCH_LINES lines, end to end.
python3 - "$BATCH_LINES" > "$WORK/claims.ndjson" <<'EOF'
import json, sys
n = int(sys.argv[1])
for i in range(n):
    print(json.dumps({
        "seller": {"tax_code": "0101248141", "shop_url": "https://shop.example.vn/p/%d" % i},
        "product": {"code": "(01)08935049500018(10)LOT7(21)S%07d" % i, "claimed_origin": "VN",
                    "claimed_manufacturer_tax_code": "0300588569"},
        "invoices": [{"seller_tax_code": "0300588569", "template": "1", "symbol": "C26TAA",
                      "number": "123", "issued_on": "2026-03-01",
                      "tax_authority_code": "00A1B2C3D4E5F60718293A4B5C6D7E8F90",
                      "buyer_tax_code": "0101248141"}]}))
EOF
for round in 1 2 3; do
  T=$( { /usr/bin/time -f %e curl -sf -o "$WORK/claims.out" -H "Authorization: Bearer ${SECRET[platform]}" \
        -H 'Content-Type: application/x-ndjson' --data-binary @"$WORK/claims.ndjson" \
        "$BASE/v1/claims/verify-batch"; } 2>&1 )
  LINES=$(wc -l < "$WORK/claims.out")
  echo "verify-batch round $round: $LINES claims in ${T}s = $(python3 -c "print(round($LINES/$T))") claims/s"
done

# 4. Import IMPORT_LINES product lines through the HTTP API (streamed), peak memory.
python3 - "$IMPORT_LINES" > "$WORK/products.ndjson" <<'EOF'
import sys
n = int(sys.argv[1])
def cd(body):
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - s % 10) % 10)
out = sys.stdout
for i in range(n):
    body = "89350%07d" % i
    gtin = body + cd(body)
    out.write('{"gtin":"%s","name":"Product %d","manufacturer_tax_code":"0300588569","country_of_origin":"VN","lots":[{"lot":"L%d","expires_on":"2028-01-01"}]}\n' % (gtin, i, i % 1000))
EOF
BEFORE=$(rss)
T=$( { /usr/bin/time -f %e curl -sf -o "$WORK/import.out" -T "$WORK/products.ndjson" -X PUT \
      -H "Authorization: Bearer ${SECRET[steward]}" -H 'Content-Type: application/x-ndjson' \
      "$BASE/v1/reference/products"; } 2>&1 )
echo "import: $(python3 -c "import json;r=json.load(open('$WORK/import.out'));print(r['accepted'],'accepted,',r['rejected_count'],'rejected')") in ${T}s = $(python3 -c "print(round($IMPORT_LINES/$T))") lines/s; input $(du -h "$WORK/products.ndjson" | cut -f1); service rss before $BEFORE KiB, after $(rss) KiB, peak $(hwm) KiB"

# 5. Resolve 10,000 names (10 requests of 1,000) through the endpoint, TLS off.
python3 -c '
import json
for b in range(10):
    names = ["n%d.shop%d.com.vn" % (i % 100, i // 100) for i in range(b * 1000, (b + 1) * 1000)]
    print(json.dumps({"targets": names}))
' > "$WORK/resolve-bodies.txt"
START=$(date +%s.%N)
RESOLVED=0
while IFS= read -r body; do
  printf '%s' "$body" > "$WORK/resolve-body.json"
  n=$(curl -sf -H "Authorization: Bearer ${SECRET[platform]}" -H 'Content-Type: application/json' \
        --data-binary @"$WORK/resolve-body.json" "$BASE/v1/resolve" \
      | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(sum(1 for x in r if x["records"]["a"] and all(e["code"] == "blocked_address" for e in x["errors"])))')
  RESOLVED=$((RESOLVED + n))
done < "$WORK/resolve-bodies.txt"
END=$(date +%s.%N)
echo "resolve: $RESOLVED of 10000 names with A records and no DNS errors (documentation addresses are blocked_address) in $(python3 -c "print(round($END-$START,2))")s = $(python3 -c "print(round(10000/($END-$START)))") names/s"
