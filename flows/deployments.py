"""Deployments of the kehoach flows, with their schedules in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from typing import Any

from prefect.schedules import Cron, Schedule

TIMEZONE = "Asia/Ho_Chi_Minh"
SWEEP_CRON = "0 8 * * *"  # every morning at 08:00, before the working day gets going
# Period ends: the report of a cumulative window is built on its last day, after hours.
REPORT_SCHEDULES = {"Q1": "0 17 31 3 *", "H1": "0 17 30 6 *", "9M": "0 17 30 9 *",
                    "Y": "0 17 31 12 *"}


def sweep_schedule() -> Schedule:
    return Cron(SWEEP_CRON, timezone=TIMEZONE)


def report_schedules(plan: str) -> list[Schedule]:
    return [Cron(cron, timezone=TIMEZONE, parameters={"plan": plan, "window": window},
                 slug=f"report-{window.lower()}")
            for window, cron in REPORT_SCHEDULES.items()]


def build_deployments(plans: list[str]) -> list[Any]:
    """RunnerDeployments to serve: the daily sweep, and a period report per plan."""
    from flows.report import period_report_flow
    from flows.sweep import daily_sweep_flow

    deployments = [daily_sweep_flow.to_deployment(name="daily-sweep", schedule=sweep_schedule(),
                                                  tags=["kehoach"])]
    for plan in plans:
        deployments.append(period_report_flow.to_deployment(
            name=f"period-report-{plan}", schedules=report_schedules(plan), tags=["kehoach"]))
    return deployments
