#!/usr/bin/env bash
# compose/swarm-secrets.sh: create the Docker Swarm secrets of compose/docker-stack.yml from
# compose/.env (the file the compose stack reads), without printing a value.
#
#   compose/swarm-secrets.sh [ENV_FILE]        default: compose/.env next to this script
#   SECRET_PREFIX=pinit (default)              the secrets are PREFIX_database_password and
#                                              PREFIX_datahub_access_key (the stack's names)
#
# The values are DATABASE_PASSWORD and DATAHUB_ACCESS_KEY (NAME=value lines; the last one
# wins; one pair of surrounding quotes is removed; the file is read, never sourced).  A
# secret that exists already is left as it is (Swarm secrets are immutable: to change one,
# `docker stack rm`, `docker secret rm`, run this again).  Exit 0 when both secrets exist
# afterwards; 1 with one line naming the file and variable when a value is missing; 69 when
# this node is not a swarm manager.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
env_file=${1:-$here/.env}
prefix=${SECRET_PREFIX:-pinit}

die() { echo "swarm-secrets: $*" >&2; exit "${2:-1}"; }

[[ -r $env_file ]] || die "$env_file: cannot read (copy compose/.env.example to compose/.env and set the secrets)"
[[ $(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null) == true ]] ||
    die "this Docker engine is not a swarm manager (docker swarm init)" 69

# value NAME: the last NAME=... line of the file, surrounding quotes removed
value() {
    local line v='' found=0
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=(.*)$ ]] || continue
        v=${BASH_REMATCH[2]}
        v=${v#"${v%%[![:space:]]*}"}
        v=${v%"${v##*[![:space:]]}"}
        if [[ ${#v} -ge 2 && ( ( $v == \"*\" ) || ( $v == \'*\' ) ) ]]; then
            v=${v:1:${#v}-2}
        fi
        found=1
    done <"$env_file"
    [[ $found == 1 ]] || return 1
    printf '%s' "$v"
}

for pair in DATABASE_PASSWORD:database_password DATAHUB_ACCESS_KEY:datahub_access_key; do
    var=${pair%%:*}
    name=${prefix}_${pair#*:}
    if docker secret inspect "$name" >/dev/null 2>&1; then
        echo "swarm-secrets: $name exists, left as it is"
        continue
    fi
    v=$(value "$var") || die "$env_file: $var: not set"
    [[ -n $v ]] || die "$env_file: $var: empty"
    [[ $v != change-me ]] || echo "swarm-secrets: warning: $env_file: $var is still 'change-me'" >&2
    printf '%s' "$v" | docker secret create --label "pinit.from=$var" "$name" - >/dev/null
    echo "swarm-secrets: $name created from $var"
done
