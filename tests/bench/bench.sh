#!/bin/sh
# bench.sh - pinit's PID-1 core against tini, tini-static, dumb-init and catatonit, in one
# run: binary size, private memory as PID 1, start overhead (hyperfine), instructions
# executed as PID 1 for `INIT -- /bin/true` (valgrind's callgrind, if installed), time to
# reap 2000 orphans exiting at once, idle wake-ups.  Prints a markdown table (ratios relative to
# tini-static) with the command that reproduces it.  Then `pinit check` against
# `curl -fsS` on a local endpoint (check_vs_curl.py): wall, CPU, peak RSS.
#
#   tests/bench/bench.sh [--quick] [--write] [--check] [PINIT]
#
#   PINIT     the binary to measure (default: $PINIT_BIN, else build/pinit: the product,
#             static musl, built with `cmake -S . -B build && cmake --build build`)
#   --quick   fewer runs and a 2 s idle window: a smoke check for CI, not for quoting
#   --write   also replace the "PID 1 core" section of docs/benchmarks.md
#   --check   exit 1 unless pinit meets the goals (start, private and anonymous memory and
#             instructions no worse than tini-static's, no larger binary, zero idle wake-ups)
#
# Needs root (PID namespaces), util-linux unshare, hyperfine, python3, a C compiler (for
# the orphans helper), and the anchors from Debian: tini (both binaries), dumb-init,
# catatonit; a missing anchor is reported as such.  Exit 1 if a measurement of any init
# failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
quick= write= check= pinit=${PINIT_BIN:-}
for a in "$@"; do
  case $a in
    --quick) quick=--quick ;;
    --write) write=1 ;;
    --check) check=--check ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench.sh: unknown option $a" >&2; exit 64 ;;
    *) pinit=$a ;;
  esac
done
[ -n "$pinit" ] || pinit=$root/build/pinit
if [ ! -x "$pinit" ]; then
  echo "bench.sh: no pinit binary at $pinit (build it, or pass PINIT / set PINIT_BIN)" >&2
  exit 66
fi
for tool in unshare hyperfine python3 cc; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool is needed" >&2; exit 69; }
done
if [ "$(id -u)" != 0 ]; then
  echo "bench.sh: run as root (PID namespaces)" >&2
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cc -O2 -static -o "$tmp/orphans" "$here/orphans.c" 2>/dev/null ||
  cc -O2 -o "$tmp/orphans" "$here/orphans.c"
cc -O2 -static -o "$tmp/runrss" "$here/runrss.c" 2>/dev/null ||
  cc -O2 -o "$tmp/runrss" "$here/runrss.c"

cmd="tests/bench/bench.sh${quick:+ $quick}${write:+ --write}"
case $pinit in
  "$root/build/pinit") ;;
  "$root"/*) cmd="$cmd ${pinit#"$root"/}" ;;
  *) cmd="$cmd $pinit" ;;
esac

set -- "$pinit" --orphans "$tmp/orphans" --command "$cmd"
[ -z "$quick" ] || set -- "$@" --quick
[ -z "$check" ] || set -- "$@" --check
[ -z "$write" ] || set -- "$@" --write "$root/docs/benchmarks.md"
python3 "$here/bench.py" "$@"

set -- "$pinit" --runrss "$tmp/runrss" --command "$cmd"
[ -z "$quick" ] || set -- "$@" --runs 50
[ -z "$check" ] || set -- "$@" --check
[ -z "$write" ] || set -- "$@" --write "$root/docs/benchmarks.md"
python3 "$here/check_vs_curl.py" "$@"
