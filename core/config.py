"""Settings: one object read from MEIHAO_* environment variables and an optional meihao.toml."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import time
import tomllib
from datetime import time as dt_time
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from meihao.errors import ConfigurationError, split_validation_error

ENV_PREFIX = "MEIHAO_"

Role = Literal["web", "scheduler", "both"]
#: What a node can do: serve the API, run the scheduler and reminder delivery, or both.
ROLES: tuple[str, ...] = get_args(Role)
#: The roles that run the scheduler and reminder delivery.
SCHEDULER_ROLES = ("scheduler", "both")

#: The demo's and scenes' sensitive resident tags (PIPL art. 28 敏感个人信息): health (慢性病
#: chronic_disease, 残疾 disabled), social assistance (低保 low_income, 低保边缘 low_income_edge, 特困
#: extreme_poverty) and political status (党员 party_member). ``living_alone``, ``veteran`` and ``volunteer`` are not sensitive.
DEFAULT_SENSITIVE_TAGS = ("chronic_disease", "disabled", "extreme_poverty", "low_income", "low_income_edge", "party_member")
#: The special groups' tags (特殊人群: 社区矫正, 刑满释放, 严重精神障碍, 社区戒毒康复), behind their own permission
#: ``meihao.resident.special.read``: :mod:`meihao.register.categories`.
DEFAULT_SPECIAL_TAGS = ("community_correction", "drug_rehabilitation", "released_prisoner", "severe_mental_disorder")


#: The attachment types meihao recognises from a file's first bytes (meihao.attachments.store).
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Every kernel setting with its default; scenario settings live per community instead."""

    #: ``sqlite:///path/to/file.db`` (default: ``meihao.db`` in the working directory)
    #: or ``postgresql://user@host:5432/name``.
    database_url: str = "sqlite:///meihao.db"
    #: ``demo`` generates missing secrets; ``production`` refuses to start without them.
    mode: Literal["demo", "production"] = "demo"
    #: Key for personal data at rest (ID-card numbers); a Fernet key, urlsafe base64 of 32 bytes.
    data_key: str = ""
    #: Plugin names that are not loaded. Essential (kernel) plugins cannot be blocked.
    disabled_plugins: list[str] = []
    #: Most connections one process keeps open to PostgreSQL (its pool); ignored on SQLite.
    #: Every node has its own pool: keep nodes × this below the server's max_connections.
    database_pool_size: int = 10
    #: When set, ``GET /metrics`` asks for ``Authorization: Bearer <this>`` (Prometheus'
    #: ``authorization`` setting); when empty it is open: it holds counts and route
    #: templates, no personal data, and the reverse proxy keeps it off the public side.
    metrics_token: str = ""
    #: Address ``meihao serve`` listens on.
    host: str = "127.0.0.1"
    port: int = 8000
    #: Largest page a list endpoint returns, whatever the caller asks for.
    max_page_size: int = 200
    default_page_size: int = 50
    #: Time zone given to new communities unless they say otherwise.
    default_timezone: str = "Asia/Shanghai"
    #: Staff login: bearer tokens live this many hours. Failed logins count within a sliding
    #: window. Past ``login_max_failures_per_account`` failures an account is not locked: each
    #: further try waits a delay that doubles from ``login_delay_seconds`` up to
    #: ``login_max_delay_seconds`` (the right password works once it has passed); a client
    #: address past ``login_max_failures_per_address`` failures waits until the window frees one.
    token_hours: int = 12
    login_window_minutes: int = 15
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_delay_seconds: float = 2.0
    login_max_delay_seconds: float = 300.0
    #: Reminder floods: the finest recurrence an activity may have (``daily``: no hourly, minutely or
    #: secondly rules), and per day at most this many occurrences of one activity, reminder points
    #: (occurrence × offset) of one activity and of all activities of a community; and how many people
    #: staff who do not manage the community (grid staff) may remind with one activity.
    finest_recurrence: Literal["yearly", "monthly", "weekly", "daily", "hourly", "minutely", "secondly"] = "daily"
    max_occurrences_per_day: int = 4
    max_reminder_points_per_activity_per_day: int = 24
    max_reminder_points_per_community_per_day: int = 500
    max_audience_for_grid_staff: int = 3000
    #: Reverse proxies whose ``X-Forwarded-For`` is believed (addresses or networks, comma-separated
    #: in MEIHAO_TRUSTED_PROXIES; ``*``: any, where only the proxy reaches the node). Empty (the default): the header is ignored and the address is the
    #: connection's, so nobody can pick the address the login limits count.
    trusted_proxies: list[str] = []
    password_min_length: int = 8
    #: A reveal of a masked field must give a reason at least this long.
    reveal_reason_min_length: int = 4
    #: Resident tags that are sensitive personal information (PIPL art. 28: health, disability,
    #: low income, political status): shown and filtered on only for holders of
    #: ``meihao.resident.sensitive.read``, omitted for everyone else, audited on detail and export.
    #: Comma-separated in MEIHAO_SENSITIVE_TAGS; a community's own health or status tags go here too.
    sensitive_tags: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_SENSITIVE_TAGS))
    #: Resident tags of the special groups (特殊人群: community correction, released prisoners, severe mental
    #: disorders, drug rehabilitation): shown, filtered on and set only by holders of ``meihao.resident.special.read``,
    #: every read of one (detail, list, export) audited, omitted for everyone else. Comma-separated in MEIHAO_SPECIAL_TAGS.
    special_tags: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_SPECIAL_TAGS))
    #: Where attachments (附件: photos of grid events, culture shows, scanned documents) are kept, one file per
    #: content hash. Empty (the default): ``attachments/`` beside the SQLite database file, or in the working
    #: directory on PostgreSQL. With several nodes, every node must name the same shared directory (an NFS or
    #: other network mount): a file uploaded through one node is downloaded through another.
    attachments_dir: str = ""
    #: The largest attachment taken, in bytes (8 MiB: a phone's photo is 2-6 MB; larger is a 413).
    attachment_max_bytes: int = 8 * 1024 * 1024
    #: The types an attachment may have, read from its first bytes (never from its name): of
    #: image/jpeg, image/png, image/webp and application/pdf. Comma-separated in MEIHAO_ATTACHMENT_TYPES.
    attachment_types: list[str] = msgspec.field(default_factory=lambda: ["image/jpeg", "image/png", "image/webp", "application/pdf"])
    #: The most rows one register import (人口台账导入) takes; a street's largest community holds some
    #: 20,000 people, so a whole register fits, and a file of another street's does not go in by mistake.
    register_import_max_rows: int = 100_000
    #: Load plugins found through the ``meihao`` entry-point group.
    load_entry_points: bool = True
    #: What this process does: ``web`` (the HTTP API), ``scheduler`` (plugins' jobs and
    #: reminder delivery) or ``both`` (embedded mode, the default). ``meihao serve --role``
    #: overrides it. On SQLite at most one process may run the scheduler.
    role: Role = "both"
    #: This node's stable name in the cluster (the scheduler's identity, the node list in
    #: ``meihao doctor``); keep it across restarts. Default: ``<host name>-<role>``, plus
    #: ``-<port>`` for nodes that serve HTTP. Two running nodes cannot share one.
    node_id: str = ""
    #: How often a node writes that it is alive; a node silent for ``node_timeout_seconds``
    #: counts as gone (its name can be taken again, doctor reports it).
    node_heartbeat_seconds: float = 10.0
    node_timeout_seconds: float = 60.0
    #: The age from which a resident counts as elderly for the kernel's ``meihao.elders``
    #: audience: 60, as in the Law on the Protection of the Rights and Interests of the
    #: Elderly (老年人权益保障法, art. 2). Scenes keep their own thresholds as settings.
    elder_age: int = 60
    #: How reminders address residents (称呼, :func:`meihao.zh_address`): 先生/女士 from this age,
    #: full name + 叔叔/阿姨 from ``salutation_aunt_age``, surname + 爷爷/奶奶 (or the words below,
    #: e.g. 大爷/大娘 in Shandong) from ``salutation_grandparent_age``. Customs as residents'
    #: committees write them; see docs/plugins.md ("Chinese wording").
    salutation_adult_age: int = 18
    salutation_aunt_age: int = 50
    salutation_grandparent_age: int = 70
    salutation_grandfather: str = "爷爷"
    salutation_grandmother: str = "奶奶"
    #: A reminder claimed by a node for sending and not finished within this many seconds is
    #: taken by another node (its sender is presumed dead). Longer than the slowest channel's
    #: send; shorter means a killed node's reminders go out sooner.
    reminder_lease_seconds: float = 60.0
    #: Extra plugins to load by import path, ``name=package.module`` (comma-separated in
    #: MEIHAO_PLUGINS), for plugins that are not installed as packages with an entry point.
    plugins: list[str] = []
    #: Settings of channel plugins, one table per channel (``[channels.sms]`` in meihao.toml); the
    #: kernel does not read them: each message a channel sends carries its table (``Message.settings``).
    channels: dict[str, dict[str, Any]] = {}
    #: The address residents reach this server at, for links in reminders (unsubscribe,
    #: calendar feeds); default ``http://{host}:{port}``.
    public_url: str = ""
    #: The working calendar's weekly windows: the segments of a working day (a lunch break
    #: between them), and the ordinary working weekdays (ISO: Monday = 1 … Sunday = 7).
    #: Official holidays, make-up workdays (调休) and the street's overrides lie over them.
    working_hours: list[str] = msgspec.field(default_factory=lambda: ["08:30-12:00", "13:30-17:30"])
    working_weekdays: list[int] = msgspec.field(default_factory=lambda: [1, 2, 3, 4, 5])
    #: Official schedule files (one year each, the format of ``meihao calendar load``) that
    #: ``meihao migrate`` loads; a year already loaded with the same days is left as it is.
    #: Relative paths are read from the configuration file's folder (from the working
    #: directory in MEIHAO_CALENDAR_FILES, comma-separated).
    calendar_files: list[str] = []
    #: The console's language for visitors who have not chosen one (``zh_CN`` or ``en``).
    console_language: str = "zh_CN"
    #: Work items (docs/workitems.md has the sources). The yellow flag (黄牌) goes up this many working
    #: days before a deadline (山东省政务服务投诉热线 2017: one working day before); red (红牌) at the
    #: deadline; then the grid leaders are added this many working days after it (催办 the day after
    #: expiry), the community's admins after more, and the street's after more still (>5 working days
    #: overdue → written 通报). Each level adds people to those before, never replaces them.
    workitem_yellow_working_days: int = 1
    workitem_grid_leader_after_working_days: int = 1
    workitem_community_after_working_days: int = 3
    workitem_street_after_working_days: int = 5
    #: Extensions (延期) of one clock of one item: how many (2017 rule: one), and how long each may be
    #: (山东省政务服务热线管理办法 2020: at most 10 working days; clocks counted in hours: 7.5, one day).
    workitem_max_extensions: int = 1
    workitem_max_extension_working_days: int = 10
    workitem_max_extension_working_hours: float = 7.5
    #: The work-item check (every 5 minutes) reads the escalations due this many at a time, and stops after
    #: this many seconds (what is left goes at the next run): one notice takes about 0.1 s (docs/workitems.md).
    workitem_check_batch: int = 100
    #: Volunteering (志愿服务, docs/plugins.md *Volunteering*): points (积分) earned per verified hour
    #: (海林 社区志愿者积分奖励制度: 1 小时 = 1 积分), at most ``volunteer_max_hours_per_record`` hours
    #: counted for one record (a spell of service longer than a day's work is a typing mistake), and the
    #: star ratings by total verified hours (民政部《志愿服务记录办法》2012: 100/300/600/1000/1500 小时
    #: for 一星 to 五星).
    volunteer_points_per_hour: int = 1
    volunteer_max_hours_per_record: float = 12.0
    volunteer_star_hours: list[int] = msgspec.field(default_factory=lambda: [100, 300, 600, 1000, 1500])
    #: Volunteer shifts (design defaults, docs/plugins.md *Volunteer teams and shifts*): points taken from a volunteer
    #: who signed up and never came (0: no penalty; never more than her balance), at most this many volunteers
    #: a shift, and the check-in code works from this many minutes before the shift until this many after its end.
    volunteer_no_show_penalty_points: int = 0
    volunteer_shift_max_needed: int = 200
    volunteer_checkin_minutes: int = 60
    workitem_check_seconds: float = 30.0
    #: The 三率 (docs/workitems.md, *Call-backs and the 三率*): 满意率 counts a 基本满意 call-back as this
    #: much of a 满意 one (district 12345 practice: 满意 + 0.9 × 基本满意 over valid call-backs), and the
    #: composite score (综合成绩) weighs 响应率, 解决率 and 满意率 so (0.1 / 0.5 / 0.4, the same practice;
    #: other places use 0.3 / 0.35 / 0.35: keep them local).
    workitem_basically_satisfied_weight: float = 0.9
    workitem_response_weight: float = 0.1
    workitem_resolution_weight: float = 0.5
    workitem_satisfaction_weight: float = 0.4

    def __post_init__(self) -> None:
        if not (self.database_url.startswith("sqlite:///") or self.database_url.startswith(("postgresql://", "postgres://"))):
            raise ConfigurationError(
                f"MEIHAO_DATABASE_URL must start with sqlite:/// or postgresql://, got {self.database_url!r}",
                field="database_url",
            )
        if self.is_sqlite and not self.database_url.removeprefix("sqlite:///"):
            raise ConfigurationError("MEIHAO_DATABASE_URL: sqlite:/// needs a file path, e.g. sqlite:///meihao.db", field="database_url")
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ConfigurationError(
                f"MEIHAO_DEFAULT_PAGE_SIZE must be between 1 and MEIHAO_MAX_PAGE_SIZE ({self.max_page_size}), got {self.default_page_size}",
                field="default_page_size",
            )
        if self.database_pool_size < 1:
            raise ConfigurationError(
                f"MEIHAO_DATABASE_POOL_SIZE must be at least 1, got {self.database_pool_size}", field="database_pool_size"
            )
        if not 1 <= self.port <= 65535:
            raise ConfigurationError(f"MEIHAO_PORT must be between 1 and 65535, got {self.port}", field="port")
        unknown = sorted(set(self.attachment_types) - set(ATTACHMENT_TYPES))
        if unknown:
            raise ConfigurationError(f"MEIHAO_ATTACHMENT_TYPES: {', '.join(unknown)} cannot be recognised from the bytes; "
                                     f"choose among {', '.join(ATTACHMENT_TYPES)}", field="attachment_types")
        if self.attachment_max_bytes < 1:
            raise ConfigurationError(f"MEIHAO_ATTACHMENT_MAX_BYTES must be at least 1, got {self.attachment_max_bytes}", field="attachment_max_bytes")
        if not 0 < self.node_heartbeat_seconds < self.node_timeout_seconds:
            raise ConfigurationError(
                "MEIHAO_NODE_HEARTBEAT_SECONDS must be above 0 and below MEIHAO_NODE_TIMEOUT_SECONDS "
                f"({self.node_timeout_seconds:g}), got {self.node_heartbeat_seconds:g}",
                field="node_heartbeat_seconds",
            )
        if not 0 < self.elder_age < 150:
            raise ConfigurationError(f"MEIHAO_ELDER_AGE must be between 1 and 149, got {self.elder_age}", field="elder_age")
        if not 0 < self.salutation_adult_age <= self.salutation_aunt_age <= self.salutation_grandparent_age < 150:
            raise ConfigurationError(
                "MEIHAO_SALUTATION_ADULT_AGE <= MEIHAO_SALUTATION_AUNT_AGE <= MEIHAO_SALUTATION_GRANDPARENT_AGE (all 1 to 149) must hold, got "
                f"{self.salutation_adult_age}, {self.salutation_aunt_age}, {self.salutation_grandparent_age}",
                field="salutation_aunt_age",
            )
        for name in (
            "max_occurrences_per_day", "max_reminder_points_per_activity_per_day", "max_reminder_points_per_community_per_day",
            "max_audience_for_grid_staff",
        ):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"MEIHAO_{name.upper()} must be at least 1, got {getattr(self, name)}", field=name)
        if not 0 < self.login_delay_seconds <= self.login_max_delay_seconds:
            raise ConfigurationError(
                "MEIHAO_LOGIN_DELAY_SECONDS must be above 0 and at most MEIHAO_LOGIN_MAX_DELAY_SECONDS "
                f"({self.login_max_delay_seconds:g}), got {self.login_delay_seconds:g}",
                field="login_delay_seconds",
            )
        for proxy in self.trusted_proxies:
            if proxy == "*":
                continue
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as err:
                raise ConfigurationError(
                    f"MEIHAO_TRUSTED_PROXIES: {proxy!r} is not an address or network (e.g. 127.0.0.1 or 10.0.0.0/24)",
                    field="trusted_proxies",
                ) from err
        if self.reminder_lease_seconds <= 0:
            raise ConfigurationError(
                f"MEIHAO_REMINDER_LEASE_SECONDS must be above 0, got {self.reminder_lease_seconds:g}", field="reminder_lease_seconds"
            )
        if self.node_id and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}", self.node_id):
            raise ConfigurationError(
                f"MEIHAO_NODE_ID must be 1-100 letters, digits, '.', '_', ':' or '-', got {self.node_id!r}", field="node_id"
            )
        for entry in self.plugins:
            name, _, module = entry.partition("=")
            if not (name.strip() and module.strip()):
                raise ConfigurationError(f"MEIHAO_PLUGINS: {entry!r} must read name=package.module", field="plugins")
        _check_working_week(self.working_hours, self.working_weekdays)
        if self.workitem_yellow_working_days < 0:
            raise ConfigurationError(
                f"MEIHAO_WORKITEM_YELLOW_WORKING_DAYS must be 0 or more, got {self.workitem_yellow_working_days}",
                field="workitem_yellow_working_days",
            )
        chain = ("workitem_grid_leader_after_working_days", "workitem_community_after_working_days", "workitem_street_after_working_days")
        values = [getattr(self, name) for name in chain]
        if values[0] < 0 or values != sorted(values):
            raise ConfigurationError(
                "MEIHAO_WORKITEM_GRID_LEADER/COMMUNITY/STREET_AFTER_WORKING_DAYS must be 0 or more and climb the chain in order "
                f"(grid leader ≤ community ≤ street), got {values[0]}, {values[1]}, {values[2]}",
                field="workitem_grid_leader_after_working_days",
            )
        for name in ("workitem_max_extensions", "workitem_max_extension_working_days", "workitem_max_extension_working_hours"):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"MEIHAO_{name.upper()} must be 0 or more, got {getattr(self, name)}", field=name)
        if self.volunteer_points_per_hour < 0 or self.volunteer_max_hours_per_record <= 0:
            raise ConfigurationError("MEIHAO_VOLUNTEER_POINTS_PER_HOUR must be 0 or more and MEIHAO_VOLUNTEER_MAX_HOURS_PER_RECORD "
                                     "more than 0", field="volunteer_points_per_hour")
        if self.volunteer_no_show_penalty_points < 0 or self.volunteer_shift_max_needed < 1 or not 0 <= self.volunteer_checkin_minutes <= 1440:
            raise ConfigurationError("MEIHAO_VOLUNTEER_NO_SHOW_PENALTY_POINTS must be 0 or more, MEIHAO_VOLUNTEER_SHIFT_MAX_NEEDED 1 or more "
                                     "and MEIHAO_VOLUNTEER_CHECKIN_MINUTES 0 to 1440", field="volunteer_no_show_penalty_points")
        if self.volunteer_star_hours != sorted(set(self.volunteer_star_hours)) or any(h <= 0 for h in self.volunteer_star_hours):
            raise ConfigurationError(f"MEIHAO_VOLUNTEER_STAR_HOURS must rise, each more than 0, got {self.volunteer_star_hours}",
                                     field="volunteer_star_hours")
        if self.workitem_check_batch < 1:
            raise ConfigurationError(f"MEIHAO_WORKITEM_CHECK_BATCH must be at least 1, got {self.workitem_check_batch}",
                                     field="workitem_check_batch")
        if self.workitem_check_seconds <= 0:
            raise ConfigurationError(f"MEIHAO_WORKITEM_CHECK_SECONDS must be above 0, got {self.workitem_check_seconds:g}",
                                     field="workitem_check_seconds")
        if not 0 <= self.workitem_basically_satisfied_weight <= 1:
            raise ConfigurationError(
                f"MEIHAO_WORKITEM_BASICALLY_SATISFIED_WEIGHT must be between 0 and 1, got {self.workitem_basically_satisfied_weight:g}",
                field="workitem_basically_satisfied_weight",
            )
        weights = ("workitem_response_weight", "workitem_resolution_weight", "workitem_satisfaction_weight")
        for name in weights:
            if getattr(self, name) < 0:
                raise ConfigurationError(f"MEIHAO_{name.upper()} must be 0 or more, got {getattr(self, name):g}", field=name)
        if sum(getattr(self, name) for name in weights) <= 0:
            raise ConfigurationError("MEIHAO_WORKITEM_RESPONSE/RESOLUTION/SATISFACTION_WEIGHT: at least one must be above 0",
                                     field="workitem_response_weight")
        if self.console_language not in ("zh_CN", "en"):
            raise ConfigurationError(f"MEIHAO_CONSOLE_LANGUAGE must be zh_CN or en, got {self.console_language!r}", field="console_language")
        try:
            ZoneInfo(self.default_timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ConfigurationError(
                f"MEIHAO_DEFAULT_TIMEZONE: {self.default_timezone!r} is not an IANA time zone (e.g. Asia/Shanghai)",
                field="default_timezone",
            ) from err

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def runs_scheduler(self) -> bool:
        return self.role in SCHEDULER_ROLES

    @property
    def serves_api(self) -> bool:
        return self.role in ("web", "both")

    def default_node_id(self, port: int | None = None, role: str | None = None) -> str:
        """``node_id`` when set, else ``<host>-<role>[-<port>]`` (stable across restarts of the same node)."""
        if self.node_id:
            return self.node_id
        host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()) or "node"
        return f"{host}-{role or self.role}" + (f"-{port}" if port else "")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:///")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def attachments_path(self) -> Path:
        """Where attachments are kept: ``attachments_dir``, else ``attachments/`` beside the SQLite file or in the working directory."""
        if self.attachments_dir:
            return Path(self.attachments_dir)
        return (self.sqlite_path.parent if self.is_sqlite else Path(".")) / "attachments"


