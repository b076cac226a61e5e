#!/usr/bin/env bash
# A meihao cluster on one machine: several `meihao serve` web nodes on loopback ports and
# `meihao worker` node(s), all against one local PostgreSQL database. For trying out and
# testing what deploy/compose.yaml runs on real machines (tests/test_deploy.py uses it).
#
#   deploy/local-cluster.sh start    # creates the database if needed, migrates once, starts the nodes
#   deploy/local-cluster.sh status   # which nodes run and answer /health
#   deploy/local-cluster.sh stop     # stops them (SIGTERM, then SIGKILL after 10 s)
#
# Settings (environment):
#   MEIHAO_CLUSTER_DATABASE_URL  database of the cluster, created when missing
#                                (default postgresql://postgres@127.0.0.1:5432/meihao_cluster)
#   MEIHAO_CLUSTER_WEB_PORTS     ports of the web nodes, one node each (default "8001 8002")
#   MEIHAO_CLUSTER_WORKERS       how many worker nodes (default 1; 0 for none)
#   MEIHAO_CLUSTER_DIR           pid files, logs and the data key (default .cluster)
#   MEIHAO                       the meihao command (default: .venv/bin/meihao if present, else meihao)
# Any other MEIHAO_* variable (MEIHAO_METRICS_TOKEN, …) reaches every node unchanged.
# There is no reverse proxy here: talk to the nodes' ports directly.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
database_url="${MEIHAO_CLUSTER_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/meihao_cluster}"
web_ports="${MEIHAO_CLUSTER_WEB_PORTS:-8001 8002}"
workers="${MEIHAO_CLUSTER_WORKERS:-1}"
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
    for port in $web_ports; do
        alive "$dir/web-$port.pid" && fail "web node on port $port already runs (pid $(cat "$dir/web-$port.pid")); stop first"
    done
    if [[ ! -s "$dir/data.key" ]]; then
        (umask 077 && "$MEIHAO" keygen > "$dir/data.key")
    fi
    create_database
    node_env
    # Migrations run once, here, before any node starts; nodes never race to create tables.
    "$MEIHAO" migrate > "$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; fail "meihao migrate failed"; }
    for port in $web_ports; do
        MEIHAO_WORKER=false nohup setsid "$MEIHAO" serve --host 127.0.0.1 --port "$port" \
            > "$dir/web-$port.log" 2>&1 < /dev/null &
        echo $! > "$dir/web-$port.pid"
    done
    for ((n = 1; n <= workers; n++)); do
        nohup setsid "$MEIHAO" worker > "$dir/worker-$n.log" 2>&1 < /dev/null &
        echo $! > "$dir/worker-$n.pid"
    done
    for port in $web_ports; do
        for _ in $(seq 1 60); do
            healthy "$port" && break
            alive "$dir/web-$port.pid" || { tail -n 20 "$dir/web-$port.log" >&2; fail "web node on port $port exited"; }
            sleep 0.5
        done
        healthy "$port" || { tail -n 20 "$dir/web-$port.log" >&2; fail "web node on port $port does not answer /health after 30 s"; }
        say "web    http://127.0.0.1:$port  pid $(cat "$dir/web-$port.pid")"
    done
    for ((n = 1; n <= workers; n++)); do
        sleep 0.2
        alive "$dir/worker-$n.pid" || { tail -n 20 "$dir/worker-$n.log" >&2; fail "worker $n exited"; }
        say "worker $n  pid $(cat "$dir/worker-$n.pid")"
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
        elif [[ "$name" == web-* ]] && ! healthy "${name#web-}"; then
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
