#!/bin/sh
# The Docker engine of a swarm node container (tests/swarm/Dockerfile.node).
set -eu
# cgroup v1 without --privileged (multinode.sh's fallback where the engine's capability
# bounding set lacks one: --cgroupns private, SYS_ADMIN): the controllers are mounted
# read-only; mount each again read-write (in the private namespace it is this node's own)
if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && grep -q ' /sys/fs/cgroup/[^ ]* cgroup ro,' /proc/self/mounts; then
    mount -o remount,rw /sys 2>/dev/null || :
    grep ' /sys/fs/cgroup/[^ ]* cgroup ro,' /proc/self/mounts | while read -r _ dir _ opts _; do
        o=$(echo "$opts" | tr ',' '\n' | grep -vE '^(ro|rw|nosuid|nodev|noexec|relatime)$' | paste -sd, -)
        umount "$dir" && mount -t cgroup -o "rw,nosuid,nodev,noexec,$o" cgroup "$dir"
    done
fi
# cgroup v2: move every process out of the root cgroup so that dockerd may enable the
# controllers for its containers (as the docker:dind image does)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p /sys/fs/cgroup/init
    xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
    sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control || :
fi
rm -f /var/run/docker.pid
exec dockerd --host=unix:///var/run/docker.sock --storage-driver=overlay2 --log-level=warn
