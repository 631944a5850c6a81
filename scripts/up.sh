#!/usr/bin/env bash
# scripts/up.sh: the README's main job.  Builds pinit (static) and shows it supervising a
# service as PID 1: a liveness-probed HTTP server in a fresh PID namespace, killed and
# brought back, then stopped and drained.  When the images and compose stack exist
# (docker/build-images.sh, compose/), this brings the Flink stack up instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pinit >/dev/null
P=$PWD/build/pinit
echo "pinit: $(stat -c %s "$P") bytes, $(file -b "$P" | cut -d, -f1-2)"

if [[ -x compose/up.sh ]] && command -v docker >/dev/null; then
  exec compose/up.sh
fi

sock=@pinit-demo-$$
port=${PINIT_DEMO_PORT:-18080}
export PINIT_CONTROL_SOCKET=$sock PINIT_RESTART_POLICY=always PINIT_LIVENESS_URL=http://127.0.0.1:$port/ \
       PINIT_LIVENESS_INTERVAL=1s PINIT_LIVENESS_TIMEOUT=500ms PINIT_LIVENESS_FAILURE_THRESHOLD=2 \
       PINIT_STOP_TIMEOUT=2s
echo "== pinit as PID 1 supervising python3 -m http.server $port (control socket $sock)"
unshare --pid --fork --mount-proc "$P" -- python3 -m http.server -b 127.0.0.1 "$port" >/dev/null &
ns=$!
trap 'kill "$ns" 2>/dev/null || true' EXIT
for _ in $(seq 50); do init=$(pgrep -P "$ns" || true); [[ -n $init ]] && break; sleep 0.1; done
# pinit (PID 1 inside the namespace) serves only its own PID namespace: ask from inside it,
# as `docker exec` does
inside() { nsenter -t "$init" -p -m -- "$@"; }
for _ in $(seq 50); do inside "$P" check >/dev/null 2>&1 && break; sleep 0.1; done
inside "$P" status
child=$(pgrep -P "$init")          # the server it supervises
echo "== SIGKILL the server (host pid $child): pinit restarts it"
kill -KILL "$child"
sleep 2.5
inside "$P" status
echo "== pinit check: exit $(inside "$P" check >/dev/null; echo $?)"
echo "== pinit stop"
inside "$P" stop || true           # the client ends with the namespace it stopped
wait "$ns" || true
trap - EXIT
echo "== done"
