"""Thin Prefect tasks over the engine, shared by the flows; artifacts and events helpers."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event

from engine.core.compile import CompiledPlan
from engine.core.status import STATUS_LABELS_VI, Status
from engine.loader import compile_file, read_text
from engine.reports.model import percent
from engine.settings import Settings
from engine.store.database import Store, open_store, utc_now
from engine.store.metrics import MetricRow, rollup
from engine.store.registry import RegistrationDiff, register_plan

# Per-instance events are capped per run: a national plan can reach thousands of
# instances in one sweep, and automations want the signal, not a flood.
MAX_INSTANCE_EVENTS = 500


class _SharedStore(Store):
    """A store shared by every task of this process; `close()` leaves it open."""

    def close(self) -> None:
        pass


_stores: dict[str, Store] = {}


def store_from(settings: Settings | None = None) -> Store:
    """The engine's store as configured by KEHOACH_* in the flow run's environment.

    Opened (and migrated) once per process and database URL: tasks run many times per
    flow, and opening a store checks the schema's migrations each time.
    """
    # Keyed by the two variables that decide the URL, so building Settings (which reads
    # the whole environment) happens only when they change.
    key = settings.resolved_database_url() if settings else \
        f"{os.environ.get('KEHOACH_DATABASE_URL')}|{os.environ.get('KEHOACH_HOME')}|{os.getcwd()}"
    if key not in _stores:
        url = (settings or Settings()).resolved_database_url()
        _stores[key] = _SharedStore(open_store(url=url).engine)
    return _stores[key]


@task(name="compile plan spec")
def compile_spec(spec_path: str) -> CompiledPlan:
    return compile_file(Path(spec_path))


@task(name="store plan")
def store_plan(plan: CompiledPlan, spec_path: str, *, actor: str = "prefect") -> RegistrationDiff:
    path = Path(spec_path)
    store = store_from()
    try:
        with store.transaction() as tx:
            return register_plan(tx, plan, spec_text=read_text(path),
                                 directory_text=read_text(path.parent / plan.spec.plan.directory),
                                 now=utc_now(), actor=actor)
    finally:
        store.close()


@task(name="metrics snapshot")
def metrics_snapshot(plan: str, period: str, *, as_of: dt.datetime | None = None,
                     ) -> list[MetricRow]:
    store = store_from()
    try:
        with store.transaction() as tx:
            return rollup(tx, plan=plan, period=period, by="agency", as_of=as_of)
    finally:
        store.close()


def publish_status_table(plan: str, period: str, rows: list[MetricRow]) -> None:
    """A Prefect table artifact: the four-way status per agency, lagging first."""
    table = [{"cơ quan": r.key, **{STATUS_LABELS_VI[s]: r.counts[s] for s in Status},
              "tỷ lệ hoàn thành": percent(r.completion_rate)} for r in rows]
    create_table_artifact(key=_key(f"status-{plan}"), table=table,
                          description=f"Tình trạng theo cơ quan, {plan}, kỳ {period}")


def publish_summary(key: str, markdown: str, description: str) -> None:
    create_markdown_artifact(key=_key(key), markdown=markdown, description=description)


def emit_instance_events(event: str, instances: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Emit `kehoach.instance.<event>` per instance (capped); returns how many were emitted."""
    emitted = 0
    for instance_id, payload in instances:
        if emitted >= MAX_INSTANCE_EVENTS:
            break
        emit_event(event=f"kehoach.instance.{event}",
                   resource={"prefect.resource.id": f"kehoach.instance.{instance_id}",
                             "kehoach.plan": instance_id.split(":", 1)[0]},
                   payload=payload)
        emitted += 1
    return emitted


def _key(text: str) -> str:
    # Artifact keys allow lower-case letters, digits and dashes only.
    return "".join(c if c.isalnum() else "-" for c in text.lower())

