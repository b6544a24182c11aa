#!/usr/bin/env bash
# Resolution beside bulk resolvers, the same query set against the same name server in the same
# run (issue 22): the loopback NSD of benches/support/nsd.sh serving the benchmark zones, asked by
#   originguard  10 `POST /v1/resolve` requests of 1,000 names (benches/resolve.sh's input),
#                one after the other on one connection of one curl, TLS off, a fresh service
#                per round;
#   dnsperf      (Debian's dnsperf, installed with apt-get when missing) with a query file that
#                holds exactly the queries originguard sends NSD for those 10,000 names;
#   massdns      when MASSDNS names a built massdns binary (it is not packaged: build it from
#                its source outside this repository), the same queries in three invocations
#                (A/AAAA/NS/MX of the names, NS of the zone apexes, PTR of the addresses).
# Rounds alternate the sides (originguard, dnsperf, massdns, originguard, ...). Loopback only:
# NSD binds 127.0.0.1, and every zone address is a documentation address.
#
# What one name costs originguard (src/network/dns.rs, resolve.rs, lookups.rs), and so what the
# query file holds: A, AAAA, NS and MX of the name, on one socket; the names are below their
# zone's apex, so NS is empty and the registrable domain's NS is asked, once per zone per
# request; then PTR of each address, once per distinct address per request. For these zones
# that is 40,000 + 100 + 1,090 = 41,190 queries for 10,000 names. The script checks the figure
# against the service's own counter (originguard_dns_queries_total in /metrics).
#
#   bash benches/resolve_peers.sh
#   ROUNDS=5 PASSES=3 MASSDNS=/tmp/massdns-src/bin/massdns bash benches/resolve_peers.sh
#
# IN_FLIGHT (default 128) is the peers' queries outstanding: originguard resolves 32 names of a
# request at once (Limits::per_request_concurrency), each with its 4 queries in flight together.
# PASSES (default 1) runs the peers through the query set that many times per round.
#
# Needs: curl, redis-server, python3, nsd and dnsperf (installed if missing). BENCHMARKS.md
# records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
PASSES=${PASSES:-1}
IN_FLIGHT=${IN_FLIGHT:-128}
MASSDNS=${MASSDNS:-}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

cargo build --release --quiet
cargo build --release --quiet --example bench_zones
. benches/support/nsd.sh
if ! command -v dnsperf > /dev/null; then
  echo "installing dnsperf (apt-get install -y dnsperf)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q dnsperf > /dev/null
fi
[ -z "$MASSDNS" ] || [ -x "$MASSDNS" ] || { echo "MASSDNS=$MASSDNS is not an executable" >&2; exit 1; }
BIN=$TARGET_DIR/release/originguard
WORK=$(mktemp -d /tmp/og-resolve-peers.XXXXXX)
chmod 755 "$WORK" # massdns drops to nobody when started as root and reads its lists after
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop() { # stops one child started here, by its pid
  if [ -n "${1:-}" ] && kill "$1" 2> /dev/null; then wait "$1" 2> /dev/null || true; fi
}
cleanup() {
  stop "${SERVICE:-}"
  stop_nsd
  stop "${REDIS:-}"
  rm -rf "$WORK"
}
trap cleanup EXIT

redis-server --port 0 --unixsocket "$WORK/redis.sock" --save '' --appendonly no \
  --dir "$WORK" > "$WORK/redis.log" 2>&1 &
REDIS=$!
for _ in $(seq 1 200); do [ -S "$WORK/redis.sock" ] && break; sleep 0.05; done

out=$("$BIN" keys new --role platform --name bench-resolve)
KEY=$(printf '%s\n' "$out" | sed -n '2s/^# //p')
printf '%s\n' "$out" | grep -v '^#' > "$WORK/keys.toml"

