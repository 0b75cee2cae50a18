#!/usr/bin/env bash
# Draws docs/img/states-1m/map.png, the picture of `client call top-states --format map` on a
# terminal that the README shows, from the bank BANK_DSN reaches (populate it first with
# --customers 1000000):
#   BANK_DSN=... scripts/map-picture.sh [OUT.png]
# Needs the client in bin/ (setup.sh builds it), script (util-linux), aha and chromium
# (Debian's packages): the map's ANSI colours become HTML, and headless Chromium shoots it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/img/states-1m/map.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# script gives the client a terminal, so that it draws in colour.
TERM=xterm-256color script -q -e -c "bin/client call top-states --format map" /dev/null | tr -d '\r' >"$work/map.ansi"
aha --black --title "client call top-states --format map" <"$work/map.ansi" |
    sed 's#<pre>#<pre style="font-family: DejaVu Sans Mono, monospace; font-size: 15px; line-height: 1.35; margin: 12px">#' >"$work/map.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=620,330 \
    --screenshot="$PWD/$out" "file://$work/map.html" 2>/dev/null
echo "$out"
