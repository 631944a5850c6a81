#!/usr/bin/env bash
# scripts/deps.sh: install what pinit needs to build and test, and build the static musl
# libraries of the product build.  Debian 12 (bookworm), as root; idempotent: a second run
# checks, finds nothing to do and takes about a second.
#
#   1. apt packages (APT_PACKAGES below), only when one of them is missing;
#   2. a deb-src entry for Debian's own sources (/etc/apt/sources.list.d/pinit-src.sources);
#   3. libev, curl and libyaml from `apt-get source` (Debian's patched sources, security
#      fixes included), built with musl-gcc as static libraries, plus inih (see build_inih),
#      installed into PREFIX (default /opt/pinit-deps/musl) where cmake/deps.cmake looks;
#   4. a stamp (PREFIX/.stamp: this script's hash + the exact source versions); when it
#      matches, step 3 is skipped.
#
# `--build-only` installs just what the static product build needs (used by the
# Dockerfiles' build stage); without it, everything the tests and benchmarks use too.
#
# Environment: PINIT_DEPS_PREFIX (install prefix), PINIT_DEPS_WORK (sources, build trees,
# logs; default /opt/pinit-deps/work), PINIT_DEPS_JOBS (make -j, default nproc),
# PINIT_DEPS_FORCE=1 (rebuild even if the stamp matches).
set -Eeuo pipefail

# Everything the project needs on a developer's machine and in CI, in one place.
APT_PACKAGES=(
  # toolchains and build tools
  build-essential cmake make gcc libc6-dev pkg-config file patch xz-utils binutils
  musl-tools musl-dev
  clang llvm libclang-rt-14-dev          # libFuzzer, ASan/UBSan
  # libraries of the dynamic development build (PINIT_STATIC=OFF)
  libev-dev libinih-dev libcurl4-openssl-dev libyaml-dev
  # fetching Debian sources for the static build
  dpkg-dev
  # tests, comparisons and benchmarks
  python3 python3-pytest python3-ruamel.yaml python3-yaml util-linux procps
  tini dumb-init catatonit hyperfine curl debootstrap  # tini ships /usr/bin/tini-static too
  prometheus                             # promtool: `promtool check metrics` on /metrics
  openjdk-17-jdk-headless python3-pip    # Flink's own config loader as test oracle (tests/oracle)
)

# `deps.sh --build-only` (the Dockerfiles' build stage): only what the static product build
# needs; no test, sanitizer, fuzzing or benchmark tools.
BUILD_ONLY_PACKAGES=(
  build-essential cmake make gcc libc6-dev file patch xz-utils binutils musl-tools musl-dev
  libinih-dev dpkg-dev
)
if [[ ${1:-} == --build-only ]]; then
  APT_PACKAGES=("${BUILD_ONLY_PACKAGES[@]}")
elif [[ -n ${1:-} ]]; then
  printf 'usage: scripts/deps.sh [--build-only]\n' >&2
  exit 64
fi

# Source packages built with musl (inih is handled apart, see build_inih).
SRC_PACKAGES=(libev curl libyaml)

PREFIX=${PINIT_DEPS_PREFIX:-/opt/pinit-deps/musl}
WORK=${PINIT_DEPS_WORK:-/opt/pinit-deps/work}
JOBS=${PINIT_DEPS_JOBS:-$(nproc 2>/dev/null || echo 2)}
SRC_LIST=/etc/apt/sources.list.d/pinit-src.sources
SELF=$(readlink -f "${BASH_SOURCE[0]}")
# Flags for every library: small, and sections the final link can garbage-collect.
LIB_CFLAGS="-Os -ffunction-sections -fdata-sections"

export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

step() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

# run LOG CMD...: run CMD with its output in LOG; on failure show the log's tail and stop.
run() {
  local log=$1; shift
  if ! "$@" >>"$log" 2>&1; then
    printf 'deps: error: %s failed; last lines of %s:\n' "$*" "$log" >&2
    tail -n 30 "$log" | sed 's/^/    /' >&2
    exit 1
  fi
}

