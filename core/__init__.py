"""meihao (美好): a plugin framework for the community-service scenes of an urban sub-district.

This module is the public API for plugin authors: import from ``meihao`` only.
"""

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.access.staff import staff_works_in
from meihao.attachments.service import AttachmentOwner, TooLarge, UnsupportedType, list_attachments
from meihao.attachments.service import delete as delete_attachment
from meihao.attachments.service import download as download_attachment
from meihao.attachments.service import remove_all as remove_attachments
from meihao.attachments.service import upload as upload_attachment
from meihao.db.migration_helpers import add_index, add_unique_index
from meihao.db.paging import Page, PageResult, paginate
from meihao.db.transactions import transaction
from meihao.errors import Conflict, Forbidden, InvalidInput, MeihaoError, NotFound, PluginError
from meihao.handovers import HandOver, Intake, Receipt, can_hand_over, hand_over
from meihao.hooks.declarations import (
    SCENES,
    Audience,
    CardFigure,
    Channel,
    ConsoleCard,
    ConsolePages,
    DoctorCheck,
    Job,
    Message,
    Metric,
    NavLink,
    NoSettings,
    PermanentFailure,
    Permission,
    QueueItem,
    Scenario,
)
from meihao.hooks.specs import hookimpl, hookspec
from meihao.money import fen_to_yuan, yuan_to_fen
from meihao.privacy import csv_cell, csv_line, mask_phone, normalise_email, normalise_phone
from meihao.register.calendar import working_calendar
from meihao.register.communities import get_community
from meihao.register.community_scenarios import scenario_settings
from meihao.register.schemas import CommunityInfo
from meihao.register.scopes import scope_where, scoped_household, scoped_resident, scoped_row, scoped_staff
from meihao.register.street import street_communities, street_settings
from meihao.reminders.activities import (
    ActivityIn,
    ActivityPatch,
    activity_occurrences,
    cancel_occurrence,
    create_activity,
    get_activity,
    update_activity,
)
from meihao.reminders.notices import NoticeIn, cancel_activity, notify
from meihao.reminders.recipients import remove_contact, set_contact
from meihao.runtime import Meihao
from meihao.time.clock import FakeClock
from meihao.time.community import community_now, community_today
from meihao.time.wording import (
    surname_of,
    zh_address,
    zh_committee,
    zh_date,
    zh_interval,
    zh_join,
    zh_overdue,
    zh_salutation,
    zh_signature,
    zh_time,
    zh_when,
)
from meihao.time.workcalendar import Deadline, WorkingCalendar, add_working_days, add_working_hours, is_workday, working_time_between
from meihao.version import __version__
from meihao.volunteering.certificate import certificate_pdf as volunteer_certificate
from meihao.volunteering.ledger import award_points, points_balance, spend_points, volunteer_summary
from meihao.volunteering.ledger import community_hours as volunteer_hours
from meihao.volunteering.ledger import record_service as record_volunteer_service
from meihao.volunteering.ledger import reverse_transfer as reverse_points
from meihao.volunteering.ledger import verify_service as verify_volunteer_service
from meihao.volunteering.shifts import add_member as add_volunteer_member
from meihao.volunteering.shifts import cancel_signup as cancel_volunteer_signup
from meihao.volunteering.shifts import create_shift as create_volunteer_shift
from meihao.volunteering.shifts import create_team as create_volunteer_team
from meihao.volunteering.shifts import sign_up as sign_up_volunteer
from meihao.web.attachments import attachment_routes
from meihao.web.auth import requires
from meihao.web.console.forms import FormError, FormFields
from meihao.web.console.lists import (
    BulkAction,
    Facet,
    ListQuery,
    Option,
    Pager,
    bulk_action,
    csv_download,
    facet,
    list_views,
    pager,
    saved_view_handlers,
    xlsx_download,
)
from meihao.web.console.rendering import render_page
from meihao.web.console.resident_links import CurrentResident, ResidentLink
from meihao.web.console.session import page_requires
from meihao.web.params import Caller, CurrentCommunity, PageNumber, PageSize, PathId, QueryYear, Runtime
from meihao.web.responses import error_response
from meihao.webhook_targets import Target as WebhookTarget
from meihao.webhook_targets import TargetRefused as WebhookTargetRefused
from meihao.webhook_targets import check_target as check_webhook_target
from meihao.webhooks import WebhookFailed, WebhookReply, post_webhook, sign_webhook, webhook_secret
from meihao.workitems.callbacks import CALLBACK_RESULTS, item_callbacks, record_callback, work_item_rates
from meihao.workitems.items import (
    assign_item,
    count_work_items,
    extend_item,
    get_work_item,
    item_deadlines,
    list_work_items,
    open_item,
    transition_item,
)
from meihao.workitems.workflows import DeadlineClock, Duration, EscalationLevel, Transition, Workflow

