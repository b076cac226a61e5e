"""The architecture's contracts (pyproject.toml, ``[tool.importlinter]``), checked by import-linter.

import-linter reads a package from one folder, while meihao installs from three (core/ is
``meihao``, scenarios/ and plugins/ go inside it), so each check runs on a copy of the tree laid
out as it is installed. The copy also lets a test break a contract on purpose and see the run fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Every contract, by id. Removing one from pyproject.toml is a visible change here.
CONTRACTS = [
    "kernel-never-imports-plugins",
    "scenes-are-independent",
    "plugins-are-independent",
    "plugins-use-the-public-api",
    "kernel-layers",
    "access-layers",
    "register-layers",
    "scheduling-layers",
    "reminders-layers",
    "web-layers",
    "workitems-layers",
    "tables-are-the-bottom",
    "no-cycles",
]


def _installed_layout(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "core", target / "meihao", ignore=ignore)
    shutil.copytree(ROOT / "scenarios", target / "meihao" / "scenarios", ignore=ignore)
    shutil.copytree(ROOT / "plugins", target / "meihao" / "plugins", ignore=ignore)
    return target


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=tree, env=environ, capture_output=True, text=True, timeout=300,
    )


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_every_contract_is_declared():
    declared = [c["id"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]]
    assert sorted(declared) == sorted(CONTRACTS)


def test_the_tree_keeps_every_contract(tmp_path):
    result = _lint(_installed_layout(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


CYCLES = "No import cycles between the kernel's packages, nor between the modules of a package BROKEN"

REMINDERS = (
    "reminders: hook implementations, notices and feeds, the engine, its stages (deliver, claim, fan out), activities, planning, tables BROKEN"
)

# (file in the installed layout, line added, the contract that must then be broken)
VIOLATIONS = [
    ("meihao/register/communities.py", "import meihao.scenarios.markets", "The kernel never imports a scene or a plugin BROKEN"),
    ("meihao/reminders/engine.py", "from meihao.plugins import webhook", "The kernel never imports a scene or a plugin BROKEN"),
    ("meihao/scenarios/markets/routes.py", "from meihao.scenarios.culture import tables", "Scenes do not import each other BROKEN"),
    ("meihao/plugins/email/__init__.py", "import meihao.plugins.webhook", "Kernel plugins (channels) do not import each other BROKEN"),
    ("meihao/scenarios/elder_care/routes.py", "from meihao.register.residents import get_resident", "Scenes and plugins import only the public API: meihao, meihao.tables, meihao.testing BROKEN"),
    ("meihao/register/communities.py", "from meihao.web import app", "The kernel's layers, each importing only those below it BROKEN"),
    ("meihao/hooks/manager.py", "from meihao.runtime import Meihao", "The kernel's layers, each importing only those below it BROKEN"),
    ("meihao/access/principals.py", "from meihao.access import staff", "access: hook implementations, staff and logins, the audit log, principals, roles, tables BROKEN"),
    ("meihao/register/communities.py", "from meihao.register import residents", "register: switching scenarios and residents, then communities and the grid register, then tables BROKEN"),
    ("meihao/scheduling/scheduler.py", "from meihao.scheduling import worker", "scheduling: hook implementations, the worker and the job overview, the scheduler and nodes, the shared store, tables BROKEN"),
    ("meihao/web/auth.py", "from meihao.web.routes import staff", "web: the app, then routes and metrics, then the documented error answers, then authentication and parameters BROKEN"),
    ("meihao/reminders/planning.py", "from meihao.reminders import fanout", REMINDERS),
    ("meihao/reminders/tables.py", "from meihao.reminders import notices", "Tables import only other tables BROKEN"),
    ("meihao/hooks/declarations.py", "from meihao.hooks import manager", CYCLES),
]


@pytest.mark.parametrize(("module", "line", "broken"), VIOLATIONS, ids=[f"{m}:{line}" for m, line, _ in VIOLATIONS])
def test_an_import_against_a_contract_fails_the_run(tmp_path, module, line, broken):
    tree = _installed_layout(tmp_path)
    _append(tree / module, line)
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    # import-linter wraps long contract names; compare the report with its line breaks folded.
    report = " ".join(result.stdout.split())
    assert broken in report, result.stdout