# ---------------------------------------------------------------------------------------
# 1. apt packages and the deb-src entry

. /etc/os-release
CODENAME=${VERSION_CODENAME:-}
[[ $CODENAME == bookworm ]] ||
  printf 'deps: warning: written for Debian 12 (bookworm), this is %s\n' "${PRETTY_NAME:-unknown}" >&2
command -v apt-get >/dev/null || die "apt-get not found: this script needs Debian"
[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages and writes $PREFIX)"

mkdir -p "$WORK/logs" || die "cannot create $WORK/logs (run as root?)"
# One run at a time on a machine (a developer and CI may share it).
exec 9>"$WORK/.lock"
flock 9

missing_packages() {
  local installed p
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${APT_PACKAGES[@]}" 2>/dev/null |
              awk '$2 == "ii" {print $1}' || true)
  for p in "${APT_PACKAGES[@]}"; do
    grep -qxF "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

# deb-src in deb822 format, same mirror as the system's binary entries.  Not written when
# another source already enables Debian's deb-src for this release (apt would warn about
# every duplicate).
want_src_list() {
  local uri=http://deb.debian.org/debian
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    uri=${uri:-http://deb.debian.org/debian}
  fi
  cat <<EOF
Types: deb-src
URIs: $uri
Suites: $CODENAME $CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

other_src_entry() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    grep -Eq "^[[:space:]]*deb-src[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]*/debian/?[[:space:]]+$CODENAME[[:space:]].*main" "$f" &&
      return 0
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f && $f != "$SRC_LIST" ]] || continue
    # one deb822 stanza per paragraph: Types has deb-src, a .../debian URI, our suite
    awk -v suite="$CODENAME" '
      function check() { if (t && u && s && !off) found = 1; t = u = s = off = 0 }
      /^[[:space:]]*$/ { check(); next }
      /^Types:/   { t = / deb-src( |$)/ }
      /^URIs:/    { u = /\/debian\/?( |$)/ }
      /^Suites:/  { for (i = 2; i <= NF; i++) if ($i == suite) s = 1 }
      /^Enabled:[[:space:]]*no/ { off = 1 }
      END { check(); exit !found }' "$f" && return 0
  done
  return 1
}

apt_update_needed=0
mapfile -t MISSING < <(missing_packages)

if ! other_src_entry; then
  if [[ ! -f $SRC_LIST ]] || ! cmp -s <(want_src_list) "$SRC_LIST"; then
    want_src_list >"$SRC_LIST"
    step "apt: wrote $SRC_LIST (deb-src $CODENAME $CODENAME-updates)"
    apt_update_needed=1
  fi