def _check_working_week(hours: list[str], weekdays: list[int]) -> None:
    """The same rules as meihao.time.workcalendar.parse_segments (config sits beside time, not above it)."""
    last_end = None
    for segment in hours:
        start, sep, end = segment.partition("-")
        try:
            begins, ends = dt_time.fromisoformat(start.strip()), dt_time.fromisoformat(end.strip())
        except ValueError:
            begins = ends = None
        if begins is not None and ends is not None and (begins.tzinfo is not None or ends.tzinfo is not None):
            begins = ends = None  # a UTC offset ("08:30-12:00-13:00" reads 12:00 at UTC-13:00) is no wall-clock time
        if not sep or begins is None or ends is None or begins >= ends or (last_end is not None and begins < last_end):
            raise ConfigurationError(
                f"MEIHAO_WORKING_HOURS: {segment!r} must read HH:MM-HH:MM, end after start, segments in order without overlap",
                field="working_hours",
            )
        last_end = ends
    if not hours:
        raise ConfigurationError("MEIHAO_WORKING_HOURS: give at least one segment, e.g. 08:30-12:00,13:30-17:30", field="working_hours")
    if not weekdays or any(not 1 <= d <= 7 for d in weekdays):
        raise ConfigurationError("MEIHAO_WORKING_WEEKDAYS: give ISO weekdays 1 (Monday) to 7 (Sunday), e.g. 1,2,3,4,5",
                                 field="working_weekdays")


