"""A sweep over two cities' plans: agency ids repeat across directories, digests never mix."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.digest import Digest
from engine.core.spec import Directory, parse_plan_spec
from engine.loader import load_directory
from engine.mail.dispatch import dispatch
from engine.settings import Settings
from engine.store.database import Store, open_store
from engine.store.tables_escalation import OutboxRow
from engine.sweep.run import run_sweep
from notifiers.smtp import SmtpNotifier
from tests.conftest import spec_path
from tests.test_sweep_support import at, free_port, register_spec, smtp_server

HANOI, HAIPHONG = "hn-2019-89-tt-cchc", "hp-2019-42-tt-cchc"
SPECS = {HANOI: spec_path("hanoi/2019-89-tt-cchc.yaml"),
         HAIPHONG: spec_path("haiphong/2019-42-tt-cchc.yaml")}
# The first sweep of both plans at the end of 2019: every level of the year's tasks at once.
YEAR_END = at(2019, 12, 31)


class Queued(NamedTuple):
    """An outbox row as its reader sees it."""

    message_id: str
    recipient: str
    subject: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    digest: Digest

    def content(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...], bytes]:
        """Everything but the Message-ID (which names the sweep)."""
        return (self.recipient, self.subject, self.to, self.cc,
                orjson.dumps(self.digest.to_json()))


def directory_of(plan: str) -> Directory:
    path = SPECS[plan]
    spec, _ = parse_plan_spec(path.read_text("utf-8"), file=str(path))
    return load_directory((path.parent / spec.plan.directory).resolve())


def swept(store: Store, *, plan: str | None = None) -> list[Queued]:
    """What one sweep as of YEAR_END queues, rolled back (each call sees the same state)."""
    with Session(store.engine) as session:  # closed without commit: rolled back
        sweep_id = run_sweep(session, now=YEAR_END, plan=plan).sweep_id
        rows = session.scalars(select(OutboxRow).where(OutboxRow.sweep_id == sweep_id)
                               .order_by(OutboxRow.id))
        return [Queued(r.message_id, r.recipient, r.subject, tuple(r.to_addrs),
                       tuple(r.cc_addrs), Digest.from_json(r.payload)) for r in rows]


def city_of(queued: Queued) -> str:
    """The one plan (so the one directory) a digest's items come from."""
    plans = {item.plan for item in queued.digest.items}
    assert len(plans) == 1, f"{queued.message_id} lists items of {sorted(plans)}"
    return plans.pop()


@pytest.fixture
def two_cities(store: Store) -> Store:
    for path in SPECS.values():
        register_spec(store, path, now=at(2019, 1, 2))
    return store


def test_each_digest_lists_one_directorys_plans(two_cities: Store) -> None:
    queued = swept(two_cities)
    by_city = Counter(city_of(q) for q in queued)
    assert set(by_city) == {HANOI, HAIPHONG}
    both = {q.recipient for q in queued if city_of(q) == HANOI} & {
        q.recipient for q in queued if city_of(q) == HAIPHONG}
    assert {"so-noi-vu", "so-tu-phap", "thanh-tra-tp"} <= both  # ids both cities use
    for q in queued:
        assert {p.id for p in q.digest.plans} == {city_of(q)}


def test_no_address_of_one_city_is_in_the_other_citys_digests(two_cities: Store) -> None:
    addresses = {plan: {e for a in directory_of(plan).agencies for e in a.emails}
                 for plan in SPECS}
    assert not addresses[HANOI] & addresses[HAIPHONG]
    for q in swept(two_cities):
        own = addresses[city_of(q)]
        assert set(q.to) <= own, q.message_id
        assert set(q.cc) <= own, q.message_id
        parties = (q.digest.recipient, *q.digest.cc, *(p.monitor for p in q.digest.plans))
        assert all(set(p.emails) <= own for p in parties), q.message_id


