#!/usr/bin/env bash
# tests/swarm/multinode.sh: compose/docker-stack.yml on a Docker Swarm of 3 nodes on this one
# machine, then one worker node stopped: its tasks move and the TaskManagers register again.
#
# Nodes are containers running Debian's Docker engine (tests/swarm/Dockerfile.node, built
# offline from the Debian stand-in like docker/base/*; run --privileged, pinit as their
# PID 1), on a bridge network of their own.  node1 is the manager (it runs the JobManager),
# node2 and node3 are workers.  The project's images are loaded into every node
# (docker save | docker exec -i NODE docker load), the secrets are made with
# compose/swarm-secrets.sh, the stack deployed from node1.  Measured and printed:
#   deploy -> every TaskManager registered; worker stopped -> its TaskManager running on
#   another node -> registered again with the JobManager.
# Everything it made (nodes, their volumes, the network) is removed at the end, also on
# failure or Ctrl-C; the node image is kept (cached).
#
# Too slow for every CI run (about 5-10 minutes, 3 Docker engines and 3 JVMs on 2 cores):
# run it by hand.  It needs root, a Docker engine, and the images of docker/build-images.sh.
#
# usage: tests/swarm/multinode.sh
# environment: PINIT_IMAGE_TAG (default latest)   PINIT_IMAGE_PREFIX (default pinit/)
#              MULTINODE_TIMEOUT seconds per wait (default 600)
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${PINIT_IMAGE_TAG:-latest}
prefix=${PINIT_IMAGE_PREFIX:-pinit/}
timeout=${MULTINODE_TIMEOUT:-600}
id=pinit-swarm-$$
net=$id-net
node_image=${prefix}swarm-node:$tag
stack=flink
nodes=("$id-node1" "$id-node2" "$id-node3")
work=$(mktemp -d /tmp/pinit-multinode.XXXXXX)
t_start=$SECONDS

say() { printf 'multinode: %s\n' "$*"; }
die() { printf 'multinode: error: %s\n' "$*" >&2; exit 1; }
measured() { printf 'MULTINODE-MEASURED %s: %s s\n' "$1" "$2" | tee -a "$work/measured"; }

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    local rc=$? n
    say "cleaning up"
    for n in "${nodes[@]}"; do docker rm -f -v "$n" >/dev/null 2>&1 || true; done
    docker network rm "$net" >/dev/null 2>&1 || true
    [[ -f $work/measured ]] && { say "figures:"; sed 's/^/  /' "$work/measured"; }
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_node() { local n=$1; shift; docker exec "$n" "$@"; }

# wait_until WHAT CMD...: poll CMD every 2 s; prints the seconds waited
wait_until() {
    local what=$1 t0=$SECONDS; shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS - t0 < timeout)) || die "timed out after ${timeout}s waiting for $what"
        sleep 2
    done
    echo $((SECONDS - t0))
}

for i in jobmanager taskmanager; do
    docker image inspect "$prefix$i:$tag" >/dev/null 2>&1 || die "no image $prefix$i:$tag (docker/build-images.sh)"
done

say "node image $node_image (Debian's docker.io)"
build=(docker build -q -f tests/swarm/Dockerfile.node --build-arg "PINIT_IMAGE=${prefix}jobmanager:$tag" -t "$node_image" .)
"${build[@]}" >"$work/build.log" 2>&1 || "${build[@]}" --network host >"$work/build.log" 2>&1 ||
    { tail -n 30 "$work/build.log" >&2; die "docker build of the node image failed"; }

say "3 nodes on network $net"
docker network create "$net" >/dev/null
# --privileged; where the engine itself lacks a capability (runc: "unable to apply caps"),
# every capability it has, unconfined, and a private cgroup namespace instead
start_node() {
    local n=$1
    docker run -d --privileged --name "$n" --hostname "${n##*-}" --network "$net" "$node_image" \
        >/dev/null 2>"$work/run.err" && return 0
    grep -q "apply caps" "$work/run.err" || { cat "$work/run.err" >&2; return 1; }
    docker rm -f "$n" >/dev/null 2>&1 || true
    local drop
    drop=$(cap_drop)
    say "$n: --privileged refused by this engine; every capability but: ${drop:-none}, unconfined"
    # shellcheck disable=SC2086 # $drop: several words on purpose
    docker run -d --name "$n" --hostname "${n##*-}" --network "$net" --cgroupns private \
        --cap-add ALL $drop --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --security-opt systempaths=unconfined "$node_image" >/dev/null
}
# --cap-drop for every capability below CAP_LAST_CAP missing from dockerd's bounding set
cap_drop() {
    local bnd i
    bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/"$(pgrep -xo dockerd)"/status)))
    for ((i = 0; i <= $(cat /proc/sys/kernel/cap_last_cap); i++)); do
        ((bnd >> i & 1)) || printf -- '--cap-drop %s ' "$(cap_name "$i")"
    done
}
cap_name() {
    local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
        NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
        SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
        AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
        PERFMON BPF CHECKPOINT_RESTORE)
    echo "${names[$1]}"
}
for n in "${nodes[@]}"; do start_node "$n"; done
for n in "${nodes[@]}"; do wait_until "dockerd in $n" in_node "$n" docker info >/dev/null; done

