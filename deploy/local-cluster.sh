#!/usr/bin/env bash
# A meihao cluster on one machine: several `meihao serve` nodes on loopback ports, each with
# its role (web, scheduler or both), all against one local PostgreSQL database. For trying
# out and testing what deploy/compose.yaml runs on real machines (tests/test_deploy.py and
# tests/cluster/ use it).
#
#   deploy/local-cluster.sh start    # creates the database if needed, migrates once, starts the nodes
#   deploy/local-cluster.sh status   # which nodes run and answer /health
#   deploy/local-cluster.sh stop     # stops them (SIGTERM, then SIGKILL after 10 s)
#
# Settings (environment):
#   MEIHAO_CLUSTER_DATABASE_URL  database of the cluster, created when missing
#                                (default postgresql://postgres@127.0.0.1:5432/meihao_cluster)
#   MEIHAO_CLUSTER_NODES         the nodes as role:port, one per node
#                                (default "web:8001 web:8002 scheduler:8003")
#   MEIHAO_CLUSTER_DIR           pid files, logs and the data key (default .cluster)
#   MEIHAO                       the meihao command (default: .venv/bin/meihao if present, else meihao)
# Each node is named cluster-<role>-<port> (MEIHAO_NODE_ID); its pid is in <dir>/<role>-<port>.pid
# and its log in <dir>/<role>-<port>.log. Any other MEIHAO_* variable (MEIHAO_METRICS_TOKEN,
# MEIHAO_PLUGINS, …) reaches every node unchanged. There is no reverse proxy here: talk to
# the nodes' ports directly.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
database_url="${MEIHAO_CLUSTER_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/meihao_cluster}"
nodes="${MEIHAO_CLUSTER_NODES:-web:8001 web:8002 scheduler:8003}"
dir="${MEIHAO_CLUSTER_DIR:-.cluster}"
if [[ -z "${MEIHAO:-}" ]]; then
    if [[ -x "$here/.venv/bin/meihao" ]]; then MEIHAO="$here/.venv/bin/meihao"; else MEIHAO="meihao"; fi
fi
python="$(dirname "$(command -v "$MEIHAO")")/python"
[[ -x "$python" ]] || python="python3"

say() { printf '%s\n' "$*"; }
fail() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

node_env() {
    export MEIHAO_DATABASE_URL="$database_url"
    MEIHAO_DATA_KEY="$(cat "$dir/data.key")"
    export MEIHAO_DATA_KEY
    export MEIHAO_MODE="${MEIHAO_MODE:-production}"
    unset MEIHAO_CONFIG
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

healthy() {
    "$python" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

create_database() {
    "$python" - "$database_url" <<'PY'
import asyncio, sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg

async def main(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    try:
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")), timeout=5)
    except Exception as err:
        sys.exit(f"local-cluster: PostgreSQL does not answer at {parts.hostname}:{parts.port or 5432}: {err}")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    finally:
        await admin.close()

asyncio.run(main(sys.argv[1]))
PY
}

start() {
    mkdir -p "$dir"
    local node role port
    for node in $nodes; do
        role="${node%%:*}"; port="${node##*:}"
        [[ "$role" =~ ^(web|scheduler|both)$ && "$port" =~ ^[0-9]+$ ]] || fail "MEIHAO_CLUSTER_NODES: $node must read role:port (role web, scheduler or both)"
        alive "$dir/$role-$port.pid" && fail "$role node on port $port already runs (pid $(cat "$dir/$role-$port.pid")); stop first"
    done
    if [[ ! -s "$dir/data.key" ]]; then
        (umask 077 && "$MEIHAO" keygen > "$dir/data.key")
    fi
    create_database
    node_env
    # Migrations and the scheduler's tables are made once, here, before any node starts;
    # nodes never race to create tables.
    "$MEIHAO" migrate > "$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; fail "meihao migrate failed"; }
    for node in $nodes; do
        role="${node%%:*}"; port="${node##*:}"
        MEIHAO_NODE_ID="cluster-$role-$port" nohup setsid "$MEIHAO" serve --role "$role" --host 127.0.0.1 --port "$port" \
            > "$dir/$role-$port.log" 2>&1 < /dev/null &
        echo $! > "$dir/$role-$port.pid"
    done
    for node in $nodes; do
        role="${node%%:*}"; port="${node##*:}"
        for _ in $(seq 1 60); do
            healthy "$port" && break
            alive "$dir/$role-$port.pid" || { tail -n 20 "$dir/$role-$port.log" >&2; fail "$role node on port $port exited"; }
            sleep 0.5
        done
        healthy "$port" || { tail -n 20 "$dir/$role-$port.log" >&2; fail "$role node on port $port does not answer /health after 30 s"; }
        say "$(printf '%-9s' "$role") http://127.0.0.1:$port  pid $(cat "$dir/$role-$port.pid")  node cluster-$role-$port"
    done
    say "database ${database_url##*@}; logs in $dir/"
}

stop() {
    shopt -s nullglob
    local pids=() files=("$dir"/*.pid)
    for file in "${files[@]}"; do
        alive "$file" && pids+=("$(cat "$file")")
    done
    ((${#pids[@]})) && kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 40); do
        local left=()
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
        ((${#left[@]})) || break
        sleep 0.25
    done
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true; done
    rm -f "${files[@]}"
    say "stopped ${#pids[@]} node(s)"
}

status() {
    shopt -s nullglob
    local down=0
    for file in "$dir"/*.pid; do
        local name pid
        name="$(basename "$file" .pid)"
        pid="$(cat "$file")"
        if ! alive "$file"; then
            say "$name  pid $pid  not running"; down=1
        elif ! healthy "${name##*-}"; then
            say "$name  pid $pid  running, /health does not answer"; down=1
        else
            say "$name  pid $pid  ok"
        fi
    done
    return "$down"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) fail "usage: $0 start|stop|status" ;;
esac
