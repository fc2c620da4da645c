#!/usr/bin/env bash
# Requests per second of the sandbox, from a second process (wrk), on this machine:
#   baseline   GET /__sandbox/health (no API work, constant cost: the server's floor)
#   get        GET one Smart Send shipment
#   post       POST a shipment, a fresh Idempotency-Key each time (executes every time)
#   replay     POST a shipment, one key per connection (replays)
# Reported as requests/s and as a ratio to the baseline of the same run.
# Needs wrk (Debian: apt-get install wrk). Usage: crates/sandbox/load/load.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-10}
connections=${2:-32}
command -v wrk >/dev/null || { echo "load.sh needs wrk (apt-get install wrk)" >&2; exit 2; }

cargo build --release --quiet -p parcelkit-sandbox
out=$(mktemp)
./target/release/parcelkit-sandbox --listen 127.0.0.1:0 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out" "$body"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
base=$(sed -n 's/^parcelkit-sandbox listening on //p' "$out")
api="$base/smartsend/api/v2/team/sandbox-team"

body=$(mktemp)
python3 - "$body" <<'PY'
import json, sys, yaml
spec = yaml.safe_load(open("openapi/smartsend.yaml"))
json.dump(spec["components"]["schemas"]["ShipmentRequest"]["example"], open(sys.argv[1], "w"))
PY
shipment=$(curl -sf -X POST "$api/shipments" -H 'Authorization: Bearer sandbox-token' \
  -H 'Content-Type: application/json' --data @"$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["uuid"])')

rps() { # label, wrk args...
  local label=$1; shift
  local result
  result=$(wrk --latency -t2 -c"$connections" -d"${seconds}s" "$@")
  local value
  value=$(awk '/^Requests\/sec:/ {print $2}' <<<"$result")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$result")
  local p99
  p99=$(awk '$1 == "99%" {print $2}' <<<"$result")
  echo "$label $value $p99 ${errors:-ok}"
}

baseline=$(rps baseline "$base/__sandbox/health")
get=$(rps get -H 'Authorization: Bearer sandbox-token' "$api/shipments/$shipment")
post=$(BODY_FILE=$body rps post -s crates/sandbox/load/post_shipment.lua "$api/shipments")
replay=$(BODY_FILE=$body REPLAY=1 rps replay -s crates/sandbox/load/post_shipment.lua "$api/shipments")

echo "wrk -t2 -c$connections -d${seconds}s against the release build, $(nproc) cores"
printf '%-10s %12s %10s %s\n' case 'requests/s' 'vs base' 'p99 latency'
base_rps=$(awk '{print $2}' <<<"$baseline")
for line in "$baseline" "$get" "$post" "$replay"; do
  read -r label value p99 errors <<<"$line"
  ratio=$(python3 -c "print(f'{$value / $base_rps:.2f}')")
  printf '%-10s %12s %10s %s %s\n' "$label" "$value" "$ratio" "$p99" "$errors"
done