__all__ = [
    "ActivityIn",
    "ActivityPatch",
    "AttachmentOwner",
    "Audience",
    "BulkAction",
    "CALLBACK_RESULTS",
    "Caller",
    "CardFigure",
    "Channel",
    "CommunityInfo",
    "Conflict",
    "ConsoleCard",
    "ConsolePages",
    "CurrentCommunity",
    "CurrentResident",
    "Deadline",
    "DeadlineClock",
    "Duration",
    "EscalationLevel",
    "Facet",
    "FakeClock",
    "Forbidden",
    "FormError",
    "FormFields",
    "HandOver",
    "Intake",
    "InvalidInput",
    "Job",
    "ListQuery",
    "Meihao",
    "MeihaoError",
    "Message",
    "Metric",
    "DoctorCheck",
    "NavLink",
    "NoSettings",
    "NotFound",
    "NoticeIn",
    "Option",
    "Page",
    "PageNumber",
    "PageResult",
    "PageSize",
    "Pager",
    "PathId",
    "PermanentFailure",
    "Permission",
    "PluginError",
    "Principal",
    "QueryYear",
    "QueueItem",
    "Receipt",
    "ResidentLink",
    "Runtime",
    "SCENES",
    "Scenario",
    "TooLarge",
    "Transition",
    "UnsupportedType",
    "WebhookFailed",
    "WebhookReply",
    "WebhookTarget",
    "WebhookTargetRefused",
    "Workflow",
    "WorkingCalendar",
    "__version__",
    "activity_occurrences",
    "add_index",
    "add_unique_index",
    "add_working_days",
    "add_working_hours",
    "assign_item",
    "attachment_routes",
    "audit",
    "award_points",
    "bulk_action",
    "can_hand_over",
    "cancel_activity",
    "cancel_occurrence",
    "check_webhook_target",
    "community_now",
    "community_today",
    "count_work_items",
    "create_activity",
    "csv_cell",
    "csv_download",
    "csv_line",
    "delete_attachment",
    "download_attachment",
    "error_response",
    "extend_item",
    "facet",
    "fen_to_yuan",
    "get_activity",
    "get_community",
    "get_work_item",
    "hand_over",
    "hookimpl",
    "hookspec",
    "is_workday",
    "item_callbacks",
    "item_deadlines",
    "list_attachments",
    "list_views",
    "list_work_items",
    "mask_phone",
    "normalise_email",
    "normalise_phone",
    "notify",
    "open_item",
    "page_requires",
    "pager",
    "paginate",
    "points_balance",
    "post_webhook",
    "record_callback",
    "record_volunteer_service",
    "remove_attachments",
    "remove_contact",
    "render_page",
    "requires",
    "reverse_points",
    "saved_view_handlers",
    "scenario_settings",
    "street_communities",
    "street_settings",
    "scope_where",
    "scoped_household",
    "scoped_resident",
    "scoped_row",
    "scoped_staff",
    "set_contact",
    "sign_webhook",
    "spend_points",
    "staff_works_in",
    "surname_of",
    "transaction",
    "transition_item",
    "update_activity",
    "upload_attachment",
    "verify_volunteer_service",
    "volunteer_hours",
    "volunteer_summary",
    "add_volunteer_member",
    "cancel_volunteer_signup",
    "create_volunteer_shift",
    "create_volunteer_team",
    "sign_up_volunteer",
    "volunteer_certificate",
    "webhook_secret",
    "work_item_rates",
    "working_calendar",
    "working_time_between",
    "xlsx_download",
    "yuan_to_fen",
    "zh_address",
    "zh_committee",
    "zh_date",
    "zh_interval",
    "zh_join",
    "zh_overdue",
    "zh_salutation",
    "zh_signature",
    "zh_time",
    "zh_when",
]
