#!/bin/bash
# healthcheck.sh of the MariaDB stand-in image (the official image ships one with this name,
# used as `healthcheck.sh --connect --innodb_initialized`).  The stand-in checks one thing
# for every option: the server answers a login on TCP, which it only does once
# initialisation is finished (the temporary init server runs with --skip-networking).
# Exit 0 healthy, 1 not.
cnf=/var/lib/mysql/.my-healthcheck.cnf
opts=()
[ -r "$cnf" ] && opts=(--defaults-extra-file="$cnf")
exec mariadb-admin "${opts[@]}" --protocol=tcp -h127.0.0.1 -P"${MARIADB_PORT:-3306}" --connect-timeout=2 ping >/dev/null 2>&1
