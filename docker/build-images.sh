#!/usr/bin/env bash
# Build every image the compose stack needs, on a machine with a Docker engine and no
# registry (this project's machines and CI): first local stand-ins for the base images the
# Dockerfiles name -- only when those are missing -- then the pinit images.
#
#   debian:bookworm-slim            debootstrap (minbase) + docker import
#   eclipse-temurin:17-jre-jammy    Debian's openjdk-17-jre-headless       docker/base/jre/
#   flink:1.20.1-scala_2.12-java17  PyPI's apache-flink(-libraries) 1.20.1 docker/base/flink/
#   zookeeper:3.8                   Debian's ZooKeeper 3.8                 docker/base/zookeeper/
#   mariadb:10.11                   Debian's mariadb-server 10.11          docker/base/mariadb/
#   pinit/jobmanager, pinit/taskmanager, pinit/cdc-collector   docker/<name>/Dockerfile
#
# The Dockerfiles keep naming the official images, so on a machine that can pull them they
# are used as they are: an image that exists without the label pinit.standin is never
# touched (PINIT_PULL=1 tries `docker pull` before building a stand-in).  Every stand-in
# carries the label pinit.inputs=<sha256 of its inputs: recipe files, parent image id,
# package file names> and is rebuilt only when that changes, so a second run takes seconds.
#
# apt inside `docker build` (the stand-ins install Debian packages, the pinit build stage
# runs scripts/deps.sh): the script checks once whether a container on the default bridge
# reaches the Debian mirror; if not, it builds with `--network host`; if neither works it
# stops and says so.  Downloads: the Debian archive (debootstrap, apt) and PyPI (the two
# Flink packages, cached in $PINIT_IMAGE_CACHE/wheels); nothing else.
#
# usage: docker/build-images.sh [--base-only] [--pinit-from host|source] [--force]
#   --base-only        only the stand-in base images
#   --pinit-from host  (default) build pinit on the host (static CMake build in
#                      $PINIT_BUILD_DIR, default build/; scripts/deps.sh first if the static
#                      libraries are missing) and copy it into the images (PINIT_PREBUILT)
#   --pinit-from source  build pinit inside `docker build` (what a user gets by default)
#   --force            rebuild the stand-ins even when their inputs did not change
# environment:
#   PINIT_IMAGE_CACHE  cache directory (default /var/cache/pinit-images)
#   PINIT_IMAGE_PREFIX, PINIT_IMAGE_TAG   names of the pinit images (default pinit/, latest)
#   PINIT_BIN          a static pinit to use as is (skips the host build)
#   PINIT_BUILD_DIR    CMake build directory for the host build (default build)
#   PINIT_PULL=1       try `docker pull` for a missing base image before building a stand-in
#   DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR   default: the mirror of this machine's apt
#                      sources (scripts/apt-mirror.sh)
#   DEBIAN_IMAGE, JRE_IMAGE, FLINK_IMAGE, ZOOKEEPER_IMAGE, MARIADB_IMAGE   image names
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

base_only=0
force=0
pinit_from=${PINIT_FROM:-host}
while [ $# -gt 0 ]; do
    case $1 in
        --base-only) base_only=1 ;;
        --force) force=1 ;;
        --pinit-from) pinit_from=${2:?--pinit-from needs host or source}; shift ;;
        --pinit-from=*) pinit_from=${1#*=} ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "build-images: unknown argument: $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
case $pinit_from in host | source) ;; *) echo "build-images: --pinit-from host|source" >&2; exit 64 ;; esac

cache=${PINIT_IMAGE_CACHE:-/var/cache/pinit-images}
suite=bookworm
# the machine's own Debian mirror (its apt sources), or DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR
. "$repo/scripts/apt-mirror.sh"
mirror=$(apt_mirror debian) || die "no Debian mirror: set DEBIAN_MIRROR"
security_mirror=$(apt_mirror debian-security) || die "no Debian security mirror: set DEBIAN_SECURITY_MIRROR"
flink_version=1.20.1
DEBIAN_IMAGE=${DEBIAN_IMAGE:-debian:bookworm-slim}
JRE_IMAGE=${JRE_IMAGE:-eclipse-temurin:17-jre-jammy}
FLINK_IMAGE=${FLINK_IMAGE:-flink:$flink_version-scala_2.12-java17}
ZOOKEEPER_IMAGE=${ZOOKEEPER_IMAGE:-zookeeper:3.8}
MARIADB_IMAGE=${MARIADB_IMAGE:-mariadb:10.11}
prefix=${PINIT_IMAGE_PREFIX:-pinit/}
tag=${PINIT_IMAGE_TAG:-latest}

start=$SECONDS

