#!/usr/bin/env bash
# Builds the seed brief's deliverable archive: NAME.tgz (first_last), under 100 KB.
#   scripts/dist.sh first_last [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/dist.sh first_last [outdir]}
case $name in *[!A-Za-z0-9_-]*|"") echo "dist: NAME must look like first_last" >&2; exit 2;; esac
out=${2:-.}/$name.tgz
files=(README.md Dockerfile setup.sh go.mod go.sum db scripts .ci/run)
while IFS= read -r f; do files+=("$f"); done < <(git ls-files client)
tar -czf "$out" --transform "s,^,$name/," "${files[@]}"
size=$(wc -c <"$out")
echo "$out: $size bytes"
[ "$size" -lt 102400 ] || { echo "dist: $out is $size bytes, over the brief's 100 KB" >&2; exit 1; }
