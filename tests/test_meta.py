"""Checks on the project itself: hooks tested and documented, packaging complete, plugins found and listed.

The import rules (the kernel never imports a plugin, plugins use only the public API, layers,
no cycles) are import-linter contracts: tests/test_architecture.py.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

import meihao
from meihao.hooks import specs as hookspecs
from meihao.hooks.manager import Plugins
from meihao.testing import builtin_only

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("meihao_"))


def test_there_are_hooks():
    assert {"meihao_scenario", "meihao_piccolo_apps", "meihao_route_handlers", "meihao_jobs", "meihao_audiences",
            "meihao_channels", "meihao_permissions", "meihao_cli", "meihao_community_enabled", "meihao_community_disabled",
            "meihao_render_reminder", "meihao_demo_data", "meihao_metrics"} <= set(HOOKS)


def _guide_sections() -> dict[str, str]:
    """docs/plugins.md's sections: heading line -> the prose under it (up to the next heading; code blocks left out)."""
    sections: dict[str, str] = {}
    heading, lines, in_code = None, [], False
    for line in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not in_code and line.startswith("#"):
            if heading is not None:
                sections[heading] = " ".join(lines).strip()
            heading, lines = line, []
        elif not in_code:
            lines.append(line.strip())
    if heading is not None:
        sections[heading] = " ".join(lines).strip()
    return sections


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_for_plugin_authors(hook):
    # a heading that names the hook as code, with a paragraph under it: a mention in passing
    # (a list, an error message, another hook's text) is not a description
    described = [
        prose for heading, prose in _guide_sections().items()
        if heading.startswith(("### ", "#### ")) and hook in re.findall(r"`([^`]+)`", heading) and len(prose) >= 80
    ]
    assert described, f"docs/plugins.md has no section headed `{hook}` that describes it"


def _test_functions() -> dict[str, list[tuple[Path, ast.AST]]]:
    found: dict[str, list[tuple[Path, ast.AST]]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_hook_"):
                found.setdefault(node.name, []).append((path, node))
    return found


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    # Datasette's convention: a function test_hook_<hook> that asserts something; the hook's
    # name appearing somewhere in the tests is not a test of it
    tests = _test_functions().get(f"test_hook_{hook}", [])
    assert len(tests) == 1, f"want exactly one test function test_hook_{hook} (found {len(tests)})"
    path, node = tests[0]
    assert any(isinstance(n, ast.Assert) for n in ast.walk(node)), f"test_hook_{hook} in {path} asserts nothing"


def test_every_hook_test_names_a_hook():
    assert sorted(name for name in _test_functions() if name.removeprefix("test_hook_") not in HOOKS) == []


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_typed_and_explains_itself(hook):
    spec = getattr(hookspecs, hook)
    doc = inspect.getdoc(spec) or ""
    assert len(doc) > 60, f"{hook} needs a docstring saying what it returns"
    assert inspect.signature(spec).return_annotation is not inspect.Signature.empty, f"{hook} has no return annotation"


def test_package_list_matches_the_folders():
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for prefix, folder in (("meihao", "core"), ("meihao.scenarios", "scenarios"), ("meihao.plugins", "plugins")):
        found.add(prefix)
        found |= {f"{prefix}.{p}" for p in find_packages(str(ROOT / folder))}
    found -= {p for p in found if p.startswith("meihao.") and p.split(".")[1] in {"scenarios", "plugins"} and False}
    assert declared == found


def _fake_distribution(site: Path, dist: str, version: str, entry: str, module: str, source: str) -> None:
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    info = site / f"{dist}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[meihao]\n{entry} = {module}\n")


SCENARIO_SOURCE = '''
from meihao import Scenario, hookimpl

@hookimpl
def meihao_scenario():
    return Scenario(name="kites", title_zh="风筝", title_en="Kites", scene="culture", version="2.3")
'''


def test_third_party_plugins_are_found_through_entry_points(tmp_path, monkeypatch):
    _fake_distribution(tmp_path, "meihao-kites", "2.3", "kites", "meihao_kites", SCENARIO_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins = Plugins.load()
    assert plugins.loaded["kites"].source == "meihao-kites 2.3"
    assert plugins.scenarios["kites"].title_zh == "风筝"
    # the test fixtures keep them out
    assert "kites" not in Plugins.load(entry_point_filter=builtin_only).loaded
    assert "kites" not in Plugins.load(disabled=["kites"]).loaded


def _meihao(args: list[str], tmp_path: Path, site: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(site), "MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env}
    return subprocess.run([str(Path(sys.executable).with_name("meihao")), *args], cwd=tmp_path, env=environ, capture_output=True, text=True)


def test_a_broken_installed_plugin_stops_the_cli_with_one_line(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _fake_distribution(site, "meihao-broken", "0.1", "broken", "meihao_broken", "raise RuntimeError('half installed')\n")
    result = _meihao(["migrate"], tmp_path, site)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: plugin 'broken': failed to import: RuntimeError: half installed"
    assert "Traceback" not in result.stderr + result.stdout
    blocked = _meihao(["migrate"], tmp_path, site, MEIHAO_DISABLED_PLUGINS="broken")
    assert blocked.returncode == 0, blocked.stderr  # blocking it by configuration lets meihao start
    listed = json.loads(_meihao(["plugins", "--json"], tmp_path, site, MEIHAO_DISABLED_PLUGINS="broken").stdout)
    # listed as blocked, never imported: its scene is not known
    assert {p["name"]: p for p in listed}["broken"] == {
        "name": "broken", "version": "0.1", "source": "meihao-broken 0.1", "essential": False, "scene": None, "state": "blocked",
        "communities": [],
    }


def test_installed_plugin_is_listed_by_the_cli(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _fake_distribution(site, "meihao-kites", "2.3", "kites", "meihao_kites", SCENARIO_SOURCE)
    assert _meihao(["migrate"], tmp_path, site).returncode == 0
    listed = _meihao(["plugins"], tmp_path, site)
    line = next(line for line in listed.stdout.splitlines() if line.startswith("kites"))
    assert line.split()[:4] == ["kites", "2.3", "culture", "meihao-kites"]


def test_public_api_is_what_the_guide_says():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\n]+)`", guide)
    code = "\n".join(re.findall(r"```.*?\n(.*?)```", guide, flags=re.S))
    for name in meihao.__all__:
        if name.startswith("_") or name in {"hookspec", "SCENES"}:
            continue
        # the name itself as code (`Job`, `Job(...)`, `meihao.Job`) or a word of an example: not a
        # substring of another word ("Job" inside "Jobs", "notify" inside "notify_all")
        word = re.compile(rf"(^|[\s.(]){re.escape(name)}\b")
        assert any(word.search(span) for span in spans) or re.search(rf"\b{re.escape(name)}\b", code), (
            f"meihao.{name} is public but not in docs/plugins.md"
        )