def test_every_name_is_the_one_of_the_items_own_directory(two_cities: Store) -> None:
    names = {plan: {a.id: a.name for a in directory_of(plan).agencies} for plan in SPECS}
    for q in swept(two_cities):
        own = names[city_of(q)]
        assert q.digest.recipient.name == own[q.recipient]
        assert all(p.name == own[p.agency] for p in q.digest.cc)
        for item in q.digest.items:
            assert item.agency_name == names[item.plan][item.agency], item.instance_id


def test_message_ids_are_unique_and_name_the_directory_when_a_sweep_spans_two(
        two_cities: Store) -> None:
    queued = swept(two_cities)
    ids = [q.message_id for q in queued]
    assert len(set(ids)) == len(ids)
    directory = {HANOI: "hanoi-2019", HAIPHONG: "haiphong-2019"}
    for q in queued:
        assert q.message_id.endswith(f".{directory[city_of(q)]}.{q.recipient}@kehoach.invalid>")


def test_a_sweep_of_one_directory_keeps_the_short_message_id(two_cities: Store) -> None:
    queued = swept(two_cities, plan=HANOI)
    assert queued
    for q in queued:
        sweep, nonce = q.message_id.removeprefix("<sweep").split(".")[:2]
        assert re.fullmatch("[0-9a-f]{8}", nonce)
        assert q.message_id == f"<sweep{sweep}.{nonce}.{q.recipient}@kehoach.invalid>"


def test_two_databases_never_queue_the_same_message_id(tmp_path: Path) -> None:
    # Sweep ids restart in a new database; a receiving server may drop a mail whose
    # Message-ID it has seen, so the same sweep of the same plan in two databases (a rebuilt
    # one, a test copy) must give other ids.
    ids = []
    for name in ("a", "b"):
        store = open_store(url=f"sqlite:///{tmp_path / name}.db")
        register_spec(store, SPECS[HANOI], now=at(2019, 1, 2))
        ids.append({q.message_id for q in swept(store, plan=HANOI)})
        store.close()
    assert ids[0] and not ids[0] & ids[1]


def test_sweeping_both_cities_queues_what_sweeping_each_alone_does(two_cities: Store) -> None:
    together = swept(two_cities)
    alone = swept(two_cities, plan=HANOI) + swept(two_cities, plan=HAIPHONG)
    assert len(together) == len(alone)
    assert Counter(q.content() for q in together) == Counter(q.content() for q in alone)


def test_the_sweep_row_counts_every_digest(two_cities: Store) -> None:
    with two_cities.transaction() as tx:
        result = run_sweep(tx, now=YEAR_END)
    assert result.plans == (HANOI, HAIPHONG)
    with two_cities.transaction() as tx:
        count = len(list(tx.scalars(select(OutboxRow.id))))
    assert len(result.messages) == count
    assert Counter(result.messages)["so-noi-vu"] == 2



def test_each_mail_sent_goes_to_one_city_only(two_cities: Store) -> None:
    addresses = {plan: {e for a in directory_of(plan).agencies for e in a.emails}
                 for plan in SPECS}
    with two_cities.transaction() as tx:
        run_sweep(tx, now=YEAR_END)
    for controller, sink in smtp_server(free_port()):
        notifier = SmtpNotifier(host="127.0.0.1", port=controller.port,
                                sender="kehoach@example.org", timeout=5)
        result = dispatch(two_cities, notifier=notifier, now=YEAR_END,
                          settings=Settings(public_url="https://kehoach.example.org"))
        with two_cities.transaction() as tx:
            queued = set(tx.scalars(select(OutboxRow.message_id)))
        assert result.sent == len(queued) == len(sink.envelopes)
        assert Counter(sink.message_ids()) == Counter(dict.fromkeys(queued, 1))
        for _, rcpts, mail in sink.envelopes:
            cities = [plan for plan, own in addresses.items() if set(rcpts) <= own]
            assert len(cities) == 1, f"{mail['Message-ID']} went to {rcpts}"
