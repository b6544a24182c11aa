# Sourced by benches/resolve.sh and benches/load.sh: serves the resolution benchmark zones with
# NSD, an authoritative name server, on 127.0.0.1 only.
#
#   start_nsd DIR BIN_DIR   # zones and config under DIR; sets NSD_PID and NAMESERVER=127.0.0.1:port
#   stop_nsd
#
# Installs the Debian package `nsd` when it is missing. NSD runs in the foreground (-d) as the
# current user, without chroot, with one server process, IPv4 loopback only, no remote control
# and no zone transfers; every address in the zones is a documentation address (RFC 5737).
# Response rate limiting is off: the benchmark is one loopback client asking the same names
# round after round, which RRL (a defence against reflection) would answer truncated.

start_nsd() {
  local dir=$1 bin_dir=$2 port
  if ! command -v nsd > /dev/null; then
    echo "installing nsd (apt-get install -y nsd)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nsd > /dev/null
  fi
  mkdir -p "$dir/zones"
  "$bin_dir/examples/bench_zones" "$dir/zones" 2> /dev/null
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  {
    cat <<CONF
server:
  ip-address: 127.0.0.1
  port: $port
  do-ip4: yes
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$dir/zones"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  pidfile: "$dir/nsd.pid"
  logfile: "$dir/nsd.log"
  hide-version: yes
  rrl-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
CONF
    for zone in "$dir"/zones/*.zone; do
      zone=$(basename "$zone")
      printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "${zone%.zone}" "$zone"
    done
  } > "$dir/nsd.conf"
  nsd-checkconf "$dir/nsd.conf"
  nsd -d -c "$dir/nsd.conf" > "$dir/nsd.out" 2>&1 &
  NSD_PID=$!
  NAMESERVER=127.0.0.1:$port
  # Ready when the last zone answers.
  local probe
  for _ in $(seq 1 200); do
    probe=$(python3 - "$port" <<'PY' 2> /dev/null || true
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x4f47, 0, 1, 0, 0, 0)
for label in "n99.shop99.com.vn".split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
reply = s.recv(512)
print("ok" if reply[:2] == q[:2] and reply[3] & 0x0f == 0 and reply[7] > 0 else "no")
PY
)
    [ "$probe" = ok ] && return 0
    sleep 0.05
  done
  echo "NSD did not start; see $dir/nsd.log" >&2
  cat "$dir/nsd.log" "$dir/nsd.out" >&2 || true
  return 1
}

stop_nsd() {
  [ -n "${NSD_PID:-}" ] && kill "$NSD_PID" 2> /dev/null && wait "$NSD_PID" 2> /dev/null || true
  NSD_PID=
}
