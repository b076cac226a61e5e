"""A local cluster for the tests: deploy/local-cluster.sh's nodes on loopback ports against one PostgreSQL database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local-cluster.sh"
MEIHAO = str(Path(sys.executable).with_name("meihao"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    role: str
    port: int

    @property
    def name(self) -> str:
        return f"{self.role}-{self.port}"

    @property
    def node_id(self) -> str:
        return f"cluster-{self.role}-{self.port}"


@dataclass
class LocalCluster:
    """Start with :meth:`start`, stop with :meth:`stop` (always, in a ``finally``)."""

    database_url: str
    directory: Path
    roles: tuple[str, ...]
    #: MEIHAO_* settings every node gets (plugins, secrets, lease).
    settings: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(init=False)

    def __post_init__(self) -> None:
        self.nodes = [Node(role, free_port()) for role in self.roles]

    @property
    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
        env.update(self.settings)
        env.update(
            MEIHAO_CLUSTER_DATABASE_URL=self.database_url,
            MEIHAO_CLUSTER_NODES=" ".join(f"{n.role}:{n.port}" for n in self.nodes),
            MEIHAO_CLUSTER_DIR=str(self.directory),
            MEIHAO=MEIHAO,
            PYTHONPATH=str(ROOT),
        )
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(SCRIPT), *args], env=self.environment, capture_output=True, text=True, timeout=180)

    def start(self, data_key: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "data.key").write_text(data_key)  # the key the test process writes with
        started = self.run("start")
        if started.returncode != 0:
            raise AssertionError(f"the cluster did not start:\n{started.stdout}{started.stderr}\n{self.logs()}")

    def stop(self) -> subprocess.CompletedProcess[str]:
        return self.run("stop")

    def pid(self, node: Node) -> int:
        return int((self.directory / f"{node.name}.pid").read_text())

    def alive(self, node: Node) -> bool:
        try:
            os.kill(self.pid(node), 0)
        except (ProcessLookupError, FileNotFoundError):
            return False
        return True

    def kill(self, node: Node, sig: int = signal.SIGKILL) -> None:
        os.kill(self.pid(node), sig)

    def log(self, node: Node) -> str:
        path = self.directory / f"{node.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {n.name} ---\n{self.log(n)[-3000:]}" for n in self.nodes)
