#!/bin/sh
# The Docker engine of a swarm node container (tests/swarm/Dockerfile.node).
set -eu
# cgroup v2: move every process out of the root cgroup so that dockerd may enable the
# controllers for its containers (as the docker:dind image does)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p /sys/fs/cgroup/init
    xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
    sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control || :
fi
rm -f /var/run/docker.pid
exec dockerd --host=unix:///var/run/docker.sock --storage-driver=overlay2 --log-level=warn
