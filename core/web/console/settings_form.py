"""A scene's settings as a form: fields generated from its msgspec settings Struct, the posted form read back, errors mapped to fields.

The form shows each field of the Struct with an input for its type (whole numbers, numbers,
text, yes/no, a choice of values, lists written with commas), its current value, its default
and the field's ``#:`` comment from the source as a hint. Labels and hints are English; a
scene translates them in its own catalogue (the label's message id is the field name in words,
``"Elder age"``; the hint's is the comment), loaded from the ``locale`` folder of the package
that defines the Struct, so they translate even where the scene brings no pages.
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from babel.support import Translations

from meihao.web.console.i18n import DEFAULT_LANGUAGE, load_translations

#: The form's input names are ``settings.<field>``, as the API's errors name them (``settings.elder_age: …``).
PREFIX = "settings."
#: What separates the items of a list typed into one box (ASCII and Chinese commas, the enumeration comma).
LIST_SEPARATORS = re.compile(r"[,，、]")


@dataclass
class SettingField:
    """One field of a settings form."""

    name: str
    kind: str  # int, float, str, bool, choice, list, json
    label: str
    hint: str = ""
    default: Any = None
    choices: list[Any] = field(default_factory=list)
    optional: bool = False
    item_kind: str = ""  # of a list: int, float, str

    @property
    def input_name(self) -> str:
        return PREFIX + self.name

    def shown(self, value: Any) -> str:
        """The value as written in the form's box."""
        if value is None:
            return ""
        if self.kind == "list":
            return ", ".join(str(v) for v in value)
        if self.kind == "json":
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, enum.Enum):
            return str(value.value)
        return str(value)


def humanise(name: str) -> str:
    """``remind_day_before_minutes`` -> ``Remind day before minutes`` (a label's message id)."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def field_comments(schema: type) -> dict[str, str]:
    """The ``#:`` comments written above each field of a class, joined into one sentence per field."""
    try:
        source = inspect.getsource(schema)
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    pending: list[str] = []
    for line in source.splitlines()[1:]:
        text = line.strip()
        if text.startswith("#:"):
            pending.append(text[2:].strip())
            continue
        match = re.match(r"^([A-Za-z_]\w*)\s*:", text)
        if match and pending:
            comments[match.group(1)] = " ".join(pending)
        if text.startswith("def "):
            break
        pending = []
    return comments


def _kind(info: Any) -> tuple[str, list[Any], bool, str]:
    """(kind, choices, optional, item kind) of a msgspec type."""
    ti = msgspec.inspect
    optional = False
    if isinstance(info, ti.Metadata):
        info = info.type
    if isinstance(info, ti.UnionType):
        others = [t for t in info.types if not isinstance(t, ti.NoneType)]
        optional = len(others) < len(info.types)
        if len(others) == 1:
            kind, choices, _, item = _kind(others[0])
            return kind, choices, optional, item
        return "json", [], optional, ""
    simple = {ti.IntType: "int", ti.FloatType: "float", ti.StrType: "str", ti.BoolType: "bool"}
    for cls, kind in simple.items():
        if isinstance(info, cls):
            return kind, [], optional, ""
    if isinstance(info, ti.LiteralType):
        return "choice", list(info.values), optional, ""
    if isinstance(info, ti.EnumType):
        return "choice", [m.value for m in info.cls], optional, ""
    if isinstance(info, (ti.ListType, ti.SetType, ti.FrozenSetType, ti.VarTupleType)):
        item_kind, _, _, _ = _kind(info.item_type)
        if item_kind in ("int", "float", "str", "choice"):
            return "list", [], optional, "str" if item_kind == "choice" else item_kind
    return "json", [], optional, ""


def _declared_order(annotation: Any, choices: list[Any]) -> list[Any]:
    """A Literal's values in the order they were written (msgspec's inspection sorts them)."""
    for part in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(part) is typing.Literal:
            return [v for v in typing.get_args(part) if v in choices]
    return choices