_FIELDS = {name for name in Settings.__struct_fields__}
_LIST_FIELDS = {"disabled_plugins", "plugins", "working_hours", "working_weekdays", "volunteer_star_hours", "calendar_files", "trusted_proxies", "sensitive_tags", "special_tags", "attachment_types"}


def _from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == "MEIHAO_CONFIG":
            continue
        name = key.removeprefix(ENV_PREFIX).lower()
        if name not in _FIELDS:
            continue  # other MEIHAO_* variables belong to plugins or tools
        values[name] = [part.strip() for part in raw.split(",") if part.strip()] if name in _LIST_FIELDS else raw.strip()
    return values


def load_settings(
    environ: dict[str, str] | None = None, config_file: Path | None = None, *, with_data_key: bool = True, **overrides: object
) -> Settings:
    """Read settings: defaults < meihao.toml < MEIHAO_* variables < explicit overrides.

    A wrong value raises ConfigurationError naming the setting. ``with_data_key=False`` is for
    commands that read no personal data (``meihao plugins``, every ``--help``): a missing
    MEIHAO_DATA_KEY is left empty instead of refused or made (no ``.key`` file is written).
    """
    env = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    path = config_file or Path(env.get("MEIHAO_CONFIG", "meihao.toml"))
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as err:
            raise ConfigurationError(f"{path}: not valid TOML: {err}") from err
        unknown = sorted(set(values) - _FIELDS)
        if unknown:
            raise ConfigurationError(f"{path}: unknown setting {unknown[0]!r}", field=unknown[0])
        files = values.get("calendar_files")
        if isinstance(files, list):  # relative to the file that names them, wherever meihao runs
            values["calendar_files"] = [str(path.parent / f) if isinstance(f, str) and not Path(f).is_absolute() else f for f in files]
    elif config_file is not None or "MEIHAO_CONFIG" in env:
        raise ConfigurationError(f"configuration file {path} does not exist")
    from_file = set(values)
    from_env = _from_environment(env)
    values.update(from_env)
    values.update(overrides)
    try:
        settings = msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as err:
        field, message = split_validation_error(str(err))
        name = (field or "").split("[")[0].split(".")[0]
        if name in from_env and name not in overrides:
            where = f"MEIHAO_{name.upper()}"
        elif name in from_file and name not in overrides:
            where = f"{name} in {path}"
        else:
            where = name or "settings"
        raise ConfigurationError(f"{where}: {message}", field=name or None) from err
    if not settings.data_key and with_data_key:
        if settings.mode == "production":
            raise ConfigurationError(
                "MEIHAO_DATA_KEY is not set: production mode needs a key for personal data "
                "(generate one with `meihao keygen`)",
                field="data_key",
            )
        if not settings.is_sqlite:
            # A key made up per process would differ between restarts and between nodes.
            raise ConfigurationError(
                "MEIHAO_DATA_KEY is not set: with PostgreSQL every process must share one key "
                "(generate one with `meihao keygen`)",
                field="data_key",
            )
        settings = msgspec.structs.replace(settings, data_key=demo_data_key(settings))
    return settings


def demo_data_key(settings: Settings) -> str:
    """In demo mode, a key kept beside the SQLite file so that restarts can still read the data."""
    from cryptography.fernet import Fernet

    key_file = settings.sqlite_path.with_name(settings.sqlite_path.name + ".key")
    try:
        if key_file.is_file():
            return _read_key(key_file)
        key = Fernet.generate_key().decode()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        # Exclusive create: of two commands started at once on a new database, one writes
        # the key and the other reads it, instead of each encrypting with its own.
        try:
            created = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read_key(key_file)
        with os.fdopen(created, "w") as out:
            out.write(key)
    except OSError as err:
        raise ConfigurationError(
            f"cannot keep the demo data key in {key_file}: {err.strerror or err}; "
            "check MEIHAO_DATABASE_URL or set MEIHAO_DATA_KEY",
            field="database_url",
        ) from err
    return key


def _read_key(key_file: Path) -> str:
    for _ in range(50):  # a process that has just created the file may not have written it yet
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise ConfigurationError(f"the demo data key file {key_file} is empty; delete it or set MEIHAO_DATA_KEY", field="data_key")
