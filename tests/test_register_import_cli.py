"""``meihao register template`` and ``meihao register import`` as an operator runs them: real processes on a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.commands import run, run_all
from tests.test_register_import import BAD_ROWS, GOOD_ROWS, HEADER


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A migrated x.db holding the community ``hepan`` (荷畔社区) and nothing else."""
    folder = tmp_path_factory.mktemp("register-cli")
    assert run(folder, "migrate").returncode == 0
    script = (
        "import asyncio\nfrom meihao.runtime import boot\nfrom meihao.register.communities import create_community\n"
        "from meihao.register.schemas import CommunityIn\n"
        "async def main():\n    mh = boot()\n    await mh.start()\n"
        "    await create_community(mh, CommunityIn(slug='hepan', name='荷畔社区'))\n    await mh.close()\n"
        "asyncio.run(main())\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    environment["MEIHAO_DATABASE_URL"] = f"sqlite:///{folder}/x.db"
    made = subprocess.run([sys.executable, "-c", script], cwd=folder, env=environment, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    (folder / "bad.csv").write_bytes(BAD_ROWS.replace("李建国,男,1948-07-02,370125194807020016,13900139002,荷畔社区,一网格,1号楼,,102,veteran\r\n", "")
                                     .split("\r\n孙丽")[0].encode("gbk") + b"\r\n")
    (folder / "good.csv").write_bytes(GOOD_ROWS.encode("gbk"))
    (folder / "notes.txt").write_text("姓名\n")
    return folder


def test_the_template_is_written_as_xlsx_or_csv(folder):
    xlsx, flat, other = run_all(folder, [(("register", "template", "t.xlsx"), {}), (("register", "template", "t.csv"), {}),
                                         (("register", "template", "t.ods"), {})])
    assert (xlsx.returncode, xlsx.stdout) == (0, "wrote the register template to t.xlsx\n")
    assert [c.value for c in load_workbook(folder / "t.xlsx")["居民台账"][1]] == HEADER.split(",")
    assert (flat.returncode, (folder / "t.csv").read_bytes()) == (0, ("\ufeff" + HEADER + "\r\n").encode())
    assert (other.returncode, other.stderr) == (1, "Error: t.ods: the template is an .xlsx or a .csv file\n")


def test_one_line_errors_for_what_stops_an_import_before_its_rows(folder):
    missing, nowhere, kind = run_all(folder, [
        (("register", "import", "absent.csv", "--community", "hepan"), {}),
        (("register", "import", "good.csv", "--community", "nowhere", "--dry-run"), {}),
        (("register", "import", "notes.txt", "--community", "hepan", "--dry-run"), {}),
    ])
    assert (missing.returncode, missing.stderr) == (1, "Error: absent.csv: No such file or directory\n")
    assert (nowhere.returncode, nowhere.stderr) == (1, "Error: community 'nowhere' not found\n")
    assert (kind.returncode, kind.stderr) == (1, "Error: file: must be an .xlsx workbook or a .csv file\n")
    for result in (missing, nowhere, kind):
        assert "Traceback" not in result.stdout + result.stderr


def test_a_dry_run_lists_each_problem_on_its_line_then_the_import_writes_all(folder):
    bad = run(folder, "register", "import", "bad.csv", "--community", "hepan", "--dry-run")
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [
        "row 2, D 身份证号: id_card: the check digit (GB 11643) does not match / 身份证号校验位不对，请核对",
        "row 3, E 联系电话: phone: '12345' is not a valid phone number / 电话号码“12345”不对；手机写 11 位，固话带区号",
        "row 4, B 性别: gender: '未知' is neither 男 nor 女 / 性别应填“男”或“女”，不能是“未知”",
        "row 5, A 姓名: name: must not be blank / 姓名不能为空",
        "Error: 4 problem(s) in 6 row(s) of bad.csv; nothing was written",
    ]
    dry = run(folder, "register", "import", "good.csv", "--community", "hepan", "--dry-run")
    assert (dry.returncode, dry.stdout, dry.stderr) == (
        0, "good.csv: 4 row(s) are good; would import 4 resident(s), 2 new grid(s), 2 new building(s), 3 new household(s)"
           " (dry run: nothing written)\n", "")
    done = run(folder, "register", "import", "good.csv", "--community", "hepan")
    assert (done.returncode, done.stdout) == (0, "imported 4 resident(s), 2 new grid(s), 2 new building(s), 3 new household(s) into hepan from good.csv\n")
    again = run(folder, "register", "import", "good.csv", "--community", "hepan", "--dry-run")
    assert again.returncode == 1
    assert again.stderr.splitlines()[0] == "row 2, D 身份证号: id_card: a resident with this number is already registered / 身份证号已在台账中（这位居民已登记）"
    assert again.stderr.splitlines()[-1] == "Error: 4 problem(s) in 4 row(s) of good.csv; nothing was written"
