"""Mutation testing (mutmut 3) of chosen modules on SQLite, with the tests that cover each; kill rates go to docs/testing.md.

    .venv/bin/python bench/mutation.py                       # every module in MODULES
    .venv/bin/python bench/mutation.py core/reminders/policy.py core/time/recurrence.py --jobs 1

mutmut 3 copies the source tree into ``mutants/`` and puts that first on ``sys.path``; it
names a mutant by the module path of its file. Here the package ``meihao`` lives in ``core/``
(with ``scenarios/`` and ``plugins/`` mounted inside it), so mutmut cannot run in the work tree:
for each module this script lays out the installed layout in ``build/mutation/<module>/``
(``meihao/`` = core, ``meihao/scenarios``, ``meihao/plugins``, plus ``tests/``), writes a
``pyproject.toml`` with the ``[tool.mutmut]`` section for that module and its tests, and runs
``mutmut run`` there. The staged ``mutants/meihao`` shadows the editable install (a path entry
is found before setuptools' editable finder), so the tests import the mutated code.

Then ``mutmut results`` gives each mutant's fate; the kill rate per module, and each
surviving mutant's diff, replace the generated part of docs/testing.md (between the
``mutation-results`` markers). Survivors are then killed by a new test or explained as
equivalent in the hand-written part of that page. Too slow for CI on two cores: run it by
hand before resolving a testing issue and after a scene lands.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "build" / "mutation"
DOC = ROOT / "docs" / "testing.md"
BEGIN, END = "<!-- mutation-results:begin -->", "<!-- mutation-results:end -->"

#: The module (a path in the work tree) and the tests that cover it. Only these tests run
#: against its mutants (mutmut runs, of those, the ones that reach the mutated function).
MODULES: dict[str, list[str]] = {
    "core/reminders/policy.py": [
        "tests/reminders/test_policy_boundaries.py",
        "tests/reminders/test_reminders.py",
    ],
    "core/time/recurrence.py": [
        "tests/reminders/test_recurrence.py",
        "tests/reminders/test_recurrence_boundaries.py",
        "tests/reminders/test_cron_time_zones.py",
        "tests/reminders/test_recurrence_calendar.py",
    ],
    "core/time/workcalendar.py": [
        "tests/test_workcalendar.py",
        "tests/test_workcalendar_boundaries.py",
    ],
    "core/register/scopes.py": [
        "tests/test_scopes.py",
        "tests/test_community_kit.py",
    ],
    "core/reminders/fanout.py": [
        "tests/reminders/test_reminders.py",
        "tests/reminders/test_opt_out_boundaries.py",
        "tests/reminders/test_activity_audiences.py",
        "tests/reminders/test_fanout_boundaries.py",
    ],
    "core/reminders/delivery.py": [
        "tests/reminders/test_reminders.py",
        "tests/reminders/test_faults.py",
        "tests/reminders/test_policy_boundaries.py",
        "tests/reminders/test_accepted_not_missed.py",
        "tests/reminders/test_delivery_boundaries.py",
    ],
    # the module's own tests only: the fan-out's and the routes' (test_reminders, test_routes,
    # test_floods) reach resident_condition too and took over a minute a mutant
    "core/reminders/audiences.py": [
        "tests/reminders/test_audience_boundaries.py",
        "tests/reminders/test_audience_reach.py",
        "tests/reminders/test_activity_audiences.py",
    ],
    "core/reminders/planning.py": [
        "tests/reminders/test_planning_boundaries.py",
        "tests/reminders/test_concurrent_planning.py",
        "tests/reminders/test_recurrence_calendar.py",
    ],
    "core/reminders/commands.py": [
        "tests/reminders/test_commands.py",
        "tests/reminders/test_audience_reach.py",
        "tests/reminders/test_occurrence_cancellation.py",
    ],
    "core/access/roles.py": [
        "tests/access/test_roles.py",
        "tests/access/test_principal.py",
    ],
    # the principal is in every request: the module's own tests only
    "core/access/principals.py": [
        "tests/access/test_principal_boundaries.py",
        "tests/access/test_principal.py",
    ],
    "scenarios/elder_care/services/register.py": [
        "tests/scenarios/elder_care/test_register.py",
        "tests/scenarios/elder_care/test_age_tiers.py",
    ],
    "scenarios/markets/services/proceeds.py": [
        "tests/scenarios/markets/test_story.py",
        "tests/access/test_aggregates.py",
    ],
}

#: The fates that count as killed: a failing test, or a test that no longer ends (a mutant that
#: turns a loop's countdown into an endless loop; mutmut stops it after its timeout).
DETECTED = frozenset({"killed", "timeout"})

#: Where each folder of the work tree sits in the installed package.
LAYOUT = {"core": "meihao", "scenarios": "meihao/scenarios", "plugins": "meihao/plugins"}


def staged_path(module: str) -> str:
    folder, _, rest = module.partition("/")
    return f"{LAYOUT[folder]}/{rest}"


def _stage(module: str, tests: list[str]) -> Path:
    """The installed layout of the work tree, with a mutmut configuration for ``module``."""
    stage = STAGE / module.replace("/", "_").removesuffix(".py")
    if stage.exists():
        shutil.rmtree(stage)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "core", stage / "meihao", ignore=ignore)
    shutil.copytree(ROOT / "scenarios", stage / "meihao" / "scenarios", ignore=ignore)
    shutil.copytree(ROOT / "plugins", stage / "meihao" / "plugins", ignore=ignore)
    shutil.copytree(ROOT / "tests", stage / "tests", ignore=ignore)
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    lines = [
        "[tool.mutmut]",
        'source_paths = ["meihao"]',
        f'only_mutate = ["{staged_path(module)}"]',
        # one process, SQLite only: mutmut forks a child per mutant
        'pytest_add_cli_args = ["-n", "0", "--meihao-db=sqlite", "-p", "no:cacheprovider", "-q"]',
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
        "",
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        f'asyncio_mode = "{pytest_options["asyncio_mode"]}"',
        f'asyncio_default_fixture_loop_scope = "{pytest_options["asyncio_default_fixture_loop_scope"]}"',
        f"filterwarnings = {_toml_list(pytest_options['filterwarnings'])}",
        "",
    ]
    (stage / "pyproject.toml").write_text("\n".join(lines), encoding="utf-8")
    return stage


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _mutmut(stage: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    mutmut = Path(sys.executable).with_name("mutmut")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("MEIHAO_TEST_DATABASE_URL", None)
    return subprocess.run([str(mutmut), *args], cwd=stage, env=env, capture_output=True, text=True, timeout=timeout)


def run_module(module: str, jobs: int, only: list[str] | None = None) -> dict[str, object]:
    tests = MODULES[module]
    stage = _stage(module, tests)
    started = time.monotonic()
    ran = _mutmut(stage, "run", "--max-children", str(jobs), *_patterns(module, only))
    seconds = time.monotonic() - started
    if ran.returncode != 0:
        sys.stderr.write(ran.stdout[-3000:] + ran.stderr[-3000:])
        raise SystemExit(f"mutmut run failed for {module} ({ran.returncode})")
    return collect(module, stage, seconds, only)


def _patterns(module: str, only: list[str] | None) -> list[str]:
    """mutmut's names of the mutants of ``module``'s functions named in ``only`` (``check_reach``, ``Principal.where``)."""
    prefix = staged_path(module).removesuffix(".py").replace("/", ".")
    patterns = []
    for function in only or []:
        owner, _, name = function.rpartition(".")
        patterns.append(f"{prefix}.x{'ǁ' + owner + 'ǁ' if owner else '_'}{name}__mutmut_*")
    return patterns


def collect(module: str, stage: Path, seconds: float, only: list[str] | None = None) -> dict[str, object]:
    """The fates of the mutants of the last run staged in ``stage`` (of the functions in ``only``, when given)."""
    tests = MODULES[module]
    patterns = _patterns(module, only)
    statuses: dict[str, str] = {}
    for line in _mutmut(stage, "results", "--all", "true").stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name and (not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)):
            statuses[name] = status
    survivors = []
    for name in sorted(n for n, s in statuses.items() if s not in DETECTED):
        diff = _mutmut(stage, "show", name).stdout
        changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        survivors.append((name, statuses[name], changed))
    killed = sum(1 for s in statuses.values() if s in DETECTED)
    return {"module": module, "tests": tests, "total": len(statuses), "killed": killed, "survivors": survivors, "seconds": seconds}


def _report(results: list[dict[str, object]]) -> str:
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    out = [BEGIN, "", f"Generated by `bench/mutation.py` on {today} (mutmut {_version()}, SQLite).", "",
           "| module | mutants | killed | kill rate | survivors | tests | minutes |", "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    for r in results:
        total, killed = int(r["total"]), int(r["killed"])  # type: ignore[call-overload]
        rate = f"{100 * killed / total:.1f}%" if total else "–"
        tests = ", ".join(f"`{t.removeprefix('tests/')}`" for t in r["tests"])  # type: ignore[attr-defined]
        out.append(f"| `{r['module']}` | {total} | {killed} | {rate} | {total - killed} | {tests} | {float(r['seconds']) / 60:.1f} |")  # type: ignore[arg-type]
    for r in results:
        survivors = r["survivors"]
        if not survivors:
            continue
        out += ["", f"#### Survivors in `{r['module']}`", ""]
        for name, status, changed in survivors:  # type: ignore[attr-defined]
            out.append(f"- `{name.split('.')[-1]}` ({status})")
            out += ["  ```diff", *(f"  {line}" for line in changed[:6]), "  ```"]
    out += ["", END]
    return "\n".join(out)


def _version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def write_doc(results: list[dict[str, object]]) -> None:
    text = DOC.read_text(encoding="utf-8")
    report = _report(results)
    if BEGIN in text:
        previous = text[text.index(BEGIN) : text.index(END) + len(END)]
        kept = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", previous, flags=re.MULTILINE)}
        # modules not run this time keep their last row (and the report says when each ran)
        fresh = {str(r["module"]) for r in results}
        rows = [row for module, row in kept.items() if module not in fresh]
        if rows:
            report = report.replace("| --- | ---: | ---: | ---: | ---: | --- | ---: |", "| --- | ---: | ---: | ---: | ---: | --- | ---: |\n" + "\n".join(rows), 1)
        # and their survivors' lists
        for body in re.split(r"(?=^#### Survivors in )", previous.removesuffix(END), flags=re.MULTILINE)[1:]:
            named = re.match(r"#### Survivors in `([^`]+)`", body)
            if named and named.group(1) not in fresh:
                report = report.replace(f"\n{END}", f"\n{body.rstrip()}\n\n{END}", 1)
        text = text.replace(previous, report)
    else:
        text = text.rstrip("\n") + "\n\n" + report + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="paths in the work tree, keys of MODULES (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (the machine's cores are shared)")
    parser.add_argument("--only", action="append", metavar="FUNCTION",
                        help="mutate only these functions of the module (repeatable; Class.method for a method); implies --no-docs")
    parser.add_argument("--no-docs", action="store_true", help="print the report instead of writing docs/testing.md")
    args = parser.parse_args()
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"not in MODULES: {', '.join(unknown)}; known: {', '.join(MODULES)}")
    results = []
    for module in args.modules or list(MODULES):
        result = run_module(module, args.jobs, args.only)
        total, killed = int(result["total"]), int(result["killed"])  # type: ignore[call-overload]
        print(f"{module}: {killed}/{total} killed, {len(result['survivors'])} survivors, {float(result['seconds']):.0f} s", flush=True)  # type: ignore[arg-type]
        results.append(result)
    if args.no_docs or args.only:
        print(_report(results))
    else:
        write_doc(results)


if __name__ == "__main__":
    main()
