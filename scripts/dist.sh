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

# What builds and runs the one-node bank, and its SQL tests (`make test` runs them there
# through scripts/sqltest.sh). The Go tests with their harness, the isolation specs, the
# Citus layout, the benchmarks (the client's `bench` among them), the map of the states, CI
# and the documents stay in the repository. The archive's README drops the lines marked
# <!-- repo -->, which point at what it leaves out.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    list() { git ls-files "$@"; }
else
    list() { find "$@" -type f ! -name '*.tgz' | sort; }
fi
files=()
while IFS= read -r f; do files+=("$f"); done < <(list README.md Dockerfile .dockerignore setup.sh Makefile go.mod go.sum \
    db client scripts/pg.sh scripts/register-odbc-driver.sh scripts/dist.sh scripts/sqltest.sh |
    grep -v -e '_test\.go$' -e '/pgtest/' -e '/testdata/' -e '^client/internal/workload/' -e '^client/internal/cli/bench\.go$' \
        -e '^db/citus/' -e '^db/test/isolation/' \
        -e '^client/internal/tilemap/' -e '^client/internal/cli/statemap\.go$')

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$slug"
tar -cf - "${files[@]}" | tar -xf - -C "$stage/$slug"
# go.mod and go.sum for what the archive builds: the repository's also name the modules its
# benchmarks draw pictures with, which the archive leaves out.
(cd "$stage/$slug" && go mod tidy)
# The author's line goes under the README's title.
# (An archive's own README has one already: it is replaced.)
# The time spent, from the commits: their span, and the time between consecutive commits
# less than two hours apart (longer gaps are time away). Outside git, the README says it already.
spent=
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    spent=$(git log --reverse --format=%ct | awk '
        NR == 1 { first = $1 } { if (NR > 1 && $1 - prev < 7200) work += $1 - prev; prev = $1 }
        END { printf "%s to %s UTC, about %.0f hours of work (the time between commits less than two hours apart; the first commit'"'"'s own work is not counted)",
              strftime("%Y-%m-%d %H:%M", first, 1), strftime("%Y-%m-%d %H:%M", prev, 1), work / 3600 }')
fi
awk -v a="$author" -v spent="$spent" '
    NR == 1 { print; print ""; print "By " a "."; next }
    NR == 3 && /^By .*\.$/ { drop = 1; next } NR == 4 && drop && /^$/ { next }
    index($0, "<!-- repo -->") && index($0, "How much time did you spend") && spent != "" {
        print "- **How much time did you spend on this?** The commits run from " spent "."; next }
    index($0, "<!-- repo -->") { next }
    i = index($0, "<!-- archive: ") { t = substr($0, i + 14); print substr(t, 1, index(t, " -->") - 1); next }
    { print }' README.md >"$stage/$slug/README.md"
# Files only, one owner and one time (the last commit's, outside git now): the headers then
# compress to almost nothing, and the same tree gives the same bytes. Files of one kind (by
# extension) lie together, where gzip's 32 KB window finds their likenesses: 1 KB less.
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
(cd "$stage" && find "$slug" -type f | awk -F. '{ print $NF "\t" $0 }' | LC_ALL=C sort | cut -f2) |
    tar -cf - -C "$stage" --no-recursion --owner=0 --group=0 --numeric-owner --mtime="@$when" -T - | gzip -9n >"$out"
size=$(wc -c <"$out")
echo "$out: $size bytes"
# The brief's "less than 100KB", read as 100,000 bytes, with 5% to spare.
[ "$size" -le 95000 ] || { echo "dist: $out is $size bytes, over 95,000 (the brief's 100 KB less 5%)" >&2; exit 1; }
