#!/usr/bin/env bash
# scripts/test.sh: the one command that runs every test (README; .ci/run calls it).
#
#   1. scripts/deps.sh                 apt packages + the static musl libraries
#   2. build/  Release, static musl    the product; ctest: unit + black-box (PID 1) tests
#   3. build-asan/  ASan + UBSan       the same ctest suite against a sanitized binary
#   4. build-fuzz/  clang libFuzzer    every tests/fuzz target, PINIT_FUZZ_SECONDS each (20)
#   5. tests/bench/bench.sh --quick    benchmark smoke run (the full run: README)
#   6. tests/e2e/run.sh                images + compose + real Flink (when Docker is there)
#
# PINIT_TEST_SKIP="asan fuzz bench e2e" skips stages (for quick local runs; CI runs all).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
skip=" ${PINIT_TEST_SKIP:-} "
jobs=$(nproc 2>/dev/null || echo 2)
say() { printf '\n==> %s\n' "$*"; }

say "dependencies"
bash scripts/deps.sh

say "Flink 1.20.1 jars for the config oracle (tests/oracle; the sdist docker/build-images.sh uses)"
flink_cache=${PINIT_IMAGE_CACHE:-/var/cache/pinit-images}
if ! compgen -G "$flink_cache/wheels/apache[-_]flink[-_]libraries-1.20.1.tar.gz" >/dev/null; then
  mkdir -p "$flink_cache/wheels"
  python3 -m pip download --no-deps -d "$flink_cache/wheels" "apache-flink-libraries==1.20.1"
fi

say "static build (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPINIT_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
file build/pinit | grep -q "statically linked" || { echo "build/pinit is not statically linked" >&2; exit 1; }
printf 'build/pinit: %s bytes (tini-static: 708080)\n' "$(stat -c %s build/pinit)"

say "tests against the static binary"
(cd build && ctest --output-on-failure -j"$jobs")

if [[ $skip != *" asan "* ]]; then
  say "ASan + UBSan build (build-asan/) and the same tests"
  cmake -S . -B build-asan -DPINIT_STATIC=OFF -DPINIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DPINIT_WERROR=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j"$jobs")
fi

if [[ $skip != *" fuzz "* ]]; then
  say "libFuzzer targets (build-fuzz/), ${PINIT_FUZZ_SECONDS:-20}s each"
  CC=clang cmake -S . -B build-fuzz -DPINIT_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug -DPINIT_WERROR=ON >/dev/null
  cmake --build build-fuzz -j"$jobs"
  for f in build-fuzz/tests/fuzz_*; do
    [[ -x $f ]] || continue
    name=$(basename "$f")
    corpus=build-fuzz/corpus/$name
    mkdir -p "$corpus"
    seeds=tests/fuzz/corpus/$name
    args=("$corpus")
    [[ -d $seeds ]] && args+=("$seeds")
    echo "fuzz: $name"
    "$f" -max_total_time="${PINIT_FUZZ_SECONDS:-20}" -print_final_stats=0 "${args[@]}" 2>&1 | tail -n 2
  done
fi

if [[ $skip != *" bench "* ]] && [[ -x tests/bench/bench.sh || -f tests/bench/bench.sh ]]; then
  say "benchmark smoke run"
  PINIT_BIN="$root/build/pinit" bash tests/bench/bench.sh --quick
fi

if [[ $skip != *" e2e "* ]] && [[ -f tests/e2e/run.sh ]]; then
  say "end-to-end: images, compose, real Flink"
  bash tests/e2e/run.sh
fi

say "all tests passed"
