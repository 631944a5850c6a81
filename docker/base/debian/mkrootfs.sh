#!/usr/bin/env bash
# Build a "debian:bookworm-slim"-like root filesystem with debootstrap, for the offline
# stand-in of the official Debian image (docker/build-images.sh imports it with
# `docker import`).  Mirrors what the official slim images do: minbase, dpkg path excludes
# for docs/man/locales, apt's docker-* configuration, deb822 sources with updates and
# security, no apt lists, no device nodes, no resolv.conf/hostname (Docker provides those).
#
# usage: mkrootfs.sh DIR [SUITE [MIRROR [SECURITY_MIRROR]]]      (root only)
set -euo pipefail

dir=${1:?usage: mkrootfs.sh DIR [SUITE [MIRROR [SECURITY_MIRROR]]]}
suite=${2:-bookworm}
# default mirrors: this machine's apt sources, or DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR
. "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/apt-mirror.sh"
mirror=${3:-$(apt_mirror debian)}
security=${4:-$(apt_mirror debian-security)}

[ "$(id -u)" = 0 ] || { echo "mkrootfs.sh: debootstrap needs root" >&2; exit 1; }
rm -rf "${dir:?}"
mkdir -p "$dir"

# The excludes go in first, so nothing debootstrap's second stage installs brings them back.
mkdir -p "${dir:?}/etc/dpkg/dpkg.cfg.d"
cat >"${dir:?}/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# as in the official debian:*-slim images: no docs, man pages or translations
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF

debootstrap --variant=minbase "$suite" "$dir" "$mirror"

# What dpkg installed before the excludes were read (first stage unpacks with dpkg-deb).
find "${dir:?}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "${dir:?}/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "${dir:?}"/usr/share/{man,groff,info,lintian,linda}/*
find "${dir:?}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

# apt as in the official images
mkdir -p "${dir:?}/etc/apt/apt.conf.d"
cat >"${dir:?}/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::GzipIndexes "true";' >"${dir:?}/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"${dir:?}/etc/apt/apt.conf.d/docker-no-languages"
echo 'APT::AutoRemove::SuggestsImportant "false";' >"${dir:?}/etc/apt/apt.conf.d/docker-autoremove-suggests"

rm -f "${dir:?}/etc/apt/sources.list"
mkdir -p "${dir:?}/etc/apt/sources.list.d"
cat >"${dir:?}/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# Leave nothing behind that belongs to the build host or to the container runtime.
rm -rf "${dir:?}"/var/lib/apt/lists/* "${dir:?}"/var/cache/apt/archives/*.deb "${dir:?}"/var/cache/apt/*.bin \
       "${dir:?}"/var/cache/debconf/*-old "${dir:?}"/var/lib/dpkg/*-old "${dir:?}"/tmp/* "${dir:?}"/var/tmp/* \
       "${dir:?}"/dev/* "${dir:?}"/proc/* "${dir:?}"/sys/* "${dir:?}"/run/*
mkdir -p "${dir:?}/var/lib/apt/lists/partial"
find "${dir:?}/var/log" -type f -delete
: >"${dir:?}/etc/resolv.conf"
: >"${dir:?}/etc/hostname"
: >"${dir:?}/etc/machine-id"
