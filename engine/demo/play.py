"""The demo's simulated agencies: who completes what when, sent as real webhook calls."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx

from engine.core.compile import CompiledPlan, Instance
from engine.core.policy import policy_for
from engine.core.workdays import WorkCalendar
from engine.store.registry import workday_ordinals

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How one simulated agency works: mostly on time, often late, or mostly silent."""

    kind: str        # "diligent" | "late" | "silent"
    reliability: float


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook call an agency will make: complete, or report progress."""

    at: dt.datetime
    instance_id: str
    agency: str
    count: int | None
    evidence_url: str | None


def behaviours(plan: CompiledPlan, rng: random.Random) -> dict[str, Behaviour]:
    agencies = sorted({i.agency for i in plan.instances})
    return {a: _behaviour(rng) for a in agencies}


def _behaviour(rng: random.Random) -> Behaviour:
    roll = rng.random()
    if roll < 0.6:
        return Behaviour("diligent", 0.95)
    return Behaviour("late", 0.8) if roll < 0.88 else Behaviour("silent", 0.2)


def deliveries(plan: CompiledPlan, rng: random.Random) -> list[Delivery]:
    """Every webhook call of the year, in time order."""
    who = behaviours(plan, rng)
    calls = [d for inst in plan.instances
             for d in _for_instance(inst, who[inst.agency], plan.calendar, rng)]
    return sorted(calls, key=lambda d: d.at)


def _for_instance(inst: Instance, who: Behaviour, calendar: WorkCalendar,
                  rng: random.Random) -> Iterator[Delivery]:
    if inst.due_date is None or rng.random() > who.reliability:
        return
    offset = -rng.randint(0, 10) if who.kind == "diligent" else rng.randint(-3, 25)
    day = calendar.add_working_days(inst.due_date, offset)
    at = dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))),
                             LOCAL)
    evidence = f"https://{inst.agency}.example.org/cchc/{inst.period}"
    if inst.target and inst.target > 1:
        first = rng.randint(1, inst.target - 1)
        yield Delivery(at - dt.timedelta(days=20), inst.id, inst.agency, first, None)
        yield Delivery(at, inst.id, inst.agency, inst.target - first, evidence)
        return
    yield Delivery(at, inst.id, inst.agency, None, evidence)


def sweep_mornings(plan: CompiledPlan) -> set[dt.date]:
    """The days on which some instance reaches an escalation level of its task's policy.

    A sweep on any other morning finds nothing newly reached, so the demo can skip it.
    """
    ordinals = workday_ordinals(plan)
    first_day: dict[int, dt.date] = {}
    for day, ordinal in sorted(ordinals.items(), reverse=True):
        if plan.calendar.is_working_day(day):
            first_day[ordinal] = day
    offsets = {t.id: [lv.offset for lv in policy_for(plan.spec.plan, t).levels]
               for t in plan.spec.tasks}
    dues = {(i.task, ordinals[i.due_date]) for i in plan.instances if i.due_date}
    days = {first_day[d + o] for task, d in dues for o in offsets[task] if d + o in first_day}
    return {day for day in days if day.year == plan.spec.plan.year}


def post(client: httpx.Client, delivery: Delivery, token: str) -> int:
    """Send one delivery through the webhook API; returns the HTTP status."""
    kind = "progress" if delivery.count is not None else "complete"
    body: dict[str, object] = {"completed_at": delivery.at.isoformat()}
    if delivery.count is not None:
        body["count"] = delivery.count
    if delivery.evidence_url:
        body["evidence_url"] = delivery.evidence_url
    response = client.post(f"/api/v1/instances/{delivery.instance_id}/{kind}", json=body,
                           headers={"Authorization": f"Bearer {token}",
                                    "Idempotency-Key": f"demo-{delivery.instance_id}-"
                                                       f"{delivery.at.timestamp():.0f}"})
    return response.status_code