step() { printf 'build-images: %-34s %s\n' "$1" "$2"; }
die() { printf 'build-images: error: %s\n' "$*" >&2; exit 1; }

# run_logged NAME CMD...: output to $cache/logs/NAME.log, its tail on failure
run_logged() {
    local name=$1 log="$cache/logs/$1.log"
    shift
    if ! "$@" >"$log" 2>&1; then
        step "$name" "FAILED ($log):"
        tail -n 40 "$log" | sed 's/^/  | /' >&2
        exit 1
    fi
}

# inputs_hash ARG...: sha256 over files (absolute paths, by repo-relative name and content)
# and plain values
inputs_hash() {
    local a
    for a; do
        case $a in
            /*) printf 'file %s\n' "${a#"$repo"/}"; cat -- "$a" ;;
            *) printf 'value %s\n' "$a" ;;
        esac
    done | sha256sum | cut -d' ' -f1
}

image_id() { docker image inspect -f '{{.Id}}' "$1"; }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null | sed 's/^<no value>$//'; }

# standin_state IMAGE HASH -> cached | foreign | pulled | build
standin_state() {
    local img=$1 want=$2
    if ! docker image inspect "$img" >/dev/null 2>&1; then
        if [ "${PINIT_PULL:-0}" = 1 ] && timeout 600 docker pull -q "$img" >/dev/null 2>&1; then
            echo pulled
        else
            echo build
        fi
    elif [ -z "$(image_label "$img" pinit.standin)" ]; then
        echo foreign
    elif [ "$force" = 0 ] && [ "$(image_label "$img" pinit.inputs)" = "$want" ]; then
        echo cached
    else
        echo build
    fi
}

# report a state that needs no build; returns 1 when a build is needed
standin_skip() {
    local img=$1 state=$2
    case $state in
        cached) step "$img" "cached (stand-in, inputs unchanged)" ;;
        foreign) step "$img" "present (not a stand-in): used as is" ;;
        pulled) step "$img" "pulled" ;;
        *) return 1 ;;
    esac
}

# After a rebuild, drop the previous stand-in if nothing uses it any more.
drop_old() {
    local old=$1 img=$2
    if [ -n "$old" ] && [ "$old" != "$(image_id "$img")" ]; then
        docker rmi "$old" >/dev/null 2>&1 || true
    fi
}

# apt route for build containers, decided once, when a build first needs it
net_args=()
net_checked=0
apt_route() {
    [ "$net_checked" = 1 ] && return 0
    net_checked=1
    local hostport host port
    hostport=$(sed -E 's|^[a-z]+://([^/]+).*|\1|' <<<"$mirror")
    host=${hostport%%:*}
    port=80
    case $mirror in https://*) port=443 ;; esac
    [ "$hostport" != "$host" ] && port=${hostport##*:}
    local probe="timeout 10 bash -c 'exec 3<>/dev/tcp/$host/$port'"
    if docker run --rm "$DEBIAN_IMAGE" bash -c "$probe" >/dev/null 2>&1; then
        step "apt route" "default bridge reaches $host:$port"
    elif docker run --rm --network host "$DEBIAN_IMAGE" bash -c "$probe" >/dev/null 2>&1; then
        net_args=(--network host)
        step "apt route" "default bridge cannot reach $host:$port: building with --network host"
    else
        die "build containers reach $host:$port neither on the default bridge nor with --network host"
    fi
}

# build_standin IMAGE HASH DOCKER-BUILD-ARGS...
build_standin() {
    local img=$1 hash=$2 old t0=$SECONDS
    shift 2
    old=$(image_id "$img" 2>/dev/null || true)
    apt_route
    run_logged "${img//[:\/]/_}" docker build "${net_args[@]}" \
        --label "pinit.standin=$img" --label "pinit.inputs=$hash" -t "$img" "$@"
    drop_old "$old" "$img"
    step "$img" "built in $((SECONDS - t0))s (stand-in, inputs ${hash:0:12})"
}

docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"
mkdir -p "$cache/logs" "$cache/wheels" "$cache/tmp"
exec 9>"$cache/.lock"
if ! flock -n 9; then
    step "lock" "waiting for another build-images.sh ($cache/.lock)"
    flock 9
fi

# --- 1. debian:bookworm-slim ------------------------------------------------------------
mkrootfs="$here/base/debian/mkrootfs.sh"
h=$(inputs_hash "$mkrootfs" "$suite" "$mirror" "$security_mirror")
state=$(standin_state "$DEBIAN_IMAGE" "$h")
if ! standin_skip "$DEBIAN_IMAGE" "$state"; then
    [ "$(id -u)" = 0 ] || die "building the $DEBIAN_IMAGE stand-in needs root (debootstrap)"
    t0=$SECONDS
    if ! command -v debootstrap >/dev/null; then
        run_logged apt-install-debootstrap bash -c \
            'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap debian-archive-keyring'
    fi
    rootfs=$(mktemp -d "$cache/tmp/rootfs.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    run_logged debootstrap bash "$mkrootfs" "$rootfs" "$suite" "$mirror" "$security_mirror"
    old=$(image_id "$DEBIAN_IMAGE" 2>/dev/null || true)
    # shellcheck disable=SC2016 # $1.. are the inner shell's arguments
    run_logged docker-import bash -c 'tar --numeric-owner -C "$1" -c . | docker import \
        --change "CMD [\"bash\"]" --change "LABEL pinit.standin=$2" --change "LABEL pinit.inputs=$3" - "$2"' \
        _ "$rootfs" "$DEBIAN_IMAGE" "$h"
    rm -rf "$rootfs"
    trap - EXIT
    drop_old "$old" "$DEBIAN_IMAGE"
    step "$DEBIAN_IMAGE" "built in $((SECONDS - t0))s (stand-in: debootstrap $suite + docker import)"
fi

# --- 2. eclipse-temurin:17-jre-jammy -----------------------------------------------------
d="$here/base/jre"
h=$(inputs_hash "$d/Dockerfile" "$(image_id "$DEBIAN_IMAGE")")
state=$(standin_state "$JRE_IMAGE" "$h")
standin_skip "$JRE_IMAGE" "$state" ||
    build_standin "$JRE_IMAGE" "$h" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" -f "$d/Dockerfile" "$d"

# --- 3. flink:1.20.1-scala_2.12-java17 ---------------------------------------------------
find_pkgs() {
    local w s
    w=$(compgen -G "$cache/wheels/apache_flink-$flink_version-*.whl" || true)
    s=$(compgen -G "$cache/wheels/apache[-_]flink[-_]libraries-$flink_version.tar.gz" || true)
    wheel=${w%%$'\n'*}
    sdist=${s%%$'\n'*}
}
d="$here/base/flink"
# only a missing stand-in needs the packages: an official image present is used as is
if docker image inspect "$FLINK_IMAGE" >/dev/null 2>&1 && [ -z "$(image_label "$FLINK_IMAGE" pinit.standin)" ]; then
    step "$FLINK_IMAGE" "present (not a stand-in): used as is"
else
    find_pkgs
    if [ -z "$wheel" ] || [ -z "$sdist" ]; then
        t0=$SECONDS
        if ! python3 -m pip --version >/dev/null 2>&1; then
            run_logged apt-install-pip bash -c \
                'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-pip'
        fi
        dl=$(mktemp -d "$cache/tmp/wheels.XXXXXX")
        # The wheel is the same on every platform but for its PyFlink extension modules,
        # which are not used: pin one so the file name (a cache input) does not depend on
        # the host's Python.  The libraries come only as an sdist (pip prepares its metadata).
        # shellcheck disable=SC2016 # $1 $2 are the inner shell's arguments
        run_logged pip-download-flink bash -c '
            python3 -m pip download --no-deps --only-binary=:all: --platform manylinux1_x86_64 \
                --python-version 3.11 --implementation cp -d "$1" "apache-flink==$2" &&
            python3 -m pip download --no-deps -d "$1" "apache-flink-libraries==$2"' _ "$dl" "$flink_version"
        mv "$dl"/* "$cache/wheels/"
        rmdir "$dl"
        find_pkgs
        if [ -z "$wheel" ] || [ -z "$sdist" ]; then
            die "pip download did not give the two Flink packages (see $cache/logs)"
        fi
        step "flink $flink_version packages" "downloaded from PyPI in $((SECONDS - t0))s"
    else
        step "flink $flink_version packages" "cached ($(basename "$wheel"), $(basename "$sdist"))"
    fi
    h=$(inputs_hash "$d/Dockerfile" "$d/assemble.sh" "$(basename "$wheel")" "$(basename "$sdist")" \
        "$(image_id "$JRE_IMAGE")")
    state=$(standin_state "$FLINK_IMAGE" "$h")
    if ! standin_skip "$FLINK_IMAGE" "$state"; then
        ctx="$cache/tmp/flink-context"
        run_logged flink-assemble bash "$d/assemble.sh" "$wheel" "$sdist" "$ctx"
        build_standin "$FLINK_IMAGE" "$h" --build-arg "JRE_IMAGE=$JRE_IMAGE" -f "$d/Dockerfile" "$ctx"
        rm -rf "$ctx"
    fi
fi

# --- 4. zookeeper:3.8 (compose profile ha) -------------------------------------------------
d="$here/base/zookeeper"
h=$(inputs_hash "$d/Dockerfile" "$d/docker-entrypoint.sh" "$d/zkServer.sh" "$d/log4j.properties" \
    "$(image_id "$JRE_IMAGE")")
state=$(standin_state "$ZOOKEEPER_IMAGE" "$h")
standin_skip "$ZOOKEEPER_IMAGE" "$state" ||
    build_standin "$ZOOKEEPER_IMAGE" "$h" --build-arg "JRE_IMAGE=$JRE_IMAGE" -f "$d/Dockerfile" "$d"

# --- 5. mariadb:10.11 (tests: the MySQL-protocol database) -------------------------------
d="$here/base/mariadb"
h=$(inputs_hash "$d/Dockerfile" "$d/docker-entrypoint.sh" "$d/healthcheck.sh" "$(image_id "$DEBIAN_IMAGE")")
state=$(standin_state "$MARIADB_IMAGE" "$h")
standin_skip "$MARIADB_IMAGE" "$state" ||
    build_standin "$MARIADB_IMAGE" "$h" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" -f "$d/Dockerfile" "$d"

if [ "$base_only" = 1 ]; then
    step "done" "base images in $((SECONDS - start))s"
    exit 0
fi

# --- 6. pinit -----------------------------------------------------------------------------
build_args=(--build-arg "BUILD_IMAGE=$DEBIAN_IMAGE")
if [ "$pinit_from" = host ]; then
    t0=$SECONDS
    bin=${PINIT_BIN:-}
    if [ -z "$bin" ]; then
        bdir=${PINIT_BUILD_DIR:-$repo/build}
        case $bdir in /*) ;; *) bdir="$repo/$bdir" ;; esac
        if [ ! -f "$bdir/CMakeCache.txt" ]; then
            deps_prefix=${PINIT_DEPS_PREFIX:-/opt/pinit-deps/musl}
            if [ ! -f "$deps_prefix/lib/libcurl.a" ] && [ -f "$repo/scripts/deps.sh" ]; then
                run_logged deps bash "$repo/scripts/deps.sh"
            fi
            run_logged cmake-configure cmake -S "$repo" -B "$bdir" -DCMAKE_BUILD_TYPE=Release
        fi
        run_logged cmake-build cmake --build "$bdir" --target pinit -j "$(nproc)"
        bin="$bdir/pinit"
    fi
    [ -x "$bin" ] || die "no pinit binary at $bin"
    if LC_ALL=C readelf -lW "$bin" 2>/dev/null | grep -q 'program interpreter'; then
        die "$bin is dynamically linked; the images need the static build (PINIT_STATIC=ON, the default): set PINIT_BUILD_DIR to a static build directory or PINIT_BIN to a static binary"
    fi
    staged="$here/.prebuilt/pinit"
    mkdir -p "$(dirname "$staged")"
    cmp -s "$bin" "$staged" 2>/dev/null || install -m 0755 "$bin" "$staged"
    build_args+=(--build-arg "PINIT_PREBUILT=${staged#"$repo"/}")
    step "pinit" "host build ready in $((SECONDS - t0))s ($("$bin" --version 2>/dev/null | head -n 1 || echo "${bin#"$repo"/}"))"
else
    rm -f "$here/.prebuilt/pinit"
    apt_route
    step "pinit" "built from source inside docker build (scripts/deps.sh + cmake)"
fi

# --- 7. the pinit images -------------------------------------------------------------------
for name in jobmanager taskmanager cdc-collector; do
    t0=$SECONDS
    img="$prefix$name:$tag"
    old=$(image_id "$img" 2>/dev/null || true)
    case $name in
        cdc-collector) base_arg="JRE_IMAGE=$JRE_IMAGE" ;;
        *) base_arg="FLINK_IMAGE=$FLINK_IMAGE" ;;
    esac
    run_logged "image-$name" docker build "${net_args[@]}" "${build_args[@]}" --build-arg "$base_arg" \
        -f "$here/$name/Dockerfile" -t "$img" "$repo"
    new=$(image_id "$img")
    if [ "$old" = "$new" ]; then
        step "$img" "up to date ($((SECONDS - t0))s)"
    else
        drop_old "$old" "$img"
        step "$img" "built in $((SECONDS - t0))s"
    fi
done

# The build stage is the same in the three Dockerfiles: tag it (a cached no-op build) so that
# it stays as the cache of the next run, and drop the untagged build stages of earlier runs.
run_logged build-stage docker build "${net_args[@]}" "${build_args[@]}" --target build \
    -f "$here/jobmanager/Dockerfile" -t "${prefix}build-stage:$tag" "$repo"
docker image prune -f --filter label=pinit.stage=build >/dev/null 2>&1 || true

step "done" "all images in $((SECONDS - start))s"
