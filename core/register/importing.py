"""The register in and out (人口台账导入导出): one list of Chinese columns for the template, the import and the export.

An import reads a community's existing register from an .xlsx workbook or a CSV file (UTF-8 with or
without a BOM, or GBK/GB18030 as Excel on Chinese Windows saves it), checks every row first and
reports every problem by row and column, in Chinese and English, and only then writes, all or
nothing, in one transaction: grids, buildings and households are matched by name within the
community (created when missing), ID-card numbers validated, encrypted and hashed as the register
stores them, duplicates inside the file and against the register refused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from meihao.access.audit import audit
from meihao.access.principals import SYSTEM, Principal
from meihao.db.bulk import BulkInserter
from meihao.errors import Conflict, Forbidden, InvalidInput
from meihao.privacy import FORMULA_STARTS, normalise_id_card, normalise_phone
from meihao.register.categories import (
    ASSISTANCE_WORDS,
    RELATION_SYNONYMS,
    RELATION_WORDS,
    RESIDENCE_SYNONYMS,
    RESIDENCE_WORDS,
    SPECIAL_WORDS,
    assistance_conflict,
    word_to_code,
)
from meihao.register.communities import get_community
from meihao.register.residents import UNIQUE_VIOLATIONS, tag_rules
from meihao.register.sheet import COLUMNS, GENDERS, HEADERS, SheetColumn
from meihao.register.tables import Building, Grid, Household, Resident, ResidentTag

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: What a CSV starts with for Excel on Chinese Windows to read it as UTF-8.
UTF8_BOM = b"\xef\xbb\xbf"

#: The permission to import a register into a community (its community admin; the street).
IMPORT_PERMISSION = "meihao.resident.import"


_TAG = re.compile(r"[a-z][a-z0-9_]{0,31}")
_TAG_SPLIT = re.compile(r"[\s,，、;；]+")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")

#: How many ID-card hashes or grid names one lookup asks for at once (a statement's parameters: asyncpg allows
#: 32,767; the writes are chunked by :class:`meihao.db.bulk.BulkInserter` below that too).
CHUNK = 1000

#: An ID-card number's error from the kernel's check, in Chinese.
_ID_CARD_ZH = {
    "id_card: must be 18 characters": "身份证号应为 18 位",
    "id_card: must be 17 digits followed by a digit or X": "身份证号应为 17 位数字加 1 位数字或 X",
    "id_card: the check digit (GB 11643) does not match": "身份证号校验位不对，请核对",
    "id_card: the birth date or region code in the number is not valid": "身份证号中的出生日期或地区码不对",
}


#: What stops a file being read at all, in Chinese (the console shows these; the API and the CLI the English).
FILE_ERRORS_ZH = {
    "file: must be an .xlsx workbook or a .csv file": "文件须是 Excel 表格（.xlsx）或 CSV 文件",
    "file: not an .xlsx workbook that can be read; save it again from Excel or WPS": "这个 .xlsx 文件打不开，请用 Excel 或 WPS 重新保存一次",
    "file: the CSV is neither UTF-8 nor GBK/GB18030; save it again as CSV UTF-8 or as .xlsx": "CSV 文件的编码既不是 UTF-8 也不是 GBK，请另存为“CSV UTF-8”或 .xlsx",
}


@dataclass(frozen=True)
class Problem:
    """What is wrong in one cell (or one row, or the file): where, and what, in English and Chinese."""

    row: int
    #: the spreadsheet's column letter (A, B, …); empty for the whole file
    column: str
    #: the column's Chinese header; empty for the whole file
    header: str
    code: str
    message: str
    message_zh: str

    def line(self) -> str:
        """One line for a terminal: ``row 3, D 身份证号: id_card: … / 身份证号…``."""
        where = f"row {self.row}" + (f", {self.column} {self.header}" if self.column else "")
        return f"{where}: {self.message} / {self.message_zh}"


@dataclass
class ImportReport:
    """What an import found (and, when it wrote, what it wrote)."""

    community: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: how many of each it creates (a dry run: would create)
    residents: int = 0
    grids: int = 0
    buildings: int = 0
    households: int = 0
    written: bool = False
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "community": self.community, "rows": self.rows, "dry_run": self.dry_run, "written": self.written,
            "residents": self.residents, "grids": self.grids, "buildings": self.buildings, "households": self.households,
            "problems": [vars(p) for p in self.problems],
        }


def column_letter(index: int) -> str:
    """The spreadsheet's name of the 0-based column ``index``: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- the template --------------------------------------------------------------


