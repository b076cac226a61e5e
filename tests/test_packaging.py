"""The wheel carries every package, the migrations and the data files (not only editable installs)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_packages_migrations_and_data(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("meihao-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "meihao/__init__.py" in names and "meihao/hooks/specs.py" in names
    assert "meihao/scenarios/__init__.py" in names and "meihao/plugins/__init__.py" in names
    kernel_migrations = {p.name for p in (ROOT / "core" / "migrations").glob("*.py")}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("meihao/migrations/")} == kernel_migrations
    for path in (ROOT / "core" / "demo").glob("*.toml"):
        assert f"meihao/demo/{path.name}" in names
    for path in (ROOT / "scenarios").glob("*/*.toml"):  # a scene's data (governance's categories)
        assert f"meihao/scenarios/{path.relative_to(ROOT / 'scenarios').as_posix()}" in names, path
    for folder, package in (("scenarios", "meihao/scenarios"), ("plugins", "meihao/plugins")):
        for path in (ROOT / folder).rglob("*.py"):
            assert f"{package}/{path.relative_to(ROOT / folder).as_posix()}" in names, path
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "[meihao]" in zipfile.ZipFile(wheel).read(entry_points).decode()