start_nsd "$WORK/nsd" "$TARGET_DIR/release"
case "$NAMESERVER" in 127.0.0.1:*) ;; *) echo "no loopback name server: $NAMESERVER" >&2; exit 1 ;; esac
NSPORT=${NAMESERVER#127.0.0.1:}

# The request bodies, and the queries they make NSD answer: the zones give name i the address
# 192.0.2.((i / 100 + i % 100) % 256) (benches/support/zones.rs).
python3 - "$WORK" <<'EOF_PY'
import json, sys
work = sys.argv[1]
dnsperf, names, apexes, ptrs = [], [], [], []
for b in range(10):
    batch = ["n%d.shop%d.com.vn" % (i % 100, i // 100) for i in range(b * 1000, (b + 1) * 1000)]
    open("%s/body.%02d" % (work, b), "w").write(json.dumps({"targets": batch}))
    seen_zone, seen_ip = set(), set()
    for i in range(b * 1000, (b + 1) * 1000):
        name, zone = "n%d.shop%d.com.vn" % (i % 100, i // 100), "shop%d.com.vn" % (i // 100)
        dnsperf += ["%s %s" % (name, t) for t in ("A", "AAAA", "NS", "MX")]
        names.append(name)
        if zone not in seen_zone:
            seen_zone.add(zone); apexes.append(zone); dnsperf.append("%s NS" % zone)
        octet = (i // 100 + i % 100) % 256
        if octet not in seen_ip:
            seen_ip.add(octet)
            ptrs.append("%d.2.0.192.in-addr.arpa" % octet); dnsperf.append("%s PTR" % ptrs[-1])
for path, lines in (("queries.dnsperf", dnsperf), ("names.txt", names), ("apexes.txt", apexes), ("ptrs.txt", ptrs)):
    open("%s/%s" % (work, path), "w").write("\n".join(lines) + "\n")
print("query set: %d names, %d queries (%d A/AAAA/NS/MX, %d apex NS, %d PTR), %.3f per name"
      % (len(names), len(dnsperf), 4 * len(names), len(apexes), len(ptrs), len(dnsperf) / len(names)))
EOF_PY
QUERIES=$(wc -l < "$WORK/queries.dnsperf")
echo "127.0.0.1:$NSPORT" > "$WORK/resolvers.txt"

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# NSD's CPU: every process of its tree (xfrd, main, and the server process that answers).
tree() { local p; echo "$1"; for p in $(pgrep -P "$1"); do tree "$p"; done; }
nsd_ticks() { local t=0 p; for p in $(tree "$NSD_PID"); do t=$((t + $(ticks "$p" 2> /dev/null || echo 0))); done; echo "$t"; }
HZ=$(getconf CLK_TCK)
secs() { python3 -c "print('%.3f' % ($2 - $1))"; }
dns_queries() { curl -sf "$1/metrics" | awk '/^originguard_dns_queries_total/ {s += $NF} END {print s + 0}'; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "name server: $NAMESERVER ($(nsd -v 2>&1 | head -1), one server process); $(dnsperf -h 2>&1 | grep -m1 '^Version' | sed 's/^Version/dnsperf/')${MASSDNS:+; massdns $MASSDNS}"
echo "peers: $IN_FLIGHT queries outstanding, $PASSES pass(es) through the $QUERIES queries per round"

declare -A RATE
for round in $(seq 1 "$ROUNDS"); do
  # originguard
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  PORT=$(free_port)
  BASE=http://127.0.0.1:$PORT
  (cd "$WORK" && REDIS_URL="unix://$WORK/redis.sock" ORIGINGUARD_NO_WORKERS=true \
    ORIGINGUARD_NAMESERVERS=$NAMESERVER ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" \
    ORIGINGUARD_LISTEN=127.0.0.1:$PORT ORIGINGUARD_NO_RATE_LIMITS=1 RUST_LOG=warn exec "$BIN" serve > "$WORK/service.log" 2>&1) &
  SERVICE=$!
  for _ in $(seq 1 200); do curl -sf "$BASE/readyz" > /dev/null && break; sleep 0.05; done
  q0=$(dns_queries "$BASE"); c0=$(ticks "$SERVICE"); n0=$(nsd_ticks)
  # One client process and one kept-alive connection for the 10 requests, one after the other
  # (`--next`), so that the time is the service's rather than 10 process starts and connects.
  requests=()
  for b in 00 01 02 03 04 05 06 07 08 09; do
    [ "$b" = 00 ] || requests+=(--next)
    requests+=(-sf -o "$WORK/answer.$b" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json'
      --data-binary @"$WORK/body.$b" "$BASE/v1/resolve")
  done
  START=$(date +%s.%N)
  curl "${requests[@]}"
  END=$(date +%s.%N)
  c1=$(ticks "$SERVICE"); n1=$(nsd_ticks); q1=$(dns_queries "$BASE")
  total_cpu=$(python3 -c "print('%.2f' % ($c1 / $HZ))")
  stop "$SERVICE"; SERVICE=
  GOOD=$(python3 - "$WORK" <<'EOF_PY'
import json, sys
good = 0
for b in range(10):
    for x in json.load(open("%s/answer.%02d" % (sys.argv[1], b)))["results"]:
        good += bool(x["records"]["a"] and x["records"]["ns"] and all(a["ptr"] for a in x["addresses"])
                     and all(e["code"] == "blocked_address" for e in x["errors"]))
print(good)
EOF_PY
)
  T=$(secs "$START" "$END")
  RATE[$round.originguard]=$(python3 -c "print(10000 / $T)")
  python3 -c "print('round $round originguard: %.0f names/s (%s of 10000 names with A, NS, PTR, no DNS error, in $T s); %d DNS queries (%.3f per name); service CPU %.2f s during the requests (%.0f µs per name, $total_cpu s with start-up); NSD CPU %.2f s; load before $load'
  % (10000 / $T, '$GOOD', $q1 - $q0, ($q1 - $q0) / 10000, ($c1 - $c0) / $HZ, ($c1 - $c0) / $HZ / 10000 * 1e6, ($n1 - $n0) / $HZ))"

  # dnsperf
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  n0=$(nsd_ticks)
  /usr/bin/time -f '%U %S' -o "$WORK/dnsperf.time" dnsperf -s 127.0.0.1 -p "$NSPORT" -d "$WORK/queries.dnsperf" \
    -n "$PASSES" -c 1 -T 1 -q "$IN_FLIGHT" -t 2 -e > "$WORK/dnsperf.out" 2>&1
  n1=$(nsd_ticks)
  python3 - "$WORK/dnsperf.out" "$WORK/dnsperf.time" "$PASSES" "$QUERIES" "$(( n1 - n0 ))" "$HZ" "$round" "$load" > "$WORK/dnsperf.line" <<'EOF_PY'
import re, sys
text = open(sys.argv[1]).read()
passes, queries, nsd, hz = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
cpu = sum(float(x) for x in open(sys.argv[2]).read().split()[-2:])
field = lambda label: re.search(label + r"\s+([0-9.]+)", text).group(1)
run_time, completed, lost = float(field(r"Run time \(s\):")), int(field("Queries completed:")), int(field("Queries lost:"))
noerror = re.search(r"NOERROR\s+([0-9]+)", text)
names = 10000 * passes
print("%f" % (names / run_time))
print("round %s dnsperf: %.0f names/s (%d queries of %d completed, %d lost, NOERROR %s, in %.3f s = %.0f queries/s); dnsperf CPU %.2f s; NSD CPU %.2f s; load before %s"
      % (sys.argv[7], names / run_time, completed, queries * passes, lost, noerror.group(1) if noerror else "?", run_time,
         completed / run_time, cpu, nsd / hz, sys.argv[8]))
EOF_PY
  RATE[$round.dnsperf]=$(head -1 "$WORK/dnsperf.line"); tail -1 "$WORK/dnsperf.line"

  # massdns: the same queries, in three invocations one after the other, timed together.
  if [ -n "$MASSDNS" ]; then
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    n0=$(nsd_ticks); : > "$WORK/massdns.out"; : > "$WORK/massdns.time"
    START=$(date +%s.%N)
    for _ in $(seq 1 "$PASSES"); do
      for job in "names.txt -t A -t AAAA -t NS -t MX" "apexes.txt -t NS" "ptrs.txt -t PTR"; do
        read -r list types <<< "$job"
        # shellcheck disable=SC2086 # the types are separate words
        /usr/bin/time -f '%U %S' -a -o "$WORK/massdns.time" "$MASSDNS" -q -r "$WORK/resolvers.txt" -s "$IN_FLIGHT" \
          -o J $types "$WORK/$list" >> "$WORK/massdns.out" 2> "$WORK/massdns.err"
      done
    done
    END=$(date +%s.%N)
    n1=$(nsd_ticks)
    T=$(secs "$START" "$END")
    RATE[$round.massdns]=$(python3 -c "print(10000 * $PASSES / $T)")
    python3 - "$WORK/massdns.out" "$WORK/massdns.time" "$T" "$PASSES" "$QUERIES" "$(( n1 - n0 ))" "$HZ" "$round" "$load" <<'EOF_PY'
import json, sys
answers = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
noerror = sum(1 for a in answers if a.get("status") == "NOERROR")
cpu = sum(float(x) for x in open(sys.argv[2]).read().split())
t, passes, queries, nsd, hz = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
print("round %s massdns: %.0f names/s (%d answers of %d queries, NOERROR %d, in %.3f s, three invocations); massdns CPU %.2f s; NSD CPU %.2f s; load before %s"
      % (sys.argv[8], 10000 * passes / t, len(answers), queries * passes, noerror, t, cpu, nsd / hz, sys.argv[9]))
EOF_PY
  fi
  ratios="originguard/dnsperf = $(python3 -c "print('%.2f' % (${RATE[$round.originguard]} / ${RATE[$round.dnsperf]}))")"
  [ -n "$MASSDNS" ] && ratios="$ratios, originguard/massdns = $(python3 -c "print('%.2f' % (${RATE[$round.originguard]} / ${RATE[$round.massdns]}))")"
  echo "round $round: $ratios"
done
