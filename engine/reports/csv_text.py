"""The period report's per-task table as CSV text."""

from __future__ import annotations

import csv
import io

from engine.reports.model import HEADERS_VI, Report, task_line


def to_csv(report: Report) -> str:
    """The per-task table as CSV (UTF-8, Vietnamese headers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS_VI)
    for n, (task, row) in enumerate(report.tasks, 1):
        writer.writerow(task_line(n, task, row))
    return buffer.getvalue()
