"""Browser tests: a real `meihao serve` with the demo on a SQLite file, driven by Playwright in Debian's chromium.

The registries do not serve Playwright's own browser builds, so the tests launch the system's
``chromium`` (``MEIHAO_CHROMIUM`` names another binary). Without one the tests are skipped,
except with ``CI=true``, where that is an error (``.ci/run`` installs the package).
Screenshots of every main page at desktop and phone size are written to ``build/screenshots/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
MEIHAO = str(Path(sys.executable).with_name("meihao"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: A bound, not a speed target: `meihao serve` with nine scenes starts in a few seconds, but took over 60 s
#: on a machine at load 20 (helpers' runs beside each other), and a test that cannot start tells nothing.
SERVE_START_SECONDS = 180


def chromium_path() -> str | None:
    return os.environ.get("MEIHAO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Served:
    """The running server and the demo's accounts."""

    url: str
    env: dict[str, str]
    staff_password: str
    admin_password: str
    database: Path

    def sql(self, query: str, *args: object) -> list[tuple]:
        import sqlite3

        with sqlite3.connect(self.database) as db:
            return db.execute(query, args).fetchall()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_chromium() -> None:
    if chromium_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and no chromium: install Debian's chromium package (.ci/run does)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")


@contextmanager
def running(folder: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """``meihao serve`` on ``port`` in ``folder`` until the block ends; yields its address once /health answers."""
    log = (folder / "serve.log").open("w")
    server = subprocess.Popen([MEIHAO, "serve", "--port", str(port)], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVE_START_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert server.poll() is None, (folder / "serve.log").read_text()
        time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"meihao serve did not answer /health within {SERVE_START_SECONDS} s:\n" + (folder / "serve.log").read_text())
    try:
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def no_quiet_hours(database: Path) -> None:
    """The demo's communities keep no quiet hours: the flows wait for reminders to be sent, which the default
    quiet hours (21:30–07:30 in Shanghai) would hold whenever the tests run in the evening (CI's clock is real)."""
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE meihao_reminder_settings SET quiet_start = '00:00', quiet_end = '00:00'")
        db.execute(
            "INSERT INTO meihao_reminder_settings (community, quiet_start, quiet_end, cancellation_notices) "
            "SELECT id, '00:00', '00:00', 1 FROM meihao_community WHERE id NOT IN (SELECT community FROM meihao_reminder_settings)"
        )


@dataclass(frozen=True)
class DemoTemplate:
    """The demo built once per test process: its SQLite file, data key and the passwords ``meihao demo`` printed."""

    database: Path
    key: str
    staff_password: str
    admin_password: str


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """``meihao demo`` once per test process (a minute or more on a busy machine); each module serves a copy."""
    need_chromium()
    folder = tmp_path_factory.mktemp("demo-template")
    key = subprocess.run([MEIHAO, "keygen"], capture_output=True, text=True, check=True).stdout.strip()
    env = {**os.environ, "MEIHAO_DATABASE_URL": f"sqlite:///{folder / 'meihao.db'}", "MEIHAO_DATA_KEY": key}
    env.pop("MEIHAO_CONFIG", None)
    env.pop("MEIHAO_PLUGINS", None)
    demo = subprocess.run([MEIHAO, "demo", "--residents", "400", "--quiet"], capture_output=True, text=True, env=env, cwd=folder, timeout=600)
    assert demo.returncode == 0, demo.stderr
    staff_password = re.search(r"demo password '([^']+)'", demo.stdout).group(1)
    admin_password = re.search(r"username 'admin', password '([^']+)'", demo.stdout).group(1)
    no_quiet_hours(folder / "meihao.db")
    return DemoTemplate(folder / "meihao.db", key, staff_password, admin_password)


def demo_copy(template: DemoTemplate, folder: Path, **extra_env: str) -> tuple[dict[str, str], int]:
    """A private copy of the demo's database in ``folder`` (SQLite's backup: one consistent file, WAL included)
    and the environment that serves it on a free port; returns (env, port)."""
    with closing(sqlite3.connect(template.database)) as source, closing(sqlite3.connect(folder / "meihao.db")) as copy:
        source.backup(copy)
    port = _free_port()
    env = {
        **os.environ, "MEIHAO_DATABASE_URL": f"sqlite:///{folder / 'meihao.db'}", "MEIHAO_DATA_KEY": template.key,
        "MEIHAO_PORT": str(port), "MEIHAO_PUBLIC_URL": f"http://127.0.0.1:{port}", **extra_env,
    }
    env.pop("MEIHAO_CONFIG", None)
    return env, port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoTemplate) -> Iterator[Served]:
    """The demo served by ``meihao serve`` on a free port, as the README's first command does: one server and one
    copy of the demo's database per test module, so that what one module's tests change (activities, opt-outs,
    scenes) is not another's."""
    folder = tmp_path_factory.mktemp("served")
    env, port = demo_copy(demo_template, folder)
    with running(folder, env, port) as url:
        yield Served(url, env, demo_template.staff_password, demo_template.admin_password, folder / "meihao.db")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium through Playwright's sync API, for one test module: the sync API keeps an event loop running in
    this thread while it is started, so it must stop before the worker runs another module's asyncio tests."""
    from playwright.sync_api import sync_playwright

    need_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


def _context(browser, served: Served, viewport: dict[str, int], mobile: bool):
    context = browser.new_context(
        base_url=served.url, viewport=viewport, is_mobile=mobile, has_touch=mobile, device_scale_factor=2 if mobile else 1,
        locale="zh-CN",
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser, served: Served):
    """A desktop-sized page."""
    context = _context(browser, served, DESKTOP, False)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser, served: Served):
    """A phone-sized page (a grid worker on the street)."""
    context = _context(browser, served, PHONE, True)
    yield context.new_page()
    context.close()


def log_in(page, served: Served, username: str, password: str | None = None) -> None:
    """Log in through the login form (the demo's accounts: ``admin``, ``<slug>-admin``, ``<slug>-g01-grid-worker-1``, …)."""
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password or (served.admin_password if username == "admin" else served.staff_password))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login as {username} failed: {page.url}"


def shoot(page, name: str) -> Path:
    """A full-page screenshot to build/screenshots/<name>.png (CI keeps the folder)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical accessibility violations on the page as it is now."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in json.loads(result) if v["impact"] in ("serious", "critical")
    ]


def scene_panels_loaded(page) -> None:
    """Wait (bounded) until htmx has swapped every community's scene panels into the overview."""
    waiting = page.locator(".scene-panels[hx-get]")
    for _ in range(300):
        if waiting.count() == 0:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{waiting.count()} communities' scene panels still loading after 60 s")
