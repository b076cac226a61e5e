"""toolshelf's settings, per community: every field has a default."""

from __future__ import annotations

import msgspec


class ToolshelfSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    #: A loan is due this many working days after it is lent (the street's working calendar: holidays and 调休 count).
    loan_working_days: int = 5
    #: At most this many tools on loan to one resident at a time.
    max_loans_per_resident: int = 2
    #: The borrower hears on the working day before the due day, and on each day a loan is overdue.
    remind_before_due: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.loan_working_days <= 60:
            raise ValueError("loan_working_days must be between 1 and 60")
        if not 1 <= self.max_loans_per_resident <= 20:
            raise ValueError("max_loans_per_resident must be between 1 and 20")
