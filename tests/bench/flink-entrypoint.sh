#!/usr/bin/env bash
# The baseline of tests/bench/pipeline.py: what the official Flink image's
# docker-entrypoint.sh does for `jobmanager` and `taskmanager` (Flink 1.20), so the JVM is
# PID 1 through Flink's own start scripts.  Mounted into the project's images in place of
# pinit; the image's user is set to flink by the compose override (the official script
# drops to it with gosu).  Kept to what the official script does, quirks included: it
# strips every blank from FLINK_PROPERTIES lines and runs config-parser-utils.sh (a JVM)
# before Flink.
set -e
role=${1:?usage: flink-entrypoint.sh jobmanager|taskmanager}
shift
opts=("jobmanager.rpc.address" "${JOB_MANAGER_RPC_ADDRESS:-jobmanager}"
      "blob.server.port" "6124" "query.server.port" "6125")
if [ -n "${TASK_MANAGER_NUMBER_OF_TASK_SLOTS}" ]; then
  opts+=("taskmanager.numberOfTaskSlots" "${TASK_MANAGER_NUMBER_OF_TASK_SLOTS}")
fi
IFS=$'\n'
for prop in ${FLINK_PROPERTIES}; do
  prop=$(echo "$prop" | tr -d '[:space:]')
  [ -n "$prop" ] || continue
  IFS=':' read -r key value <<< "$prop"
  opts+=("$key" "$value")
done
unset IFS
params=()
for ((i = 0; i < ${#opts[@]}; i += 2)); do
  params+=("-D${opts[i]}=${opts[i + 1]}")
done
"$FLINK_HOME/bin/config-parser-utils.sh" "$FLINK_HOME/conf" "$FLINK_HOME/bin" "$FLINK_HOME/lib" "${params[@]}"
exec "$FLINK_HOME/bin/$role.sh" start-foreground "$@"