say "loading the images into every node"
t0=$SECONDS
docker save "${prefix}jobmanager:$tag" "${prefix}taskmanager:$tag" -o "$work/images.tar"
pids=()
for n in "${nodes[@]}"; do docker exec -i "$n" docker load -q <"$work/images.tar" >/dev/null & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || die "docker load into a node failed"; done
rm -f "$work/images.tar"
measured "images loaded into 3 nodes" $((SECONDS - t0))

say "swarm: ${nodes[0]} manager, the others workers"
ip1=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "${nodes[0]}")
in_node "${nodes[0]}" docker swarm init --advertise-addr "$ip1" >/dev/null
token=$(in_node "${nodes[0]}" docker swarm join-token -q worker)
for n in "${nodes[@]:1}"; do in_node "$n" docker swarm join --token "$token" "$ip1:2377" >/dev/null; done
in_node "${nodes[0]}" docker node ls

say "secrets (compose/swarm-secrets.sh) and the stack"
printf 'DATABASE_PASSWORD=%s\nDATAHUB_ACCESS_KEY=%s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$work/env"
docker cp compose/swarm-secrets.sh "${nodes[0]}:/tmp/swarm-secrets.sh"
docker cp "$work/env" "${nodes[0]}:/tmp/env"
docker cp compose/docker-stack.yml "${nodes[0]}:/tmp/docker-stack.yml"
in_node "${nodes[0]}" bash /tmp/swarm-secrets.sh /tmp/env
t0=$SECONDS
# no collector here (its image is not loaded, nor is there a database): replicas 0
in_node "${nodes[0]}" env PINIT_IMAGE_TAG="$tag" PINIT_IMAGE_PREFIX="$prefix" TASKMANAGER_REPLICAS=2 \
    CDC_COLLECTOR_REPLICAS=0 docker stack deploy --resolve-image never -c /tmp/docker-stack.yml "$stack" >/dev/null

overview() { curl -fsS -m 3 "http://$ip1:8081/overview"; }
registered() { overview | grep -q "\"taskmanagers\":$1,"; }
tm_ids() { curl -fsS -m 3 "http://$ip1:8081/taskmanagers" | grep -o '"id":"[^"]*"' | sort; }
tm_nodes() { in_node "${nodes[0]}" docker service ps --filter desired-state=running --format '{{.Node}}' "${stack}_taskmanager"; }

wait_until "2 TaskManagers registered" registered 2 >/dev/null
measured "stack deploy -> 2 TaskManagers registered (3 nodes)" $((SECONDS - t0))
in_node "${nodes[0]}" docker service ps "${stack}_jobmanager" "${stack}_taskmanager"

# a worker that runs a TaskManager
victim=
for n in $(tm_nodes); do [[ $n != node1 ]] && { victim=$n; break; }; done
[[ -n $victim ]] || die "no TaskManager on a worker node: $(tm_nodes | tr '\n' ' ')"
before=$(tm_ids)
say "stopping worker $victim"
t0=$SECONDS
docker stop -t 10 "$id-$victim" >/dev/null

moved() { ! tm_nodes | grep -qx "$victim" && [[ $(tm_nodes | wc -l) == 2 ]]; }
t_move=$(wait_until "the TaskManager task moved off $victim" moved)
measured "worker stopped -> its TaskManager task running on another node" "$t_move"

# a TaskManager that was not there before has registered, and 2 are registered in all
new_tm() { [[ -n $(comm -13 <(echo "$before") <(tm_ids)) ]] && registered 2; }
wait_until "the moved TaskManager registered" new_tm >/dev/null
measured "worker stopped -> the moved TaskManager registered again (2 registered)" $((SECONDS - t0))
in_node "${nodes[0]}" docker node ls
in_node "${nodes[0]}" docker service ps "${stack}_taskmanager"
overview
echo
measured "total" $((SECONDS - t_start))
