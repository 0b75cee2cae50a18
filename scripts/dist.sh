#!/usr/bin/env bash
# Builds the seed brief's deliverable archive: NAME.tgz (first_last), under 100 KB.
#   scripts/dist.sh first_last [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/dist.sh first_last [outdir]}
case $name in *[!A-Za-z0-9_-]*|"") echo "dist: NAME must look like first_last" >&2; exit 2;; esac
out=${2:-.}/$name.tgz
# What builds and runs the system, and the SQL tests a psql user can run. The Go tests, their
# golden files and their PostgreSQL harness stay in the repository: with them the archive
# would pass the brief's 100 KB.
files=(README.md Dockerfile setup.sh go.mod go.sum db scripts .ci/run)
while IFS= read -r f; do files+=("$f"); done < <(git ls-files client | grep -v -e '_test\.go$' -e '/testdata/' -e '/pgtest/')
tar -czf "$out" --transform "s,^,$name/," "${files[@]}"
size=$(wc -c <"$out")
echo "$out: $size bytes"
[ "$size" -lt 102400 ] || { echo "dist: $out is $size bytes, over the brief's 100 KB" >&2; exit 1; }
