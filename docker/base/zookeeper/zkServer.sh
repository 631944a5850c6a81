#!/bin/bash
# zkServer.sh of the ZooKeeper stand-in image: `start-foreground` runs the server in the
# foreground (console logging), `status` asks it with the srvr four-letter word.
set -euo pipefail
config=${ZOOCFG:-${ZOO_CONF_DIR:-/conf}/zoo.cfg}
case "${1:-}" in
start-foreground)
    classpath="${ZOO_CONF_DIR:-/conf}:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar"
    # shellcheck disable=SC2086 # JVMFLAGS and SERVER_JVMFLAGS are word lists, as upstream
    exec java "-Xmx${ZK_SERVER_HEAP:-1000}m" \
        "-Dzookeeper.log.dir=${ZOO_LOG_DIR:-/logs}" \
        -Dlog4j.configuration=file:/usr/share/zookeeper-standin/log4j.properties \
        ${SERVER_JVMFLAGS:-} ${JVMFLAGS:-} \
        -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain "$config"
    ;;
status)
    port=$(sed -n 's/^clientPort=//p' "$config")
    exec 3<>"/dev/tcp/127.0.0.1/${port:-2181}"
    printf srvr >&3
    cat <&3
    ;;
*)
    echo "usage: zkServer.sh start-foreground|status (stand-in image)" >&2
    exit 2
    ;;
esac
