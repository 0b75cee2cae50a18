#!/usr/bin/env bash
# The README's two commands on a fresh machine: debian:bookworm-local (the stand-in kit's
# minimal Debian 12) with no Docker engine inside, only Go mounted from the host (and the
# host's CA certificates, for the Go module proxy), as root. Twice: from a clone of the
# repository, and from the deliverable archive unpacked in a mode-700 directory, as /root is.
# Needs a Docker engine and that image (../shared/docker/standin.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "ci: $*" >&2; }
goroot=$(go env GOROOT)
work=$(mktemp -d /tmp/bank-fresh.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/repo"
scripts/dist.sh "First Last" "$work" >/dev/null

# fresh NAME PORT COMMANDS: run COMMANDS (bash) in a new container; fail on their failure.
fresh() {
    local name=$1 port=$2 start
    start=$(date +%s)
    say "fresh machine, $name: starting"
    # The host's CA certificates beside, not over, the container's own /etc/ssl/certs, which
    # Debian's packages write to; Go finds them through SSL_CERT_FILE.
    docker run --rm --network host -e BANK_PORT="$port" -e GOFLAGS=-buildvcs=false \
        -e SSL_CERT_FILE=/host-certs/ca-certificates.crt \
        -v "$goroot:/usr/local/go:ro" -v /etc/ssl/certs:/host-certs:ro -v "$work:/in:ro" \
        debian:bookworm-local bash -c "set -euo pipefail; export PATH=/usr/local/go/bin:\$PATH; $3" \
        >"$work/$name.log" 2>&1 || { tail -n 60 "$work/$name.log" >&2; say "fresh machine, $name: FAILED"; return 1; }
    tail -n 3 "$work/$name.log" >&2
    say "fresh machine, $name: ./setup.sh and make test passed in $(($(date +%s) - start)) s"
}

fresh repository 25470 'cp -a /in/repo /root/bank && cd /root/bank && ./setup.sh >/tmp/demo.out && cmp /tmp/demo.out client/internal/cli/testdata/demo.golden && make test'
fresh archive 25480 'mkdir -m 700 /root/review && tar -xzf /in/first_last.tgz -C /root/review && cd /root/review/first_last && ./setup.sh >/dev/null && make test'
