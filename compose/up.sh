#!/usr/bin/env bash
# compose/up.sh: bring the whole Flink stack up on this machine and wait until it is healthy.
#
#   compose/up.sh [COMPOSE-UP-ARGS...]      e.g. compose/up.sh --scale taskmanager=3
#
#   1. compose/.env from .env.example when it is missing (then edit it for real use)
#   2. the images: docker/build-images.sh (pinit, the Flink/JRE images, or local stand-ins
#      when there is no registry; seconds when nothing changed), the collector fixture when
#      the stack uses it, Prometheus when the monitoring profile is on
#   3. `docker compose up -d` (or docker-compose v1 where the v2 plugin is missing)
#   4. waits until every container is healthy and every pinit service ready (bounded:
#      UP_TIMEOUT, default 600 s), printing progress; then prints the Flink UI URL and `ps`
#
# Environment: UP_TIMEOUT (seconds), COMPOSE_PROFILES and COMPOSE_PROJECT_NAME (override
# .env), SKIP_BUILD=1 (use the images as they are), COMPOSE_ENV_FILE (another env file).
# Exit status 0 when all is healthy; 1 otherwise, after printing the culprits' logs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
cd "$here"

say() { printf 'up: %s\n' "$*"; }
die() { printf 'up: error: %s\n' "$*" >&2; exit 1; }

# --- the compose command: v2 plugin first, else v1 ------------------------------------------
if docker compose version >/dev/null 2>&1; then
    compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose_cmd=(docker-compose)
else
    die "neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed"
fi
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (docker info failed)"

# --- .env ----------------------------------------------------------------------------------
env_file=${COMPOSE_ENV_FILE:-$here/.env}
if [ ! -f "$env_file" ]; then
    [ "$env_file" = "$here/.env" ] || die "$env_file: no such file"
    cp .env.example .env
    say "created compose/.env from .env.example (test database, placeholder credentials: edit it for real use)"
fi
compose=("${compose_cmd[@]}" --env-file "$env_file")
export CDC_ENV_FILE=${CDC_ENV_FILE:-$env_file}

# envval NAME: the value the stack will use (the environment wins over the env file)
envval() {
    if [ -n "${!1+x}" ]; then
        printf '%s' "${!1}"
    else
        sed -n "s/^$1=//p" "$env_file" | tail -n 1
    fi
}

missing=()
for v in DATABASE_HOST DATABASE_USERNAME DATAHUB_ENDPOINT DATAHUB_ACCESS_ID; do
    [ -n "$(envval "$v")" ] || missing+=("$v")
done
for v in DATABASE_PASSWORD DATAHUB_ACCESS_KEY; do
    [ -n "$(envval "$v")" ] || [ -n "$(envval "${v}_FILE")" ] || missing+=("$v (or ${v}_FILE)")
