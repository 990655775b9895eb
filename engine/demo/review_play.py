"""The demo's review steps: some agencies ask for more time and the issuer decides; the
standing unit returns some reports, which their agencies send again. Real webhook calls."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import httpx

from engine.core.compile import CompiledPlan
from engine.demo.play import LOCAL, Delivery

ASK_REASON = "Chờ ý kiến thẩm định của các sở, ngành liên quan"
RETURN_REASON = "Hồ sơ minh chứng chưa đầy đủ: thiếu văn bản ban hành có chữ ký, đóng dấu"
REFUSE_REASON = "Không có căn cứ gia hạn; đề nghị tập trung hoàn thành đúng hạn"
EXTENSIONS, RETURNS = 8, 10


@dataclass(frozen=True, slots=True)
class Step:
    """One review call of the year: who calls what, when, with which body."""

    at: dt.datetime
    kind: str            # ask | approve | refuse | return | resend
    agency: str          # whose token
    path: str            # a decision's is the tag of its request
    body: dict[str, Any]
    tag: str = ""        # a request's, for its decision to find the id it was given


def review_steps(plan: CompiledPlan, calls: list[Delivery], rng: random.Random,
                 ) -> tuple[list[Step], list[Delivery]]:
    """The review calls of the year, and the deliveries left to send as they were (an
    agency granted more time completes by its new date instead)."""
    header = plan.spec.plan
    by_id = {i.id: i for i in plan.instances}
    single = [d for d in calls if d.count is None and by_id[d.instance_id].due_date]
    late = [d for d in single if d.at.date() > by_id[d.instance_id].due_date  # type: ignore[operator]
            and by_id[d.instance_id].due_date < dt.date(header.year, 12, 1)]  # type: ignore[operator]
    asking = rng.sample(late, min(EXTENSIONS, len(late)))
    returned = rng.sample([d for d in single if d not in asking],
                          min(RETURNS, len(single) - len(asking)))
    steps: list[Step] = []
    kept = [d for d in calls if d not in asking]
    for n, delivery in enumerate(asking):
        due = by_id[delivery.instance_id].due_date
        assert due is not None
        asked_on = plan.calendar.add_working_days(due, -3)
        wanted = plan.calendar.add_working_days(due, 10)
        decided_on = plan.calendar.add_working_days(asked_on, 2)
        steps.append(Step(_at(asked_on, 9), "ask", delivery.agency,
                          f"/api/v1/instances/{delivery.instance_id}/extension-requests",
                          {"due": wanted.isoformat(), "reason": ASK_REASON}, tag=f"#{n}"))
        if n % 4 == 3:  # one request in four refused: the agency then finishes late
            steps.append(Step(_at(decided_on, 15), "refuse", header.issuer, f"#{n}",
                              {"reason": REFUSE_REASON}))
            kept.append(delivery)
            continue
        granted = plan.calendar.add_working_days(due, 10 - 3 * (n % 2))  # some less than asked
        steps.append(Step(_at(decided_on, 15), "approve", header.issuer, f"#{n}",
                          {"due": granted.isoformat()}))
        kept.append(Delivery(_at(plan.calendar.add_working_days(granted, -1), 10),
                             delivery.instance_id, delivery.agency, None,
                             delivery.evidence_url))
    for delivery in returned:
        back_on = plan.calendar.add_working_days(delivery.at.date(), 2)
        steps.append(Step(_at(back_on, 14), "return", header.monitor,
                          f"/api/v1/instances/{delivery.instance_id}/review/return",
                          {"reason": RETURN_REASON}))
        kept.append(Delivery(_at(plan.calendar.add_working_days(back_on, 4), 11),
                             delivery.instance_id, delivery.agency, None,
                             delivery.evidence_url))
    return sorted(steps, key=lambda s: s.at), sorted(kept, key=lambda d: d.at)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LOCAL)


class ReviewPlayer:
    """Sends the review steps day by day; a decision names its request by the id the
    request's answer gave."""

    def __init__(self, steps: list[Step], tokens: dict[str, str]) -> None:
        self.pending = list(steps)
        self.tokens = tokens
        self.request_ids: dict[str, int] = {}
        self.counts = {"ask": 0, "approve": 0, "refuse": 0, "return": 0, "failed": 0}

    def play(self, client: httpx.Client, day: dt.date) -> None:
        while self.pending and self.pending[0].at.date() <= day:
            step = self.pending.pop(0)
            path = step.path
            if path.startswith("#"):
                if path not in self.request_ids:  # its request was refused: nothing to decide
                    self.counts["failed"] += 1
                    continue
                path = f"/api/v1/extension-requests/{self.request_ids[path]}/{step.kind}"
            response = client.post(path, json={**step.body, "at": step.at.isoformat()},
                                   headers={"Authorization": f"Bearer {self.tokens[step.agency]}"})
            if response.status_code >= 400:
                self.counts["failed"] += 1
                continue
            self.counts[step.kind] += 1
            if step.kind == "ask":
                self.request_ids[step.tag] = int(response.json()["id"])
