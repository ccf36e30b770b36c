#!/usr/bin/env bash
# Schemathesis against a real `vigil serve`: starts Vigil on a free port with a throw-away SQLite
# data directory, signs in as the first admin, mints an API token holding every permission, and
# lets Schemathesis generate requests for every operation of the live OpenAPI document. The
# server is stopped and its data removed however the run ends.
#
# Environment:
#   VIGIL_API_BIN           the vigil binary (required)
#   SCHEMATHESIS            the schemathesis executable (default: schemathesis on PATH)
#   VIGIL_API_MAX_EXAMPLES  test cases per operation and phase (default 40)
#   VIGIL_API_SEED          generation seed (default fixed, so a failure reproduces)
#   VIGIL_API_LOG           where the server's log goes (default: inside the data directory)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${VIGIL_API_BIN:?VIGIL_API_BIN is not set: run this through \`make test-api\`}"
schemathesis="${SCHEMATHESIS:-schemathesis}"
max_examples="${VIGIL_API_MAX_EXAMPLES:-40}"
seed="${VIGIL_API_SEED:-20261201}"
password="schemathesis admin passphrase 1"

data="$(mktemp -d -t vigil-api-XXXXXX)"
log="${VIGIL_API_LOG:-$data/server.log}"
server=""
cleanup() {
    status=$?
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$log" ]; then
        echo "--- last lines of the server log ($log) ---" >&2
        tail -n 40 "$log" >&2 || true
    fi
    rm -rf "$data"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: bind to port 0 and let the kernel choose.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

# Syslog and the watched directory are off: other suites may run beside this one. Sign-in
# throttling is raised so that generated sign-in requests reach the handlers instead of 429.
env -u LEPTOS_OUTPUT_NAME -u LEPTOS_SITE_ROOT -u LEPTOS_SITE_PKG_DIR -u LEPTOS_SITE_ADDR \
    VIGIL_LISTEN="127.0.0.1:$port" VIGIL_DATA_DIR="$data" VIGIL_ADMIN_PASSWORD="$password" \
    VIGIL_SYSLOG_UDP=off VIGIL_SYSLOG_TCP=off VIGIL_WATCH_DIR=off VIGIL_AUTH_RATE_LIMIT=1000000 \
    "$bin" serve >"$log" 2>&1 &
server=$!

python3 "$here/setup.py" wait "$base"
token_json="$(python3 "$here/setup.py" token "$base" admin "$password")"
token="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' <<<"$token_json")"
token_id="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' <<<"$token_json")"

# The hooks keep the run from revoking its own token; see hooks.py. Schemathesis and Hypothesis
# keep state in the working directory: the data directory is thrown away with the rest.
# `GET /api/v1/alerts/stream` (alert_stream) is left out: it answers server-sent events that
# never end, so every accepted request would wait out the timeout; its statuses and events are
# tested in server/tests/alert_stream.rs and the RBAC snapshot.
cd "$data"
set +e
VIGIL_API_TOKEN_ID="$token_id" SCHEMATHESIS_HOOKS="$here/hooks.py" \
    "$schemathesis" --config-file "$here/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --max-examples "$max_examples" --seed "$seed" --workers 1 \
    --generation-database none --no-color --exclude-operation-id alert_stream
result=$?
set -e

# A run that lost its credential would only have seen 401s, which the spec allows everywhere.
python3 "$here/setup.py" still-authorized "$base" "$token"
exit "$result"