done
[ ${#missing[@]} -eq 0 ] || die "set in ${env_file#"$repo"/}: ${missing[*]}"

profiles=",$(envval COMPOSE_PROFILES),"
if [[ $profiles == *,ha,* ]] && [ -z "$(envval HA_MODE)" ]; then
    die "the ha profile needs HA_MODE=zookeeper (and JOBMANAGER_PRECONDITION=zookeeper:2181) in ${env_file#"$repo"/}"
fi
if [[ $profiles != *,test,* ]] && [ "$(envval DATABASE_HOST)" = mariadb ]; then
    say "warning: DATABASE_HOST=mariadb but the test profile (the MariaDB stand-in) is off"
fi

# --- images ----------------------------------------------------------------------------------
# build_image ARGS...: docker build from the repository root; apt inside the build needs the
# Debian archive: when the default bridge cannot reach it, retry with --network host (as
# docker/build-images.sh does)
build_image() {
    local log
    log=$(mktemp)
    if docker build -q "$@" "$repo" >"$log" 2>&1 || docker build -q --network host "$@" "$repo" >"$log" 2>&1; then
        rm -f "$log"
    else
        tail -n 30 "$log" >&2
        rm -f "$log"
        die "docker build $* failed"
    fi
}
t0=$SECONDS
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    say "images: docker/build-images.sh"
    bash "$repo/docker/build-images.sh"
    prefix=$(envval PINIT_IMAGE_PREFIX); prefix=${prefix:-pinit/}
    tag=$(envval PINIT_IMAGE_TAG); tag=${tag:-latest}
    collector=$(envval CDC_COLLECTOR_IMAGE)
    if [ -z "$collector" ] || [ "$collector" = "pinit/cdc-collector-fixture:latest" ]; then
        say "images: pinit/cdc-collector-fixture (TEST FIXTURE collector, tests/collector/)"
        build_image -f "$repo/docker/cdc-collector/Dockerfile.fixture" \
            --build-arg "COLLECTOR_IMAGE=${prefix}cdc-collector:$tag" -t pinit/cdc-collector-fixture:latest
    fi
    if [[ $profiles == *,monitoring,* ]]; then
        say "images: ${prefix}prometheus:$tag (Debian's prometheus + pinit)"
        build_image -f "$repo/docker/prometheus/Dockerfile" \
            --build-arg "PINIT_IMAGE=${prefix}jobmanager:$tag" -t "${prefix}prometheus:$tag"
    fi
    say "images ready in $((SECONDS - t0))s"
fi

# --- up ----------------------------------------------------------------------------------------
t_up=$SECONDS
say "starting: ${compose_cmd[*]} up -d --remove-orphans $*"
"${compose[@]}" up -d --remove-orphans "$@"

# --- wait until healthy ------------------------------------------------------------------------
timeout=${UP_TIMEOUT:-600}
last_report=-1
while :; do
    total=0 good=0 pending=() failed=()
    for c in $("${compose[@]}" ps -a -q); do
        IFS='|' read -r name state health exit_code < <(docker inspect -f \
            '{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}' "$c")
        name=${name#/}
        total=$((total + 1))
        if [ "$state" = exited ] && [ -z "$health" ] && [ "$exit_code" = 0 ]; then
            good=$((good + 1))             # a one-shot (init-volumes) that finished
        elif [ "$state" = exited ] || [ "$state" = dead ]; then
            failed+=("$name ($state, exit $exit_code)")
        elif [ "$state" = running ] && { [ "$health" = healthy ] || [ -z "$health" ]; }; then
            # healthy; pinit services must also be ready (Flink answering, the collector's
            # database query working), not only alive
            if docker exec "$c" pinit check --ready >/dev/null 2>&1 || ! docker exec "$c" sh -c 'command -v pinit' >/dev/null 2>&1; then
                good=$((good + 1))
            else
                pending+=("$name (healthy, not ready)")
            fi
        else
            pending+=("$name (${health:-$state})")
        fi
    done
    elapsed=$((SECONDS - t_up))
    if [ "$total" -gt 0 ] && [ "$good" = "$total" ]; then
        say "all $total containers healthy and ready after ${elapsed}s"
        break
    fi
    if [ ${#failed[@]} -gt 0 ] || [ "$elapsed" -ge "$timeout" ]; then
        [ ${#failed[@]} -gt 0 ] && say "failed: ${failed[*]}"
        [ "$elapsed" -ge "$timeout" ] && say "timed out after ${elapsed}s; still waiting for: ${pending[*]}"
        "${compose[@]}" ps
        for c in $("${compose[@]}" ps -a -q); do
            h=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")
            case $h in *" running healthy" | *" exited ") continue ;; esac
            printf '\n--- %s: last log lines\n' "$h"
            docker logs --tail 30 "$c" 2>&1 | sed 's/^/  | /'
            docker exec "$c" pinit status 2>/dev/null | sed 's/^/  pinit status: /' || true
        done
        exit 1
    fi
    if [ $((elapsed / 10)) != "$last_report" ]; then
        last_report=$((elapsed / 10))
        say "${elapsed}s: $good/$total healthy; waiting for: ${pending[*]:-containers}"
    fi
    sleep 2
done

# --- where to look -----------------------------------------------------------------------------
url_of() {  # url_of SERVICE PORT -> http://host:port of the published port
    local hp
    hp=$("${compose[@]}" port "$1" "$2" 2>/dev/null | head -n 1) || return 1
    [ -n "$hp" ] || return 1
    hp=${hp/0.0.0.0/127.0.0.1}
    printf 'http://%s' "$hp"
}
echo
"${compose[@]}" ps
echo
if ui=$(url_of jobmanager 8081); then
    say "Flink web UI:    $ui"
fi
if [[ $profiles == *,monitoring,* ]] && prom=$(url_of prometheus 9090); then
    say "Prometheus:      $prom"
fi
if col=$(url_of cdc-collector 8080); then
    say "cdc-collector:   $col/health"
fi
say "stop with: (cd compose && ${compose_cmd[*]} down)   add -v to delete the volumes"
