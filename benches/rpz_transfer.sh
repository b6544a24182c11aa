#!/usr/bin/env bash
# The blocklist as a DNS zone at 1,000,000 entries: the AXFR of the whole zone (time, and the
# service's memory during it), an IXFR of 1,000 changes, and 100 secondaries polling the SOA
# (dnsperf, 100 clients). Loopback only; bounded in time.
#
#   bash benches/rpz_transfer.sh        # ENTRIES=1000000 DELTA=1000 DURATION=10
#
# The entries are written straight into the service's Redis with `redis-cli --pipe` in the
# layout src/store/blocklist.rs keeps, as benches/blocklist.sh does (90 % domains blocked with
# their subdomains, so two records each, 10 % IPv4 addresses); going through takedowns would
# measure resolution, not transfers. The transfers are `dig` with a TSIG key, every message
# signed and checked. Needs: dig, dnsperf, redis-cli, python3, curl. BENCHMARKS.md records the
# numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-1000000}
DELTA=${DELTA:-1000}
DURATION=${DURATION:-10}
ZONE=rpz.originguard.

cargo build --release --quiet
BIN=$PWD/target/release/originguard
WORK=$(mktemp -d /tmp/og-rpz.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DNS_PORT=$(free_port)
BASE=http://127.0.0.1:$PORT

cleanup() {
  [ -n "${SERVICE:-}" ] && kill "$SERVICE" 2>/dev/null && wait "$SERVICE" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" keys new --role operator --operator viettel --name bench-operator | grep -v '^#' > "$WORK/keys.toml"
SECRET=$(head -c 32 /dev/urandom | base64)
KEY="hmac-sha256:bench-rpz.:$SECRET"
printf '[[tsig]]\nname = "bench-rpz."\noperator = "viettel"\nsecret = "%s"\n' "$SECRET" > "$WORK/tsig.toml"
chmod 600 "$WORK/tsig.toml"

(cd "$WORK" && ORIGINGUARD_NAMESERVERS=127.0.0.1:9 ORIGINGUARD_NO_SAMPLE_DATA=true \
  ORIGINGUARD_KEYS_FILE="$WORK/keys.toml" ORIGINGUARD_LISTEN=127.0.0.1:$PORT \
  ORIGINGUARD_RPZ_LISTEN=127.0.0.1:$DNS_PORT ORIGINGUARD_TSIG_FILE="$WORK/tsig.toml" \
  RUST_LOG=warn exec "$BIN" serve > "$WORK/service.log" 2>&1) &
SERVICE=$!
for _ in $(seq 1 200); do
  curl -sf "$BASE/readyz" > /dev/null && break
  sleep 0.05
done
SOCKET=$WORK/data/redis/redis.sock
PID=$SERVICE
R() { redis-cli -s "$SOCKET" "$@"; }
D() { dig @127.0.0.1 -p "$DNS_PORT" +time=600 +tries=1 "$@"; }
serial() { D "$ZONE" SOA +short | awk '{print $3}'; }
wait_serial() {
  for _ in $(seq 1 600); do
    [ "$(serial)" = "$1" ] && return 0
    sleep 0.1
  done
  echo "the zone never reached serial $1" >&2; exit 1
}
rss() { awk "/$1/ {print \$2}" "/proc/$PID/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# Entries 1..ENTRIES (versions 1..ENTRIES), then DELTA changes: half removals of the first
# entries, half additions of new ones.
python3 - "$ENTRIES" "$DELTA" "$WORK/fill.resp" "$WORK/delta.resp" <<'EOF_PY'
import json, sys
entries, delta = int(sys.argv[1]), int(sys.argv[2])
T = "og:{enforce}:bl:"
def writer(path):
    out = open(path, "wb")
    def cmd(*args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        out.write(b"".join(parts))
    return out, cmd
def value(i):
    if i % 10 == 0:
        return "198.%d.%d.%d" % (18 + (i >> 16) % 2, (i >> 8) % 256, i % 256), "ip"
    return "shop%07d.bench-fake.example" % i, "domain"
def entry(v, kind, tid):
    return json.dumps({"value": v, "type": kind, "subdomains": kind == "domain",
        "takedown_id": "td_%024x" % tid, "category": "counterfeit", "added_in": 0}, separators=(",", ":"))
def add(cmd, v, kind, tid, version):
    j = entry(v, kind, tid)
    cmd("HSET", T + "holders", v, "td_%024x" % tid)
    cmd("HSET", T + "active", v, j)
    cmd("HSET", T + "added", v, version)
    cmd("ZADD", T + "sorted", 0, v + ("\ts" if kind == "domain" else "\t-"))
    cmd("HINCRBY", T + "types", kind, 1)
    cmd("XADD", T + "log", "MAXLEN", "~", 100000, version, "op", "add", "entry", j, "at", "2026-11-23T00:00:00+00:00")
def remove(cmd, v, kind, tid, version):
    cmd("HDEL", T + "holders", v); cmd("HDEL", T + "active", v); cmd("HDEL", T + "added", v)
    cmd("ZREM", T + "sorted", v + ("\ts" if kind == "domain" else "\t-"))
    cmd("HINCRBY", T + "types", kind, -1)
    cmd("XADD", T + "log", "MAXLEN", "~", 100000, version, "op", "remove", "entry", entry(v, kind, tid), "at", "2026-11-23T00:00:00+00:00")
out, cmd = writer(sys.argv[3])
for i in range(1, entries + 1):
    v, kind = value(i)
    add(cmd, v, kind, i, i)
cmd("SET", T + "version", entries)
out.close()
out, cmd = writer(sys.argv[4])
version = entries
for k in range(delta):
    version += 1
    if k % 2 == 0:
        v, kind = value(k + 1)
        remove(cmd, v, kind, k + 1, version)
    else:
        add(cmd, "new%07d.bench-fake.example" % k, "domain", 10**7 + k, version)
cmd("SET", T + "version", version)
out.close()
EOF_PY
start=$(date +%s.%N)
R --pipe < "$WORK/fill.resp" | tail -1
echo "filled $ENTRIES entries in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
wait_serial "$ENTRIES"
echo "service rss with the zone at serial $ENTRIES: $(rss VmRSS) KiB"

axfr() {
  echo 5 > "/proc/$PID/clear_refs"   # reset the peak-RSS mark
  local before after start seconds
  before=$(rss VmRSS)
  start=$(date +%s.%N)
  D "$ZONE" AXFR -y "$KEY" +noall +answer +stats > "$WORK/axfr.txt"
  seconds=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
  after=$(rss VmHWM)
  grep -q 'tsig verify failure\|Transfer failed' "$WORK/axfr.txt" && { echo "AXFR failed" >&2; exit 1; }
  echo "AXFR: ${seconds} s, $(grep -c 'CNAME' "$WORK/axfr.txt") policy records, $(grep 'XFR size' "$WORK/axfr.txt" | sed 's/;; //'), service rss before ${before} KiB, peak during ${after} KiB (+$(( (after - before) / 1024 )) MiB)"
}
axfr; axfr

R --pipe < "$WORK/delta.resp" | tail -1
NEW=$((ENTRIES + DELTA))
wait_serial "$NEW"
for _ in 1 2 3; do
  start=$(date +%s.%N)
  D "$ZONE" IXFR="$ENTRIES" -y "$KEY" +noall +answer +stats > "$WORK/ixfr.txt"
  seconds=$(python3 -c "print(round(($(date +%s.%N) - $start) * 1000, 1))")
  echo "IXFR from $ENTRIES to $NEW ($DELTA changes): ${seconds} ms, $(grep -c 'CNAME' "$WORK/ixfr.txt") policy records, $(grep 'XFR size' "$WORK/ixfr.txt" | sed 's/;; //')"
done

echo "$ZONE SOA" > "$WORK/soa.queries"
echo "100 secondaries polling the SOA (dnsperf -c 100 -q 100, ${DURATION} s):"
dnsperf -s 127.0.0.1 -p "$DNS_PORT" -d "$WORK/soa.queries" -c 100 -q 100 -l "$DURATION" \
  | grep -E 'Queries sent|Queries completed|Queries lost|Queries per second|Average Latency|Latency StdDev'
echo "service rss at the end: $(rss VmRSS) KiB, peak $(rss VmHWM) KiB"
grep -E 'WARN|ERROR' "$WORK/service.log" | grep -v 'DEVELOPMENT\|loopback' | tail -5 || true