def settings_fields(schema: type[msgspec.Struct], gettext: Any = None) -> list[SettingField]:
    """The form's fields for a settings Struct, in the Struct's order; ``gettext`` translates labels and hints."""
    translate = gettext or (lambda text: text)
    comments = field_comments(schema)
    declared = typing.get_type_hints(schema)
    fields = []
    for f in msgspec.inspect.type_info(schema).fields:
        kind, choices, optional, item_kind = _kind(f.type)
        if kind == "choice":
            choices = _declared_order(declared.get(f.name), choices)
        default = f.default if f.default is not msgspec.NODEFAULT else (f.default_factory() if f.default_factory is not msgspec.NODEFAULT else None)
        comment = comments.get(f.name, "")
        if not comment and isinstance(f.type, msgspec.inspect.Metadata):
            comment = (f.type.extra_json_schema or {}).get("description", "")
        fields.append(SettingField(
            name=f.name, kind=kind, label=translate(humanise(f.name)), hint=translate(comment) if comment else "",
            default=default, choices=choices, optional=optional, item_kind=item_kind,
        ))
    return fields


class FormProblem(Exception):
    """A box of the form could not be read as its type (``problem``: whole_number, number, json)."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field_name = field_name
        self.problem = problem


def _item(text: str, kind: str, name: str) -> Any:
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise FormProblem(name, "whole_number") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise FormProblem(name, "number") from None
    return text


def read_settings(fields: list[SettingField], form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings a posted form holds, as the API's JSON would (``{"elder_age": 65, …}``), and the boxes that could
    not be read (field -> problem). A box missing from the form keeps nothing (the Struct's default)."""
    raw: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for f in fields:
        if f.kind == "bool":
            raw[f.name] = str(form.get(f.input_name, "")).lower() in ("on", "true", "1", "yes")
            continue
        if f.input_name not in form:
            continue
        text = str(form[f.input_name]).strip()
        try:
            if text == "" and f.optional:
                raw[f.name] = None
            elif f.kind in ("int", "float"):
                if text == "":
                    raise FormProblem(f.name, "whole_number" if f.kind == "int" else "number")
                raw[f.name] = _item(text, f.kind, f.name)
            elif f.kind == "list":
                raw[f.name] = [_item(part.strip(), f.item_kind, f.name) for part in LIST_SEPARATORS.split(text) if part.strip()]
            elif f.kind == "json":
                try:
                    raw[f.name] = json.loads(text)
                except ValueError:
                    raise FormProblem(f.name, "json") from None
            else:
                raw[f.name] = str(form[f.input_name])
        except FormProblem as problem:
            problems[f.name] = problem.problem
    return raw, problems


def error_field(fields: list[SettingField], field_path: str | None, message: str) -> str | None:
    """The field an error of ``validate_settings`` is about: its ``settings.<field>``, or, for a rule checked on the
    whole Struct (``__post_init__``: ``"elder_age must be between 50 and 100"``), the field its message begins with."""
    names = {f.name for f in fields}
    if field_path and field_path.startswith(PREFIX):
        name = field_path[len(PREFIX):].split(".")[0].split("[")[0]
        if name in names:
            return name
    text = message.split(": ", 1)[1] if message.startswith("settings: ") else message
    for name in sorted(names, key=len, reverse=True):
        if re.match(rf"^{re.escape(name)}\b", text):
            return name
    return None


def error_text(message: str) -> str:
    """An error's message without the field path in front (``settings.elder_age: Expected …`` -> ``Expected …``)."""
    return re.sub(r"^settings(\.[\w\[\].]+)?: ", "", message)


_CATALOGUES: dict[tuple[str, str], Translations] = {}


def schema_translations(schema: type, language: str) -> Translations | None:
    """The catalogues of the package that defines ``schema`` (its ``locale`` folder, found upwards from its module), or None."""
    if language != DEFAULT_LANGUAGE:
        return None
    module = sys.modules.get(schema.__module__)
    path = Path(getattr(module, "__file__", "") or "")
    for folder in list(path.parents)[:3]:
        if (folder / "locale").is_dir():
            key = (str(folder), language)
            if key not in _CATALOGUES:
                _CATALOGUES[key] = load_translations([folder / "locale"], language)
            return _CATALOGUES[key]
    return None
