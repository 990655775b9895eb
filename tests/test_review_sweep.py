"""The sweep and review: a pending extension is named to the approver and reminded while
unanswered; outcomes are told to the lead; a returned completion re-enters the escalation
chain and an extended one is judged against its new due; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from engine.core.digest import Digest
from engine.mail.render import render_digest
from engine.store.database import Store
from engine.store.review import (
    decide_extension,
    request_extension,
    return_completion,
    submit_completion,
)
from engine.sweep.run import run_sweep
from tests.test_sweep_support import (
    at,
    clean_escalation_tables,
    iid,
    levels_of,
    outbox,
    register_seed,
)

TASK = "ban-hanh-ke-hoach"  # due Tuesday 20/02/2024
HEALTH, FINANCE = iid(TASK, "so-y-te"), iid(TASK, "so-tai-chinh")


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


def sweep(store: Store, day: tuple[int, int, int]) -> dict[str, Digest]:
    """Sweep as of 08:00 of `day`; the digests it queued, by recipient."""
    with store.transaction() as tx:
        sweep_id = run_sweep(tx, now=at(*day)).sweep_id
    return {r.recipient: Digest.from_json(r.payload) for r in outbox(store)
            if r.sweep_id == sweep_id}


def kinds(digest: Digest | None) -> list[str]:
    return [n.kind for n in digest.notes] if digest else []


def test_requests_outcomes_and_returns_in_the_digests(seeded: Store) -> None:
    with seeded.transaction() as tx:
        request_extension(tx, instance_id=FINANCE, due=dt.date(2024, 3, 5),
                          reason="Chờ ý kiến của Bộ", actor="so-tai-chinh",
                          agency="so-tai-chinh", now=at(2024, 2, 16, 9), source="test")
        submit_completion(tx, instance_id=HEALTH, at=at(2024, 2, 15, 10), actor="so-y-te",
                          source="test")
    first = sweep(seeded, (2024, 2, 19))  # Monday
    assert kinds(first.get("ubnd-tp")) == ["extension_requested"]  # to the approver only
    assert "extension_requested" not in kinds(first.get("so-noi-vu"))
    mail = render_digest(first["ubnd-tp"], message_id="<t@example.org>",
                         public_url="https://kehoach.example.org")
    assert "Đề nghị gia hạn chờ quyết định" in mail.subject
    assert "đề nghị gia hạn đến 05/03/2024" in mail.text
    assert "/api/v1/extension-requests/1/approve" in mail.text
    assert "Chờ ý kiến của Bộ" in (mail.html or "")
    assert HEALTH not in {i.instance_id for d in first.values() for i in d.items}  # done
    with seeded.transaction() as tx:
        return_completion(tx, instance_id=HEALTH, actor="so-noi-vu", agency="so-noi-vu",
                          now=at(2024, 2, 19, 10), source="test", reason="Thiếu chữ ký")
    second = sweep(seeded, (2024, 2, 20))
    assert kinds(second.get("ubnd-tp")) == []  # told yesterday; reminded after 2 working days
    assert kinds(second["so-y-te"]) == ["completion_returned"]
    # Back in the chain where it stands: 0 days before its due, so at the reminder level.
    assert [i.level for i in second["so-y-te"].items if i.instance_id == HEALTH] == ["reminder"]
    text = render_digest(second["so-y-te"], message_id="<u@example.org>",
                         public_url="https://kehoach.example.org").text
    assert "BÁO CÁO HOÀN THÀNH BỊ TRẢ LẠI" in text and "Thiếu chữ ký" in text
    assert "thời hạn 20/02/2024 giữ nguyên" in text and "CÁCH BÁO CÁO HOÀN THÀNH" in text
    third = sweep(seeded, (2024, 2, 21))
    assert kinds(third.get("ubnd-tp")) == ["extension_reminder"]
    assert "overdue" in levels_of(seeded, HEALTH)
    assert "overdue" in levels_of(seeded, FINANCE)  # asked for time, not granted yet
    with seeded.transaction() as tx:
        decide_extension(tx, request_id=1, approve=True, actor="ubnd-tp", agency="ubnd-tp",
                         now=at(2024, 2, 21, 10), source="test", due=dt.date(2024, 3, 1))
    assert levels_of(seeded, FINANCE) == {}  # the chain starts again from 01/03
    fourth = sweep(seeded, (2024, 2, 22))
    approved = [n for n in fourth["so-tai-chinh"].notes if n.instance_id == FINANCE]
    assert [(n.kind, n.due_date, n.new_due) for n in approved] == [
        ("extension_approved", dt.date(2024, 2, 20), dt.date(2024, 3, 1))]
    assert kinds(fourth.get("ubnd-tp")) == []  # decided: no more reminders
    assert FINANCE not in {i.instance_id for d in fourth.values() for i in d.items}
    sweep(seeded, (2024, 2, 23))  # 5 working days before 01/03: the reminder again
    assert levels_of(seeded, FINANCE) == {"reminder": True}
    sweep(seeded, (2024, 3, 4))
    assert "overdue" in levels_of(seeded, FINANCE)
