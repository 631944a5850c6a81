#!/bin/bash
# Entrypoint of the MariaDB stand-in image.  On the first start (empty data directory) it
# initialises the server from the MARIADB_* variables, the way the official image does:
# root password (or explicitly allowed empty / random), a database, a user with all
# privileges on it, then /docker-entrypoint-initdb.d/*.{sh,sql,sql.gz}.  Then it execs the
# server as user mysql.
set -euo pipefail

log() { printf '%s [Entrypoint]: %s\n' "$(date -u '+%F %T%:z')" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# NAME_FILE=/run/secrets/x sets NAME; MYSQL_NAME is an alias of MARIADB_NAME
file_env() {
    local var=$1 alias="MYSQL_${1#MARIADB_}"
    local fvar="${var}_FILE" falias="MYSQL_${1#MARIADB_}_FILE" val=${2:-}
    if [[ -n "${!var:-}" && -n "${!fvar:-}" ]]; then die "both $var and $fvar are set"; fi
    if [[ -n "${!var:-}" ]]; then val=${!var}
    elif [[ -n "${!fvar:-}" ]]; then val=$(<"${!fvar}")
    elif [[ -n "${!alias:-}" ]]; then val=${!alias}
    elif [[ -n "${!falias:-}" ]]; then val=$(<"${!falias}")
    fi
    export "$var=$val"
    unset "$fvar" "$alias" "$falias"
}

sql_string() { local s=${1//\\/\\\\}; s=${s//\'/\\\'}; printf "'%s'" "$s"; }
# shellcheck disable=SC2016 # backquotes, not a command substitution
sql_ident() { printf '`%s`' "${1//\`/\`\`}"; }

if [[ "${1:0:1}" = - ]]; then
    set -- mariadbd "$@"
fi

if [[ "$1" = mariadbd || "$1" = mysqld ]]; then
    datadir=/var/lib/mysql
    if [[ "$(id -u)" = 0 ]]; then
        mkdir -p "$datadir" /run/mysqld
        chown -R mysql:mysql "$datadir" /run/mysqld
        exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
    fi

    if [[ ! -d "$datadir/mysql" ]]; then
        file_env MARIADB_ROOT_PASSWORD
        file_env MARIADB_ALLOW_EMPTY_ROOT_PASSWORD
        file_env MARIADB_RANDOM_ROOT_PASSWORD
        file_env MARIADB_ROOT_HOST '%'
        file_env MARIADB_DATABASE
        file_env MARIADB_USER
        file_env MARIADB_PASSWORD
        if [[ -z "$MARIADB_ROOT_PASSWORD" && -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" && -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]]; then
            die "database is uninitialized and none of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD, MARIADB_RANDOM_ROOT_PASSWORD is set"
        fi
        if [[ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]]; then
            MARIADB_ROOT_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
            log "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
        fi

        log "initializing database files"
        mariadb-install-db --datadir="$datadir" --skip-test-db --auth-root-authentication-method=normal \
            --skip-name-resolve --default-time-zone=SYSTEM >/dev/null

        log "starting temporary server"
        socket=/run/mysqld/mysqld.sock
        "$@" --skip-networking --default-time-zone=SYSTEM --socket="$socket" --wsrep_on=OFF \
            --skip-log-bin --loose-innodb-buffer-pool-load-at-startup=0 &
        pid=$!
        for _ in $(seq 1 60); do
            mariadb-admin --socket="$socket" -uroot ping >/dev/null 2>&1 && break
            kill -0 "$pid" 2>/dev/null || die "temporary server exited"
            sleep 0.5
        done
        mariadb-admin --socket="$socket" -uroot ping >/dev/null 2>&1 || die "temporary server did not start"

        rootpw=$(sql_string "$MARIADB_ROOT_PASSWORD")
        hcpw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
        printf '[client]\nuser=healthcheck\npassword=%s\n' "$hcpw" >"$datadir/.my-healthcheck.cnf"
        chmod 600 "$datadir/.my-healthcheck.cnf"
        {
            echo "SET @@SESSION.SQL_LOG_BIN=0;"
            echo "DELETE FROM mysql.global_priv WHERE user NOT IN ('mysql.sys', 'mariadb.sys', 'root') OR host NOT IN ('localhost');"
            echo "DELETE FROM mysql.proxies_priv WHERE NOT (user = 'root' AND host = 'localhost');"
            echo "FLUSH PRIVILEGES;"
            echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $rootpw;"
            if [[ -n "$MARIADB_ROOT_HOST" && "$MARIADB_ROOT_HOST" != localhost ]]; then
                echo "CREATE USER 'root'@$(sql_string "$MARIADB_ROOT_HOST") IDENTIFIED BY $rootpw;"
                echo "GRANT ALL ON *.* TO 'root'@$(sql_string "$MARIADB_ROOT_HOST") WITH GRANT OPTION;"
            fi
            if [[ -n "$MARIADB_DATABASE" ]]; then
                echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "$MARIADB_DATABASE");"
            fi
            if [[ -n "$MARIADB_USER" ]]; then
                [[ -n "$MARIADB_PASSWORD" ]] || die "MARIADB_USER is set but MARIADB_PASSWORD is not"
                echo "CREATE USER $(sql_string "$MARIADB_USER")@'%' IDENTIFIED BY $(sql_string "$MARIADB_PASSWORD");"
                if [[ -n "$MARIADB_DATABASE" ]]; then
                    echo "GRANT ALL ON $(sql_ident "$MARIADB_DATABASE").* TO $(sql_string "$MARIADB_USER")@'%';"
                fi
            fi
            # an unprivileged account for healthcheck.sh, so health checks log no "access denied"
            echo "CREATE USER 'healthcheck'@'127.0.0.1' IDENTIFIED BY $(sql_string "$hcpw");"
            echo "CREATE USER 'healthcheck'@'::1' IDENTIFIED BY $(sql_string "$hcpw");"
            echo "CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY $(sql_string "$hcpw");"
            echo "FLUSH PRIVILEGES;"
        } | mariadb --socket="$socket" -uroot --binary-mode

        client=(mariadb --socket="$socket" -uroot --password="$MARIADB_ROOT_PASSWORD")
        [[ -n "$MARIADB_DATABASE" ]] && client+=("$MARIADB_DATABASE")
        for f in /docker-entrypoint-initdb.d/*; do
            # shellcheck disable=SC1090 # sourcing the user's init scripts, as the official image does
            case "$f" in
                *.sh)     log "running $f"; . "$f" ;;
                *.sql)    log "running $f"; "${client[@]}" <"$f" ;;
                *.sql.gz) log "running $f"; gunzip -c "$f" | "${client[@]}" ;;
                *)        [[ -e "$f" ]] && log "ignoring $f" ;;
            esac
        done

        log "stopping temporary server"
        kill "$pid"
        wait "$pid" || true
        log "initialization done"
    fi
fi

exec "$@"
