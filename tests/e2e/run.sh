#!/usr/bin/env bash
# tests/e2e/run.sh: the end-to-end tests on real containers (scripts/test.sh stage 6).
#
#   1. images: docker/build-images.sh (pinit, Flink, JRE, ZooKeeper, MariaDB; stand-ins when
#      there is no registry), the collector fixture, Prometheus
#   2. /usr/bin/python3 -m pytest tests/e2e: test_stack.py (3 TaskManagers, test database,
#      Prometheus), test_ha.py (ZooKeeper + standby JobManager), test_prod.py (the
#      hardened variant, docker-compose.prod.yml: 3 ZooKeepers, 2 JobManagers), test_job.py
#      (a stateful job in application mode: savepoint on stop, resume, readiness; ~7 min) and
#      test_swarm.py (the Swarm stack on a one-node swarm it makes and leaves), each its own
#      compose project (or stack) named pinit-e2e-<run id>-...
#   3. a summary of the measured times and the image sizes
#
# Every container, network and volume of the run is removed at the end, also on failure or
# Ctrl-C (the fixtures do it per project; the trap here removes whatever is left, by the
# compose project label).  Arguments go to pytest (e.g. -k ha, -x).
# Environment: PINIT_E2E_SKIP_BUILD=1 (use the images as they are), PINIT_E2E_COMPOSE
# (the compose command; default: `docker compose` if present, else docker-compose).
set -euo pipefail
cd "$(dirname "$0")/../.."

t_start=$SECONDS

say() { printf '\n==> e2e: %s\n' "$*"; }

docker info >/dev/null 2>&1 || { echo "e2e: the Docker engine does not answer (docker info)" >&2; exit 1; }
if [[ -z ${PINIT_E2E_COMPOSE:-} ]]; then
    if docker compose version >/dev/null 2>&1; then
        PINIT_E2E_COMPOSE="docker compose"
    elif command -v docker-compose >/dev/null; then
        PINIT_E2E_COMPOSE=docker-compose
    else
        echo "e2e: neither 'docker compose' nor 'docker-compose' is installed" >&2
        exit 1
    fi
fi
export PINIT_E2E_COMPOSE
echo "e2e: compose command: $PINIT_E2E_COMPOSE ($($PINIT_E2E_COMPOSE version 2>/dev/null | head -n 1))"

run_id=$(date +%s)-$$
export PINIT_E2E_RUN_ID=$run_id
work=$(mktemp -d /tmp/pinit-e2e.XXXXXX)
export PINIT_E2E_REPORT=$work/measured.txt
: >"$PINIT_E2E_REPORT"

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    local rc=$? p
    for p in $(docker ps -a --format '{{.Label "com.docker.compose.project"}}' | grep "^pinit-e2e-$run_id" | sort -u); do
        echo "e2e: removing what is left of $p"
        docker ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r docker rm -f -v >/dev/null 2>&1 || true
    done
    for p in $(docker volume ls -q | grep "^pinit-e2e-$run_id" || true); do docker volume rm -f "$p" >/dev/null 2>&1 || true; done
    for p in $(docker network ls --format '{{.Name}}' | grep "^pinit-e2e-$run_id" || true); do docker network rm "$p" >/dev/null 2>&1 || true; done
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ${PINIT_E2E_SKIP_BUILD:-0} != 1 ]]; then
    say "images"
    t0=$SECONDS
    bash docker/build-images.sh
    # apt inside these builds: retry with --network host when the default bridge cannot
    # reach the Debian archive (as docker/build-images.sh does)
    build_image() {
        docker build -q "$@" . >"$work/build.log" 2>&1 || docker build -q --network host "$@" . >"$work/build.log" 2>&1 ||
            { tail -n 30 "$work/build.log" >&2; echo "e2e: docker build $* failed" >&2; exit 1; }
    }
    build_image -f docker/cdc-collector/Dockerfile.fixture -t pinit/cdc-collector-fixture:latest
    echo "build-images: pinit/cdc-collector-fixture:latest       built (TEST FIXTURE collector)"
    build_image -f docker/prometheus/Dockerfile -t pinit/prometheus:latest
    echo "build-images: pinit/prometheus:latest                  built (Debian's prometheus + pinit)"
    echo "images: $((SECONDS - t0)) s" >>"$PINIT_E2E_REPORT"
fi

say "tests (run $run_id)"
t0=$SECONDS
rc=0
/usr/bin/python3 -m pytest -v -s -p no:cacheprovider --rootdir tests/e2e tests/e2e "$@" || rc=$?
echo "pytest: $((SECONDS - t0)) s" >>"$PINIT_E2E_REPORT"

say "summary"
sed 's/^/  /' "$PINIT_E2E_REPORT"
echo "  image sizes:"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' |
    grep -E '^(pinit/(jobmanager|taskmanager|cdc-collector|cdc-collector-fixture|prometheus)|flink|eclipse-temurin|debian|zookeeper|mariadb):' |
    sort | sed 's/^/    /'
echo "  pinit binary in the images: $(docker run --rm --entrypoint sh pinit/jobmanager:latest -c 'stat -c %s /usr/local/bin/pinit') bytes"
echo "  total e2e time: $((SECONDS - t_start)) s"
exit "$rc"
