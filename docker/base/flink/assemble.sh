#!/usr/bin/env bash
# Assemble a Flink distribution (FLINK_HOME layout) from PyPI's two Flink packages, for the
# offline stand-in of flink:<version>-scala_2.12-java17 (docker/build-images.sh).
#
#   apache-flink (wheel)             pyflink/bin/  pyflink/conf/  pyflink/log/
#   apache-flink-libraries (sdist)   deps/bin/bash-java-utils.jar  deps/lib/  deps/opt/
#                                    deps/plugins/  deps/licenses/  LICENSE  NOTICE
#
# gives OUT/flink/{bin,conf,lib,log,opt,plugins,licenses} with the modes of the official
# tarball (zip extraction loses exec bits: they are set here, explicitly).
#
# usage: assemble.sh WHEEL SDIST OUT
set -euo pipefail

wheel=${1:?usage: assemble.sh WHEEL SDIST OUT}
sdist=${2:?usage: assemble.sh WHEEL SDIST OUT}
out=${3:?usage: assemble.sh WHEEL SDIST OUT}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flink-assemble.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

python3 - "$wheel" "$tmp/whl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist()
                               if n.startswith(("pyflink/bin/", "pyflink/conf/", "pyflink/log/"))])
PY
mkdir -p "$tmp/sdist"
tar -xzf "$sdist" -C "$tmp/sdist" --strip-components=1 --no-same-owner --wildcards \
    '*/deps/bin' '*/deps/lib' '*/deps/opt' '*/deps/plugins' '*/deps/licenses' '*/LICENSE' '*/NOTICE'

rm -rf "$out"
f="$out/flink"
mkdir -p "$f"
mv "$tmp/whl/pyflink/bin" "$tmp/whl/pyflink/conf" "$f/"
mkdir -p "$f/log"
for d in bin lib opt plugins licenses; do
    mkdir -p "$f/$d"
    cp -a "$tmp/sdist/deps/$d/." "$f/$d/"
done
cp "$tmp/sdist/LICENSE" "$tmp/sdist/NOTICE" "$f/"
# PyFlink's Windows launcher has no place in a Linux image
rm -f "$f"/bin/*.bat

for need in bin/config.sh bin/jobmanager.sh bin/taskmanager.sh bin/flink bin/bash-java-utils.jar \
            conf/config.yaml conf/log4j-console.properties; do
    [ -e "$f/$need" ] || { echo "assemble.sh: $need missing from the PyPI packages" >&2; exit 1; }
done
ls "$f"/lib/flink-dist*.jar >/dev/null

find "$f" -type d -exec chmod 0755 {} +
find "$f" -type f -exec chmod 0644 {} +
find "$f/bin" -type f ! -name '*.jar' -exec chmod 0755 {} +
find "$f/plugins" -type f -name '*.sh' -exec chmod 0755 {} +
