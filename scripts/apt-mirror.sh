#!/usr/bin/env bash
# scripts/apt-mirror.sh: the Debian mirror this machine's apt already uses, so that no
# script of the repository names a mirror host of its own.
#
#   scripts/apt-mirror.sh [debian|debian-security]     print the URI (default: debian)
#   . scripts/apt-mirror.sh; apt_mirror debian         the same from a script
#
# Order of precedence:
#   1. DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR, when set and not empty;
#   2. the machine's apt sources: $APT_MIRROR_ETC/sources.list, then sources.list.d/*.list
#      (one-line format: `deb [opts] URI SUITE COMPONENT...`), then sources.list.d/*.sources
#      (deb822: Types / URIs / Suites, `Enabled: no` stanzas skipped), in that order; the
#      first `deb` (else `deb-src`) entry whose suite is a Debian release name wins:
#      `debian` takes a release or its -updates/-backports suite, `debian-security` a
#      `*-security` (or old `*/updates`) suite;
#   3. debian-security only: when no security entry exists, the debian mirror's sibling
#      (`.../debian` -> `.../debian-security`, the archive's own layout).
# Third-party repositories (their suites are not Debian release names) are never picked.
# Nothing found: one line on stderr naming the files read and the variable to set; exit 1.
#
# Environment: DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, APT_MIRROR_ETC (default /etc/apt;
# the tests point it at a fixture directory).

# apt_mirror_entries ETC: "TYPE URI SUITE" lines, one per (URI, suite), in apt's file order.
apt_mirror_entries() {
  local etc=$1 f
  local -a files=()
  [[ -f $etc/sources.list ]] && files+=("$etc/sources.list")
  for f in "$etc"/sources.list.d/*.list; do [[ -f $f ]] && files+=("$f"); done
  for f in "${files[@]}"; do
    # one-line format: drop comments and the [option=value ...] block
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
      awk '($1 == "deb" || $1 == "deb-src") && NF >= 3 { print $1, $2, $3 }'
  done
  for f in "$etc"/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '
      function flush(   i, j, nt, nu, ns, t, u, s) {
        if (!off) {
          nt = split(types, t, " "); nu = split(uris, u, " "); ns = split(suites, s, " ")
          for (i = 1; i <= nt; i++) for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++)
            print t[i], u[j], s[k]
        }
        types = uris = suites = ""; off = 0
      }
      /^#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { line = $0; sub(/[[:space:]]+#.*/, "", line) }
      { key = tolower(line); sub(/:.*/, "", key); val = line; sub(/^[^:]*:/, "", val) }
      key == "types"   { types = val }
      key == "uris"    { uris = val }
      key == "suites"  { suites = val }
      key == "enabled" && tolower(val) ~ /^[[:space:]]*no[[:space:]]*$/ { off = 1 }
      END { flush() }' "$f"
  done
}

# apt_mirror KIND: print the mirror URI for KIND (debian | debian-security), no trailing /.
apt_mirror() {
  local kind=${1:-debian} etc=${APT_MIRROR_ETC:-/etc/apt} uri="" want
  case $kind in
    debian) uri=${DEBIAN_MIRROR:-} ;;
    debian-security) uri=${DEBIAN_SECURITY_MIRROR:-} ;;
    *) printf 'apt-mirror: unknown kind %s (debian or debian-security)\n' "$kind" >&2; return 64 ;;
  esac
  if [[ -z $uri ]]; then
    local rel='(oldoldstable|oldstable|stable|testing|unstable|sid|experimental|jessie|stretch|buster|bullseye|bookworm|trixie|forky|duke)'
    if [[ $kind == debian ]]; then
      want="^$rel(-updates|-backports|-proposed-updates)?\$"
    else
      want="^$rel(-security|/updates)\$"
    fi
    uri=$(apt_mirror_entries "$etc" |
          awk -v want="$want" '$3 ~ want { if ($1 == "deb" && !d) d = $2; if ($1 == "deb-src" && !s) s = $2 }
                               END { print (d != "" ? d : s) }')
    if [[ -z $uri && $kind == debian-security ]]; then
      uri=$(apt_mirror debian 2>/dev/null) && [[ $uri == */debian ]] && uri=$uri-security || uri=""
    fi
  fi
  uri=${uri%/}
  if [[ -z $uri ]]; then
    local var=DEBIAN_MIRROR
    [[ $kind == debian-security ]] && var=DEBIAN_SECURITY_MIRROR
    printf 'apt-mirror: no %s mirror in %s/sources.list{,.d/*.list,.d/*.sources}: set %s\n' \
      "$kind" "$etc" "$var" >&2
    return 1
  fi
  printf '%s\n' "$uri"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  apt_mirror "$@"
fi