fi
if ((${#MISSING[@]})); then
  apt_update_needed=1
fi

APT_LOG=$WORK/logs/apt.log
: >"$APT_LOG"
apt_update() {
  step "apt: update"
  run "$APT_LOG" apt-get update
  apt_update_needed=0
}
((apt_update_needed == 0)) || apt_update
if ((${#MISSING[@]})); then
  step "apt: install ${MISSING[*]}"
  run "$APT_LOG" apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
else
  step "apt: all ${#APT_PACKAGES[@]} packages installed"
fi

# ---------------------------------------------------------------------------------------
# 2. Is the prefix up to date?

# The stamp names everything the libraries are built from: this script, the exact source
# packages (apt-get source picks the candidate version; the .dsc line carries its hash),
# the libinih-dev binary package and musl.
stamp_text() {
  printf 'deps.sh sha256 %s\n' "$(sha256sum "$SELF" | cut -d' ' -f1)"
  apt-get source --print-uris "${SRC_PACKAGES[@]}" 2>/dev/null |
    awk -F"'" '/\.dsc/ {split($3, f, " "); print "source " f[1] " " f[3]}' | sort
  dpkg-query -W -f='binary ${Package} ${Version}\n' libinih-dev musl-dev musl-tools gcc
}

STAMP_NEW=$(stamp_text)
if [[ $(grep -c '^source ' <<<"$STAMP_NEW") -ne ${#SRC_PACKAGES[@]} ]]; then
  # No Sources index yet (deb-src entry present but never fetched): update once.
  apt_update
  STAMP_NEW=$(stamp_text)
  [[ $(grep -c '^source ' <<<"$STAMP_NEW") -eq ${#SRC_PACKAGES[@]} ]] ||
    die "apt-get source --print-uris does not find ${SRC_PACKAGES[*]}: is deb-src enabled? (see $APT_LOG)"
fi

libs_present() {
  local l
  for l in curl ev inih yaml; do
    [[ -f $PREFIX/lib/lib$l.a ]] || return 1
  done
  [[ -f $PREFIX/include/curl/curl.h && -f $PREFIX/include/ev.h &&
     -f $PREFIX/include/ini.h && -f $PREFIX/include/yaml.h ]]
}

if [[ ${PINIT_DEPS_FORCE:-0} != 1 ]] && libs_present && [[ -f $PREFIX/.stamp ]] &&
   [[ $(cat "$PREFIX/.stamp") == "$STAMP_NEW" ]]; then
  step "static libraries in $PREFIX are up to date (stamp matches)"
  exit 0
fi

# ---------------------------------------------------------------------------------------
# 3. Build the static libraries with musl-gcc into a staging copy of the prefix; the real
#    prefix is replaced only when everything built and the smoke test passed.

command -v musl-gcc >/dev/null || die "musl-gcc not found (package musl-tools)"
mkdir -p "$(dirname "$PREFIX")"

SRC=$WORK/src
STAGE=$WORK/stage          # make install DESTDIR=$STAGE, so files land in $STAGE$PREFIX
SP=$STAGE$PREFIX
rm -rf "$SRC" "$STAGE"
mkdir -p "$SRC" "$SP/lib" "$SP/include"
rm -f "$WORK"/logs/{source,libev,curl,libyaml,smoke}.log

export CC=musl-gcc CFLAGS="$LIB_CFLAGS"
unset CPPFLAGS LDFLAGS LIBS

fetch_sources() {
  step "sources: apt-get source ${SRC_PACKAGES[*]}"
  # As root, apt would try to drop to _apt for the download and warn it cannot; say root.
  cd "$SRC"
  run "$WORK/logs/source.log" apt-get -o APT::Sandbox::User=root source "${SRC_PACKAGES[@]}"
}

# srcdir PKG: the directory apt-get source unpacked PKG into.
srcdir() {
  local d
  d=$(find "$SRC" -mindepth 1 -maxdepth 1 -type d -name "$1-*" | head -n1)
  [[ -n $d ]] || die "no unpacked source for $1 in $SRC"
  printf '%s\n' "$d"
}

build_libev() {
  local d log=$WORK/logs/libev.log
  d=$(srcdir libev)
  step "build: libev ($(basename "$d"))"
  cd "$d"
  run "$log" ./configure --prefix="$PREFIX" --disable-shared --enable-static --disable-dependency-tracking
  # pinit's relative timers must run on CLOCK_MONOTONIC: ev.c turns EV_USE_MONOTONIC on when
  # configure found clock_gettime (or the raw syscall)
  grep -Eq '^#define HAVE_CLOCK_(GETTIME|SYSCALL) 1' config.h ||
    die "libev: configure found no clock_gettime, so its timers would follow the wall clock"
  run "$log" make -j"$JOBS"
  run "$log" make install DESTDIR="$STAGE"
  # libev-dev ships ev.h and ev++.h; event.h is the libevent emulation, not wanted here.
  rm -f "$SP/include/event.h"
}

# curl, HTTP only: pinit's probes and waits talk plain HTTP to local services and sibling
# containers.  No TLS, compression, IDN, PSL, HTTP/2, other protocols, proxies (a proxy
# from http_proxy in the container's environment would silently reroute probes), cookies,
# HSTS, alt-svc, DoH, MIME, netrc, NTLM/digest.  Kept: the threaded resolver (name
# resolution must never block pinit's loop; musl's getaddrinfo reads /etc/hosts and
# /etc/resolv.conf itself, no NSS), socketpair (the resolver thread wakes the multi handle
# through it), IPv6, unix sockets (cheap), basic auth, and verbose error strings
# (curl_easy_strerror and CURLOPT_ERRORBUFFER would otherwise only say "Error").
CURL_CONFIGURE=(
  --disable-shared --enable-static --disable-dependency-tracking
  --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp
  --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb
  --disable-smtp --disable-gopher --disable-mqtt --disable-websockets
  --disable-proxy --disable-cookies --disable-hsts --disable-alt-svc --disable-doh
  --disable-mime --disable-netrc --disable-dateparse --disable-progress-meter
  --disable-crypto-auth --disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-sspi
  --disable-get-easy-options --disable-headers-api --disable-dnsshuffle
  --disable-manual --disable-libcurl-option
  --enable-threaded-resolver --enable-pthreads --disable-ares --enable-socketpair
  --enable-ipv6 --enable-unix-sockets --enable-http-auth --enable-verbose
  --without-ssl --without-ca-bundle --without-ca-path --without-zlib --without-brotli
  --without-zstd --without-libidn2 --without-libpsl --without-nghttp2 --without-ngtcp2
  --without-nghttp3 --without-quiche --without-msh3 --without-hyper --without-libssh2
  --without-libssh --without-wolfssh --without-librtmp --without-libgsasl
  --without-zsh-functions-dir --without-fish-functions-dir
)

build_curl() {
  local d log=$WORK/logs/curl.log p
  d=$(srcdir curl)
  step "build: curl ($(basename "$d"), HTTP only)"
  cd "$d"
  # apt-get source applies the whole series, including the two patches Debian's rules pop
  # and push to build the GnuTLS and NSS flavours (they rename the library to
  # libcurl-gnutls/libcurl-nss).  Take them off again.  The other patches that touch
  # configure.ac/Makefile.am concern zsh, GSSAPI, LDAP and tests, none of which we build,
  # so the upstream configure script stays valid (AM_MAINTAINER_MODE: no autoreconf).
  for p in 99_nss.patch 90_gnutls.patch; do
    if grep -qx "$p" debian/patches/series; then
      run "$log" patch -R -p1 -i "debian/patches/$p"
    fi
  done
  run "$log" ./configure --prefix="$PREFIX" "${CURL_CONFIGURE[@]}"
  grep -q '^#define USE_THREADS_POSIX 1' lib/curl_config.h ||
    die "curl: configure did not enable the threaded resolver (see $log)"
  # Only the library and its headers: no curl tool, docs or tests.
  run "$log" make -j"$JOBS" -C lib
  run "$log" make -C lib install DESTDIR="$STAGE"
  run "$log" make -C include install DESTDIR="$STAGE"
}

build_libyaml() {
  local d log=$WORK/logs/libyaml.log
  d=$(srcdir libyaml)
  step "build: libyaml ($(basename "$d"))"
  cd "$d"
  # The Debian source has no generated configure (Debian runs autoreconf); upstream's
  # CMakeLists.txt builds the same eight files without needing autotools.  Like Debian's
  # build, asserts stay in (no -DNDEBUG).
  run "$log" cmake -S . -B _build -DCMAKE_C_COMPILER=musl-gcc -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_FLAGS="$LIB_CFLAGS" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DINSTALL_LIB_DIR=lib -DINSTALL_INCLUDE_DIR=include \
    -DINSTALL_CMAKE_DIR=lib/cmake/yaml
  run "$log" cmake --build _build -j"$JOBS"
  run "$log" env DESTDIR="$STAGE" cmake --install _build
}

# inih: `apt-get source libinih` fails on this mirror (the orig tarball is 404), so the
# library is taken from Debian's libinih-dev binary package instead: its libinih.a is one
# position-independent object (ini.c.o, Debian's build of inih r55 with its patch that
# turns the INI_* options into runtime variables) whose only undefined symbols are plain C
# library functions that musl also provides with the same x86-64 ABI (__ctype_b_loc,
# __stack_chk_fail with the canary at %fs:0x28, fclose, fgets, fopen64, free, malloc,
# realloc, strchr, strlen; another architecture may need more, which the check below
# catches).  The dynamic development build links exactly the same code and
# header.  Every option config.c relies on is set at run time from cmake/inih.cmake, whose
# configure-time check fails on an inih that does not take them so.  This is checked here, not assumed: the undefined symbols must be in the list
# below and the smoke test links and runs ini_parse_string in a static musl binary.
INIH_ALLOWED_UNDEF="__ctype_b_loc __stack_chk_fail fclose fgets fopen64 free malloc realloc strchr strlen _GLOBAL_OFFSET_TABLE_"

build_inih() {
  local a s
  a=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libinih.a
  step "inih: libinih.a and ini.h from libinih-dev $(dpkg-query -W -f='${Version}' libinih-dev)"
  [[ -f $a && -f /usr/include/ini.h ]] || die "libinih-dev does not ship $a and /usr/include/ini.h"
  for s in $(nm -u "$a" | awk 'NF == 2 && $1 == "U" {print $2}'); do
    [[ " $INIH_ALLOWED_UNDEF " == *" $s "* ]] ||
      die "inih: $a needs $s, not known to be provided by musl; review build_inih"
  done
  install -m 644 "$a" "$SP/lib/libinih.a"
  install -m 644 /usr/include/ini.h "$SP/include/ini.h"
}

# A static musl program that calls into each library, linked like pinit and run once.
smoke_test() {
  local log=$WORK/logs/smoke.log dir=$WORK/smoke
  step "check: link and run a static musl program using all four libraries"
  rm -rf "$dir"; mkdir -p "$dir"
  cat >"$dir/smoke.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include <ev.h>
#include <ini.h>
#include <yaml.h>

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    *(int *)user += !strcmp(section, "s") && !strcmp(name, "k") && !strcmp(value, "v w");
    return 1;
}

int main(void)
{
    int hits = 0;
    yaml_parser_t parser;
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    if (!loop || ini_parse_string("[s]\nk = v w\n", on_ini, &hits) != 0 || hits != 1 ||
        !yaml_parser_initialize(&parser) || curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK ||
        !(cv->features & CURL_VERSION_ASYNCHDNS))
        return 1;
    yaml_parser_delete(&parser);
    printf("libev %d.%d backend %#x, curl %s (%s), libyaml %s, inih ok\n", ev_version_major(),
           ev_version_minor(), ev_backend(loop), cv->version, cv->protocols[0],
           yaml_get_version_string());
    return 0;
}
EOF
  run "$log" musl-gcc -static -Os -DCURL_STATICLIB -I"$SP/include" -o "$dir/smoke" "$dir/smoke.c" \
    "$SP/lib/libcurl.a" "$SP/lib/libev.a" "$SP/lib/libinih.a" "$SP/lib/libyaml.a"
  file "$dir/smoke" | grep -q 'statically linked' || die "smoke test binary is not static: $(file "$dir/smoke")"
  "$dir/smoke" >>"$log" 2>&1 || die "smoke test failed (see $log)"
  step "check: $(tail -n1 "$log")"
}

fetch_sources
build_libev
build_curl
build_libyaml
build_inih
cd "$WORK"
# Keep only what the build uses: libraries and headers.
rm -rf "$SP/share" "$SP/bin" "$SP/lib/pkgconfig" "$SP/lib/cmake"
rm -f "$SP"/lib/*.la
smoke_test

printf '%s\n' "$STAMP_NEW" >"$SP/.stamp"
rm -rf "$PREFIX.old"
[[ ! -e $PREFIX ]] || mv "$PREFIX" "$PREFIX.old"
mv "$SP" "$PREFIX"
rm -rf "$PREFIX.old" "$STAGE" "$SRC" "$WORK/smoke"
step "installed into $PREFIX: $(cd "$PREFIX/lib" && ls -- *.a | tr '\n' ' ')"
