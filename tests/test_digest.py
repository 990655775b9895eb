"""Digests: the JSON payload and the subject's levels, as the outbox stores them."""

from __future__ import annotations

import dataclasses
import datetime as dt

from engine.core.digest import Digest, DigestItem, Party, PlanInfo, _item_json

D = dt.date
PLAN = PlanInfo("p", "84/KH-UBND", "Kế hoạch", Party("so-noi-vu", "Sở Nội vụ"))


def item(level: str, offset: int, label: str, plan: str = "p", task: str = "t") -> DigestItem:
    return DigestItem(f"{plan}:{task}:{level}", plan, task, "Nhiệm vụ", "so-y-te", "Sở Y tế",
                      "2024", D(2024, 2, 20), D(2024, 2, 20), level, label, offset, 3,
                      target=5, progress=2, unit="báo cáo")


def test_an_item_is_written_with_every_field_in_declaration_order() -> None:
    one = item("overdue", 1, "Quá hạn")
    data = _item_json(one)
    assert list(data) == [f.name for f in dataclasses.fields(DigestItem)]
    assert data["due_date"] == "2024-02-20" and data["printed_due"] == "2024-02-20"
    assert Digest.from_json({"recipient": {"agency": "a", "name": "A", "emails": [],
                                           "reason": ""}, "as_of": "2024-03-01",
                             "plans": [], "items": [data], "cc": []}).items == (one,)


def test_levels_are_the_section_labels_gravest_first() -> None:
    q = PlanInfo("q", "9/KH-UBND", "Khác", PLAN.monitor)
    items = (item("reminder", -5, "Nhắc việc"), item("leadership", 15, "Báo cáo lãnh đạo", "q"),
             item("overdue", 1, "Quá hạn"), item("leadership", 15, "Báo cáo lãnh đạo"),
             item("overdue", 1, "Quá hạn", "q", "u"))
    digest = Digest(Party("so-y-te", "Sở Y tế"), D(2024, 3, 1), (PLAN, q), items)
    assert digest.levels() == list(dict.fromkeys(s.level_label for s in digest.sections()))
    assert digest.levels() == ["Báo cáo lãnh đạo", "Quá hạn", "Nhắc việc"]
