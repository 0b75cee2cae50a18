#!/usr/bin/env bash
# Builds the seed brief's deliverable archive, first_last.tgz (under 100 KB), whose README
# names its author.
#   scripts/dist.sh "First Last" [OUTDIR]
# Works in a git checkout (the files git tracks) and in an unpacked archive (its files).
set -euo pipefail
cd "$(dirname "$0")/.."
author=${1:?usage: scripts/dist.sh \"First Last\" [outdir]}
slug=$(printf %s "$author" | tr '[:upper:]' '[:lower:]' | tr -s " '-" _ | sed 's/^_//; s/_$//')
case $slug in
"" | *[!a-z0-9_]* | *_*_*_*) echo "dist: NAME must be a person's name such as \"First Last\", got '$author'" >&2; exit 2 ;;
*_*) ;;
*) echo "dist: NAME must be a first and a last name, got '$author'" >&2; exit 2 ;;
esac
out=$(mkdir -p "${2:-.}" && cd "${2:-.}" && pwd)/$slug.tgz

# What builds and runs the system, the documents on design, data and Citus, and the SQL
# tests (`make test` runs them there through scripts/sqltest.sh). The Go tests with their
# golden files and harness, the benchmarks, CI and the notes on reliability and performance
# stay in the repository: with them the archive would pass 100 KB. The archive's README
# drops the lines that point at what it leaves out.
left_out=(docs/reliability.md docs/performance.md)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    list() { git ls-files "$@"; }
else
    list() { find "$@" -type f ! -name '*.tgz' | sort; }
fi
files=()
while IFS= read -r f; do files+=("$f"); done < <(list README.md Dockerfile .dockerignore setup.sh Makefile go.mod go.sum \
    db client docs scripts/pg.sh scripts/register-odbc-driver.sh scripts/dist.sh scripts/sqltest.sh |
    grep -v -e '_test\.go$' -e '/pgtest/' -e '/testdata/' $(printf -- "-e ^%s$ " "${left_out[@]}"))

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$slug"
tar -cf - "${files[@]}" | tar -xf - -C "$stage/$slug"
# The author's line goes under the README's title.
# (An archive's own README has one already: it is replaced.)
awk -v a="$author" -v out="${left_out[*]}" 'BEGIN { n = split(out, gone, " ") }
    NR == 1 { print; print ""; print "By " a "."; next }
    NR == 3 && /^By .*\.$/ { drop = 1; next } NR == 4 && drop && /^$/ { next }
    { for (i = 1; i <= n; i++) if (index($0, "](" gone[i] ")")) next; print }' README.md >"$stage/$slug/README.md"
tar -cf - -C "$stage" --sort=name "$slug" | gzip -9 >"$out"
size=$(wc -c <"$out")
echo "$out: $size bytes"
[ "$size" -lt 102400 ] || { echo "dist: $out is $size bytes, over the brief's 100 KB (102,400 bytes)" >&2; exit 1; }
