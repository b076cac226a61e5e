"""A plugin as its author has it: ``meihao plugin new`` and examples/toolshelf, each built and installed
with pip from its folder, found through its entry point, checked, and its own tests run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands import MEIHAO, run
from tests.test_cli import assert_one_line_error

REPO = Path(__file__).resolve().parents[1]


def install(source: Path, target: Path) -> None:
    """``pip install`` the package in ``source`` into ``target`` (its own wheel, entry point and all), without its dependencies.

    It is built from a copy, so that no build folder is left in (or reused from) the source tree.
    """
    copy = target.with_name(f"{target.name}-source")
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".venv"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(copy)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def plugin_env(target: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEIHAO_", "PYTEST_"))}
    env["PYTHONPATH"] = str(target)
    return env


def run_its_tests(folder: Path, target: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder, env=plugin_env(target),
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def passed(output: str) -> int:
    found = re.search(r"(\d+) passed", output)
    assert found, output
    return int(found.group(1))


def backends() -> int:
    """How many database backends the plugin's tests ran on (meihao's fixtures run each test on each)."""
    import asyncio

    from meihao.testing.databases import postgres_admin_url, postgres_answers

    return 2 if asyncio.run(postgres_answers(postgres_admin_url())) is None else 1


def test_a_new_plugin_installs_and_passes_its_own_tests(tmp_path):
    made = subprocess.run([MEIHAO, "plugin", "new", "bookshelf", "--scene", "neighbourhood", str(tmp_path / "meihao-bookshelf")],
                          cwd=tmp_path, env=plugin_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "meihao-bookshelf"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "migrations/bookshelf_" not in str(p)) == [
        "README.md", "bookshelf/__init__.py", "bookshelf/demo.py", "bookshelf/jobs.py", "bookshelf/locale/zh_CN/LC_MESSAGES/bookshelf.po",
        "bookshelf/migrations/__init__.py", "bookshelf/pages.py", "bookshelf/piccolo_app.py", "bookshelf/routes.py", "bookshelf/schemas.py",
        "bookshelf/services.py", "bookshelf/settings.py", "bookshelf/tables.py", "bookshelf/templates/entries.html", "pyproject.toml",
        "tests/__init__.py", "tests/conftest.py", "tests/test_bookshelf.py", "tests/test_pages.py",
    ]
    assert len(list((folder / "bookshelf" / "migrations").glob("bookshelf_*.py"))) == 1
    install(folder, tmp_path / "site")
    listed = subprocess.run([MEIHAO, "plugins"], cwd=tmp_path, env=plugin_env(tmp_path / "site"), capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"bookshelf\s.*meihao-bookshelf 0\.1\.0", listed.stdout), listed.stdout
    checked = subprocess.run([MEIHAO, "plugin", "check", "bookshelf"], cwd=tmp_path, env=plugin_env(tmp_path / "site"),
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # 11 tests on each database, and the catalogue's test once
    assert passed(run_its_tests(folder, tmp_path / "site")) == 11 * backends() + 1


def test_the_example_plugin_installs_and_passes_its_own_tests(tmp_path):
    install(REPO / "examples" / "toolshelf", tmp_path / "site")
    checked = subprocess.run([MEIHAO, "plugin", "check", "toolshelf"], cwd=tmp_path, env=plugin_env(tmp_path / "site"),
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert passed(run_its_tests(REPO / "examples" / "toolshelf", tmp_path / "site")) == 10 * backends()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("plugin", "new", "Book-Shelf"), ("plugin name 'Book-Shelf'", "lower-case")),
        (("plugin", "new", "residents"), ("plugin name 'residents'",)),
        (("plugin", "new", "bookshelf", "--scene", "opera"), ("scene 'opera'", "neighbourhood")),
        (("plugin", "new", "bookshelf", "taken"), ("already exists",)),
    ],
)
def test_plugin_new_refuses_bad_input_in_one_line(tmp_path, args, words):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = run(tmp_path, *args)
    assert_one_line_error(result, *words)
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
