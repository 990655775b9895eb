"""The deadline language: Vietnamese and English due phrases read into dated occurrences.

The rules and their occurrences live in `engine.core.due_rules`, the phrase grammar in
`engine.core.due_phrases`; this module is the one place callers import them from.
"""

from __future__ import annotations

from engine.core.due_phrases import ACCEPTED_EXAMPLES, parse_due
from engine.core.due_rules import (
    RECURRENCES,
    Continuous,
    DayCounter,
    DueRule,
    EveryYearFrom,
    FixedDate,
    Occurrence,
    PeriodEnd,
    Recurring,
    Relative,
    ReportCadence,
    Span,
    end_of_day,
)

__all__ = [
    "ACCEPTED_EXAMPLES", "RECURRENCES", "Continuous", "DayCounter", "DueRule", "EveryYearFrom",
    "FixedDate", "Occurrence", "PeriodEnd", "Recurring", "Relative", "ReportCadence", "Span",
    "end_of_day", "parse_due",
]
