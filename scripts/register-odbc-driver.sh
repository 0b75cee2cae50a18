#!/usr/bin/env bash
# Registers psqlODBC as "PostgreSQL Unicode" with CommLog off. Debian's own registration
# turns CommLog on, which writes a log file per connection into /tmp. Needs root.
set -euo pipefail
driver=$(find /usr/lib /usr/local/lib /opt/homebrew/lib -name psqlodbcw.so 2>/dev/null | head -n 1 || true)
if [ -z "$driver" ]; then
    echo "register-odbc-driver: psqlodbcw.so not found: apt-get install odbc-postgresql (macOS: brew install psqlodbc)" >&2
    exit 1
fi
printf '[PostgreSQL Unicode]\nDescription=PostgreSQL ODBC driver (Unicode version)\nDriver=%s\nDebug=0\nCommLog=0\n' "$driver" |
    odbcinst -i -d -r >/dev/null