def columns_for(principal: Principal) -> tuple[SheetColumn, ...]:
    """The template's and the export's columns for ``principal``: 救助类别 and 特殊人群 only for holders of their permissions."""
    from meihao.register.categories import SPECIAL_READ
    from meihao.register.residents import SENSITIVE_READ
    from meihao.register.sheet import export_columns

    return export_columns(principal.can(SENSITIVE_READ), principal.can(SPECIAL_READ))


def template_xlsx(columns: tuple[SheetColumn, ...] = COLUMNS) -> bytes:
    """The import template: the header row on the first sheet (居民台账), how to fill each column on the second (填写说明);
    ``columns``: :func:`meihao.register.sheet.export_columns` for the caller (restricted ones only for their holders)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "居民台账"
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # ID-card and phone numbers typed as numbers lose digits (Excel keeps 15): their columns are text.
    for key in ("id_card", "phone", "room", "unit"):
        letter = column_letter([c.key for c in columns].index(key))
        sheet.column_dimensions[letter].number_format = "@"
        for row in range(2, 1002):
            sheet[f"{letter}{row}"].number_format = "@"
    sheet.column_dimensions[column_letter([c.key for c in columns].index("id_card"))].width = 22
    notes = book.create_sheet("填写说明")
    notes.append(["列", "是否必填", "填写说明"])
    for column in columns:
        notes.append([column.header, "必填" if column.required else "选填", column.note])
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv(columns: tuple[SheetColumn, ...] = COLUMNS) -> bytes:
    """The template as CSV: the header line, UTF-8 with a BOM (Excel on Chinese Windows reads it right)."""
    return UTF8_BOM + (",".join(c.header for c in columns) + "\r\n").encode()


# -- reading a file -----------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # An export writes a leading ' before text a spreadsheet would take for a formula: read it back without.
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]
    return text


def decode_csv(data: bytes) -> str:
    """A CSV file's text: UTF-8 (a BOM or not), else GB18030 (GBK's superset, what Excel on Chinese Windows writes)."""
    if data.startswith(UTF8_BOM):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as err:
        raise InvalidInput("file: the CSV is neither UTF-8 nor GBK/GB18030; save it again as CSV UTF-8 or as .xlsx", field="file") from err


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The cells of the file's first sheet as text, row by row (.xlsx, or .csv in UTF-8 or GBK)."""
    name = filename.lower()
    if name.endswith(".csv"):
        return [[_cell_text(v) for v in row] for row in csv.reader(io.StringIO(decode_csv(data), newline=""))]
    if name.endswith(".xlsx"):
        from zipfile import BadZipFile

        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (BadZipFile, KeyError, ValueError, OSError) as err:
            raise InvalidInput("file: not an .xlsx workbook that can be read; save it again from Excel or WPS", field="file") from err
        try:
            return [[_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    raise InvalidInput("file: must be an .xlsx workbook or a .csv file", field="file")


# -- checking the rows ----------------------------------------------------------


@dataclass
class _Row:
    number: int
    name: str
    gender: str
    birth_date: date
    id_card: str
    id_hash: str
    phone: str
    grid: str
    building: str
    unit: str
    room: str
    tags: list[str]
    relation_to_head: str = ""
    residence_status: str = ""


class _Checker:
    """Checks one file against the community and the register; collects problems, keeps the good rows."""

    def __init__(self, mh: Meihao, community: Any, principal: Principal, header: list[str], first_row: int) -> None:
        self.mh = mh
        self.community = community
        self.principal = principal
        self.problems: list[Problem] = []
        self.rows: list[_Row] = []
        self.rules = tag_rules(mh)
        self.hidden = self.rules.hidden(principal)
        #: (grid, building, unit, room) -> the row that names the household's head (户主)
        self.heads: dict[tuple[str, str, str, str], int] = {}
        self.header_row = first_row
        self.position = {h: i for i, h in reversed(list(enumerate(header)))}
        self.letters = {c.key: column_letter(self.position[c.header]) for c in COLUMNS if c.header in self.position}
        self.seen: dict[str, int] = {}

    def problem(self, row: int, key: str, code: str, message: str, message_zh: str) -> None:
        header = next((c.header for c in COLUMNS if c.key == key), "")
        self.problems.append(Problem(row, self.letters.get(key, ""), header, code, message, message_zh))

    def check_header(self, header: list[str]) -> bool:
        known = set(HEADERS)
        for index, text in enumerate(header):
            if text and text not in known:
                self.problems.append(Problem(self.header_row, column_letter(index), text, "unknown_column",
                                             f"unknown column {text!r}; the columns are {', '.join(HEADERS)}",
                                             f"不认识的列“{text}”；模板的列是：{'、'.join(HEADERS)}"))
            elif text and self.position[text] != index:
                self.problems.append(Problem(self.header_row, column_letter(index), text, "repeated_column",
                                             f"column {text!r} appears twice", f"“{text}”列出现了两次"))
        for column in COLUMNS:
            if column.required and column.header not in self.position:
                self.problems.append(Problem(self.header_row, "", column.header, "missing_column",
                                             f"the column {column.header!r} is missing", f"缺少“{column.header}”列"))
        return not self.problems

    def check(self, number: int, cells: dict[str, str]) -> None:
        before = len(self.problems)
        name = cells["name"]
        if not name:
            self.problem(number, "name", "missing_name", "name: must not be blank", "姓名不能为空")
        elif len(name) > 64:
            self.problem(number, "name", "name_too_long", "name: at most 64 characters", "姓名最多 64 个字")
        gender = GENDERS.get(cells["gender"])
        if gender is None:
            self.problem(number, "gender", "unknown_gender", f"gender: {cells['gender']!r} is neither 男 nor 女",
                         f"性别应填“男”或“女”，不能是“{cells['gender']}”" if cells["gender"] else "性别应填“男”或“女”")
        id_card, id_hash = "", ""
        if not cells["id_card"]:
            self.problem(number, "id_card", "missing_id_card", "id_card: must not be blank", "身份证号不能为空")
        elif "*" in cells["id_card"]:
            self.problem(number, "id_card", "masked_id_card", "id_card: masked (as an export shows it); write the full number",
                         "身份证号是打码的（导出文件里的样子），请填写完整号码")
        else:
            try:
                id_card = normalise_id_card(cells["id_card"])
            except InvalidInput as err:
                self.problem(number, "id_card", "bad_id_card", err.message, _ID_CARD_ZH.get(err.message, "身份证号不对"))
        birth = None
        if id_card:
            from stdnum.cn import ric

            birth = ric.get_birth_date(id_card)
            id_hash = self.mh.codec.lookup_hash(id_card)
            if gender is not None and ("male" if int(id_card[16]) % 2 else "female") != gender:
                self.problem(number, "gender", "gender_mismatch", "gender: does not match the ID-card number (its 17th digit)",
                             "性别与身份证号第17位不一致")
            if cells["birth_date"]:
                written = _parse_date(cells["birth_date"])
                if written is None:
                    self.problem(number, "birth_date", "bad_birth_date", f"birth_date: {cells['birth_date']!r} is not a date like 1950-03-01",
                                 f"出生日期“{cells['birth_date']}”看不懂，请写成 1950-03-01")
                elif written != birth:
                    self.problem(number, "birth_date", "birth_date_mismatch", "birth_date: does not match the birth date in the ID-card number",
                                 "出生日期与身份证号中的不一致")
            first = self.seen.get(id_hash)
            if first is not None:
                self.problem(number, "id_card", "duplicate_in_file", f"id_card: the same number as row {first}", f"身份证号与第 {first} 行重复")
            else:
                self.seen[id_hash] = number
        phone = ""
        if cells["phone"]:
            if "*" in cells["phone"]:
                self.problem(number, "phone", "masked_phone", "phone: masked (as an export shows it); write the full number",
                             "电话号码是打码的（导出文件里的样子），请填写完整号码")
            else:
                try:
                    phone = normalise_phone(cells["phone"])
                except InvalidInput as err:
                    self.problem(number, "phone", "bad_phone", err.message, f"电话号码“{cells['phone']}”不对；手机写 11 位，固话带区号")
        if cells["community"] and cells["community"] not in (self.community.name, self.community.slug):
            self.problem(number, "community", "other_community", f"community: {cells['community']!r} is not {self.community.name!r}, the community imported into",
                         f"社区“{cells['community']}”不是导入的社区（{self.community.name}）")
        for key, code, words in (("grid", "missing_grid", "网格"), ("building", "missing_building", "楼栋"), ("room", "missing_room", "房号")):
            if not cells[key]:
                self.problem(number, key, code, f"{key}: must not be blank", f"{words}不能为空")
        for key, limit, words in (("grid", 100, "网格"), ("building", 100, "楼栋"), ("unit", 16, "单元"), ("room", 16, "房号")):
            if len(cells[key]) > limit:
                self.problem(number, key, f"{key}_too_long", f"{key}: at most {limit} characters", f"{words}最多 {limit} 个字")
        tags = sorted({t for t in _TAG_SPLIT.split(cells["tags"]) if t})
        for tag in tags:
            if not _TAG.fullmatch(tag):
                self.problem(number, "tags", "bad_tag", f"tags: {tag!r} is not a tag (lower-case letters, digits and _, like living_alone)",
                             f"标签“{tag}”不对：只能用小写字母、数字和 _，如 living_alone")
            elif tag in self.hidden:
                self.problem(number, "tags", "sensitive_tag", f"tags: {tag} is sensitive; you need the permission {self.rules.permission(tag)!r}",
                             f"标签“{tag}”是敏感信息，你没有设置它的权限")
        relation = self._word(number, cells, "relation_to_head", RELATION_WORDS, RELATION_SYNONYMS, "与户主关系", "户主、配偶、子女")
        residence = self._word(number, cells, "residence_status", RESIDENCE_WORDS, RESIDENCE_SYNONYMS, "人口类型", "户籍、常住、流动、人户分离")
        for key, words, header in (("assistance", ASSISTANCE_WORDS, "救助类别"), ("special_groups", SPECIAL_WORDS, "特殊人群")):
            for word in (w for w in _TAG_SPLIT.split(cells[key]) if w):
                code = word_to_code(word, words, {})
                if code is None:
                    self.problem(number, key, f"unknown_{key}", f"{key}: {word!r} is not one of {', '.join(words.values())}",
                                 f"{header}“{word}”不对，应为：{'、'.join(words.values())}")
                elif code in self.hidden:
                    self.problem(number, key, "sensitive_tag", f"{key}: {word} is restricted; you need the permission {self.rules.permission(code)!r}",
                                 f"{header}是敏感信息，你没有填写它的权限")
                elif code not in tags:
                    tags.append(code)
        both = assistance_conflict(tags)
        if both:
            self.problem(number, "assistance", "assistance_conflict", f"assistance: {' and '.join(both)} exclude each other (at most one)",
                         f"{'、'.join(ASSISTANCE_WORDS[t] for t in both)}只能有一个")
        if relation == "head":
            home = (cells["grid"], cells["building"], cells["unit"], cells["room"])
            first = self.heads.setdefault(home, number)
            if first != number:
                self.problem(number, "relation_to_head", "second_head", f"relation_to_head: row {first} names this household's head already",
                             f"第 {first} 行已是这一户的户主，一户只有一个户主")
        if len(self.problems) == before and birth is not None and gender is not None:
            self.rows.append(_Row(number, name, gender, birth, id_card, id_hash, phone, cells["grid"], cells["building"],
                                  cells["unit"], cells["room"], sorted(tags), relation or "", residence or ""))

    def _word(self, number: int, cells: dict[str, str], key: str, words: dict[str, str], synonyms: dict[str, str],
              header: str, examples: str) -> str | None:
        if not cells[key]:
            return ""
        code = word_to_code(cells[key], words, synonyms)
        if code is None:
            self.problem(number, key, f"unknown_{key}", f"{key}: {cells[key]!r} is not one of {', '.join(words.values())}",
                         f"{header}“{cells[key]}”看不懂，应填：{examples} 等")
        return code

    async def check_register(self) -> None:
        """Problems only the database can tell: numbers already registered, grid names of another community."""
        hashes = list(self.seen)
        registered: set[str] = set()
        for start in range(0, len(hashes), CHUNK):
            chunk = hashes[start:start + CHUNK]
            registered |= {r["id_card_hash"] for r in await Resident.select(Resident.id_card_hash).where(Resident.id_card_hash.is_in(chunk))}
        for number, hash_ in sorted((n, h) for h, n in self.seen.items() if h in registered):
            self.problem(number, "id_card", "duplicate_in_register", "id_card: a resident with this number is already registered",
                         "身份证号已在台账中（这位居民已登记）")
        ours = {r["name"] for r in await Grid.select(Grid.name).where(Grid.community == self.community.id)}
        new = sorted({r.grid for r in self.rows} - ours)
        theirs = set()
        for start in range(0, len(new), CHUNK):
            theirs |= {r["name"] for r in await Grid.select(Grid.name).where(Grid.community != self.community.id, Grid.name.is_in(new[start:start + CHUNK]))}
        heads = await Resident.select(Resident.grid.name.as_alias("grid"), Resident.building.name.as_alias("building"),
                                      Resident.household.unit.as_alias("unit"), Resident.household.room.as_alias("room")).where(
            Resident.community == self.community.id, Resident.relation_to_head == "head")
        headed = {(r["grid"], r["building"], r["unit"], r["room"]) for r in heads}
        for home, number in sorted(self.heads.items(), key=lambda item: item[1]):
            if home in headed:
                self.problem(number, "relation_to_head", "household_has_head", "relation_to_head: the household already has a head (户主) in the register",
                             "这一户在台账中已有户主，一户只有一个户主")
        for row in self.rows:
            if row.grid in theirs:
                self.problem(row.number, "grid", "grid_of_another_community",
                             f"grid: {row.grid!r} is a grid of another community; create it in this one first if it is really here too",
                             f"网格“{row.grid}”是别的社区的网格；如果本社区也有同名网格，请先在本社区建好再导入")
        self.problems.sort(key=lambda p: (p.row, p.column))


def _parse_date(text: str) -> date | None:
    found = _DATE.fullmatch(text) or (re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text))
    if found is None:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None


async def _importing_community(slug: str, principal: Principal) -> Any:
    """The community imported into: 404 when there is none, 403 when the caller does not manage it (as the
    register's other community routes: the community itself is not secret)."""
    principal.require(IMPORT_PERMISSION)
    community = await get_community(slug)
    if not principal.manages_community(community.id):
        raise Forbidden(f"community {slug!r} is outside your scope")
    return community


async def import_register(
    mh: Meihao, slug: str, data: bytes, filename: str, principal: Principal = SYSTEM, *, dry_run: bool = True,
) -> ImportReport:
    """Check a register file for community ``slug`` and, unless ``dry_run``, write it: all rows or, when any row is
    wrong, none. Needs ``meihao.resident.import`` and a scope that manages the community (else 403).
    A write is audited (``resident.import``, one row with the counts)."""
    community = await _importing_community(slug, principal)
    table = read_table(data, filename)
    report = ImportReport(community=slug, dry_run=dry_run)
    first = next((i for i, row in enumerate(table) if any(row)), None)
    if first is None:
        report.problems.append(Problem(1, "", "", "empty_file", "file: no header row; download the template", "文件是空的；请下载模板填写"))
        return report
    header = [h.strip() for h in table[first]]
    checker = _Checker(mh, community, principal, header, first + 1)
    if not checker.check_header(header):
        report.problems = checker.problems
        return report
    body = [(first + 2 + i, row) for i, row in enumerate(table[first + 1:]) if any(row)]
    if len(body) > mh.settings.register_import_max_rows:
        raise InvalidInput(f"file: {len(body)} rows; at most {mh.settings.register_import_max_rows} in one import (register_import_max_rows)", field="file")
    report.rows = len(body)
    for number, row in body:
        checker.check(number, {c.key: (row[checker.position[c.header]] if c.header in checker.position and checker.position[c.header] < len(row) else "")
                               for c in COLUMNS})
    await checker.check_register()
    report.problems = checker.problems
    good = [r for r in checker.rows if not any(p.row == r.number for p in checker.problems)]
    await _plan(community.id, good, report)
    if dry_run or report.problems:
        return report
    try:
        async with mh.db.transaction():
            await _write(mh, community.id, good)
            await audit(principal, "resident.import", "resident", "", community_id=community.id,
                        detail={"file": filename[-100:], "residents": report.residents, "grids": report.grids,
                                "buildings": report.buildings, "households": report.households})
    except UNIQUE_VIOLATIONS as err:  # someone registered one of these numbers meanwhile
        raise Conflict("id_card: a resident in the file was registered meanwhile; run the import again", field="file") from err
    report.written = True
    return report


async def _places(community_id: int) -> tuple[dict[str, int], dict[tuple[int, str], int], dict[tuple[int, str, str], int]]:
    grids = {r["name"]: r["id"] for r in await Grid.select(Grid.id, Grid.name).where(Grid.community == community_id).order_by(Grid.id)}
    buildings: dict[tuple[int, str], int] = {}
    for r in await Building.select(Building.id, Building.grid, Building.name).where(Building.community == community_id).order_by(Building.id):
        buildings.setdefault((r["grid"], r["name"]), r["id"])
    households: dict[tuple[int, str, str], int] = {}
    for r in await Household.select(Household.id, Household.building, Household.unit, Household.room).where(
        Household.community == community_id
    ).order_by(Household.id):
        households.setdefault((r["building"], r["unit"], r["room"]), r["id"])
    return grids, buildings, households


async def _plan(community_id: int, rows: list[_Row], report: ImportReport) -> None:
    """Count what the rows would create: residents, and the grids, buildings and households not there yet."""
    grids, buildings, households = await _places(community_id)
    new_grids = {r.grid for r in rows if r.grid not in grids}
    new_buildings = {(r.grid, r.building) for r in rows if r.grid in new_grids or (grids[r.grid], r.building) not in buildings}
    new_households = {(r.grid, r.building, r.unit, r.room) for r in rows
                      if (r.grid, r.building) in new_buildings or (buildings[(grids[r.grid], r.building)], r.unit, r.room) not in households}
    report.residents, report.grids, report.buildings, report.households = len(rows), len(new_grids), len(new_buildings), len(new_households)


async def _write(mh: Meihao, community_id: int, rows: list[_Row]) -> None:
    grids, buildings, households = await _places(community_id)
    codes = {r["code"] for r in await Grid.select(Grid.code).where(Grid.community == community_id)}
    for name in sorted({r.grid for r in rows} - set(grids)):
        number = len(codes) + 1
        while f"G{number:02d}" in codes:
            number += 1
        codes.add(f"G{number:02d}")
        grid = Grid(community=community_id, code=f"G{number:02d}", name=name)
        await grid.save()
        grids[name] = grid.id
    for grid_name, name in sorted({(r.grid, r.building) for r in rows if (grids[r.grid], r.building) not in buildings}):
        building = Building(grid=grids[grid_name], community=community_id, name=name)
        await building.save()
        buildings[(grids[grid_name], name)] = building.id
    writer = BulkInserter(mh.db)
    wanted = sorted({(buildings[(grids[r.grid], r.building)], r.unit, r.room) for r in rows} - set(households))
    grid_of = {b: g for (g, _), b in buildings.items()}
    made = await writer.insert(
        Household, (Household.building, Household.grid, Household.community, Household.unit, Household.room),
        [(b, grid_of[b], community_id, unit, room) for b, unit, room in wanted],
        returning=(Household.id, Household.building, Household.unit, Household.room),
    )
    households.update({(building, unit, room): id_ for id_, building, unit, room in made})
    now = datetime.now().astimezone()
    columns = (Resident.household, Resident.building, Resident.grid, Resident.community, Resident.name, Resident.gender, Resident.birth_date,
               Resident.id_card_cipher, Resident.id_card_hash, Resident.id_card_last4, Resident.phone, Resident.preferred_language,
               Resident.created_at, Resident.updated_at, Resident.relation_to_head, Resident.residence_status)
    values = []
    for r in rows:
        building = buildings[(grids[r.grid], r.building)]
        values.append((households[(building, r.unit, r.room)], building, grids[r.grid], community_id, r.name, r.gender, r.birth_date,
                       mh.codec.encrypt(r.id_card), r.id_hash, r.id_card[-4:], r.phone, "zh", now, now, r.relation_to_head, r.residence_status))
    ids = dict(await writer.insert(Resident, columns, values, returning=(Resident.id_card_hash, Resident.id)))
    await writer.insert(ResidentTag, (ResidentTag.resident, ResidentTag.tag), [(ids[r.id_hash], t) for r in rows for t in r.tags])


# -- the export -----------------------------------------------------------------


def xlsx_bytes(rows: Iterable[list[Any]], sheet: str = "居民台账") -> bytes:
    """Rows as an .xlsx workbook (one sheet, the first row the header); every text cell is text, never a formula,
    and starts with ``'`` where a spreadsheet would take it for one (as in the CSV)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from meihao.privacy import csv_cell

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(worksheet, value=csv_cell(value) if value is not None else "")
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

