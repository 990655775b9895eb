"""Benchmark: one Prefect task per instance versus the engine's set-wise sweep.

    .venv/bin/python bench/prefect_baseline.py [--instances 1000]

The same escalation decision for the same 1,000 open instances (a generated plan of 1,000
communes with one task due the day before the sweep), made two ways in one run:
  - the tempting design: a Prefect flow that maps one task per instance, each task calling
    engine.core.escalation.decide_escalations on its one instance (on Prefect's temporary server);
  - the engine's design: engine.sweep.run.run_sweep over the stored plan, set-wise in SQL, in one
    transaction (recording the escalations and queueing the digests as well).
Both must find the same number of escalations. Goal (issue 6): the engine >= 1,000x faster.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from prefect import flow, task, unmapped  # noqa: E402  (after the environment is set)

from engine.core.escalation import OpenInstance, PlanContext, decide_escalations  # noqa: E402

HN = ZoneInfo("Asia/Ho_Chi_Minh")
REPEATS = 5
NOW = dt.datetime(2026, 3, 3, 8, 0, tzinfo=HN)  # the first working day after the due date


def write_plan(folder: Path, communes: int) -> Path:
    agencies = [{"id": "ubnd-tinh", "name": "UBND tỉnh", "kind": "issuer"},
                {"id": "so-noi-vu", "name": "Sở Nội vụ", "kind": "department"}]
    agencies += [{"id": f"xa-{n:04d}", "name": f"UBND xã {n}", "kind": "commune",
                  "emails": [f"xa-{n:04d}@example.org"]} for n in range(communes)]
    directory = {"directory": {"id": "bench", "city": "Bench", "valid_from": "2026-01-01",
                               "valid_until": "2026-12-31"},
                 "agencies": agencies,
                 "groups": [{"id": "xa", "name": "UBND các xã",
                             "members": [a["id"] for a in agencies[2:]]}]}
    plan = {"plan": {"id": "bench-2026", "title": "Bench", "year": 2026, "issuer": "ubnd-tinh",
                     "monitor": "so-noi-vu", "directory": "directory.yaml"},
            "tasks": [{"id": "bao-cao", "title": "Báo cáo", "lead": ["group:xa"],
                       "due": "Chậm nhất ngày 02/03/2026"}]}
    (folder / "directory.yaml").write_text(yaml.safe_dump(directory, allow_unicode=True), "utf-8")
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), "utf-8")
    return path


@task
def decide_one(instance: OpenInstance, context: PlanContext) -> int:
    """The escalation decision for one instance, as one Prefect task run."""
    return len(decide_escalations([instance], plan=context, now=NOW))


@flow
def sweep_per_instance(items: list[OpenInstance], context: PlanContext) -> int:
    return sum(f.result() for f in decide_one.map(items, context=unmapped(context)))


def per_instance_prefect(plan_path: Path) -> tuple[float, int]:
    from engine.loader import compile_file

    compiled = compile_file(plan_path)
    context = PlanContext(id="bench-2026", issuer="ubnd-tinh", monitor="so-noi-vu",
                          timezone="Asia/Ho_Chi_Minh", calendar=compiled.calendar)
    instances = [OpenInstance(i.id, i.task, i.agency, i.due_date) for i in compiled.instances]
    sweep_per_instance(instances[:2], context)  # start the temporary server outside the timing
    gc.collect()  # as before each timing: the setup's garbage is not the design's cost
    start = time.perf_counter()
    found = sweep_per_instance(instances, context)
    return time.perf_counter() - start, found


def engine_decision(plan_path: Path) -> tuple[float, int]:
    """The same decision made set-wise by the engine's pure core, in one call."""
    from engine.loader import compile_file

    compiled = compile_file(plan_path)
    context = PlanContext(id="bench-2026", issuer="ubnd-tinh", monitor="so-noi-vu",
                          timezone="Asia/Ho_Chi_Minh", calendar=compiled.calendar)
    instances = [OpenInstance(i.id, i.task, i.agency, i.due_date) for i in compiled.instances]
    del compiled
    times, found = [], 0
    for _ in range(REPEATS):  # ~10 ms a call: the median of a few, not one noisy sample
        gc.collect()
        start = time.perf_counter()
        found = len(decide_escalations(instances, plan=context, now=NOW))
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


def engine_sweep(plan_path: Path, folder: Path) -> tuple[float, float, int]:
    """The engine's sweep over the stored plan, timed on copies of the database: cold (the
    first sweep of a fresh process, which reads the plan's directory) and warm (a
    long-running worker that has swept this plan before and kept it parsed; the median of
    a few, as a single sweep of tens of milliseconds varies by half from run to run)."""
    from engine.loader import compile_file, read_text
    from engine.store.database import open_store, utc_now
    from engine.store.registry import register_plan
    from engine.sweep.run import run_sweep

    store = open_store(url=f"sqlite:///{folder}/bench.db")
    with store.transaction() as tx:
        register_plan(tx, compile_file(plan_path), spec_text=read_text(plan_path),
                      directory_text=read_text(plan_path.parent / "directory.yaml"),
                      now=utc_now())
    store.close()
    for n in range(REPEATS):
        shutil.copy(folder / "bench.db", folder / f"warm{n}.db")

    def timed_sweep(db: str, *, warm_up: bool) -> tuple[float, int]:
        store = open_store(url=f"sqlite:///{folder}/{db}")
        if warm_up:  # an earlier morning: nothing due yet, but the plan is now parsed
            with store.transaction() as tx:
                assert run_sweep(tx, now=NOW - dt.timedelta(days=30)).escalations == 0
        gc.collect()
        start = time.perf_counter()
        with store.transaction() as tx:
            result = run_sweep(tx, now=NOW)
        seconds = time.perf_counter() - start
        store.close()
        return seconds, result.escalations

    cold, found = timed_sweep("bench.db", warm_up=False)
    warm = [timed_sweep(f"warm{n}.db", warm_up=True) for n in range(REPEATS)]
    assert all(warm_found == found for _, warm_found in warm)
    return cold, statistics.median(seconds for seconds, _ in warm), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["PREFECT_HOME"] = str(folder / "prefect")
        plan = write_plan(folder, args.instances)
        print("engine sweep...", file=sys.stderr)
        sweep, warm, sweep_found = engine_sweep(plan, folder)
        decision, decision_found = engine_decision(plan)
        print(f"{args.instances} Prefect tasks...", file=sys.stderr)
        theirs, theirs_found = per_instance_prefect(plan)
    print(f"instances                                  {args.instances:>10,}")
    print(f"one Prefect task per instance              {theirs:>10.3f} s  "
          f"({theirs_found} escalations)")
    print(f"engine decision, set-wise (one call)       {decision:>10.4f} s  "
          f"({decision_found}) -> {theirs / decision:,.0f} x faster")
    print(f"engine sweep: decide in SQL, record, queue {sweep:>10.4f} s  "
          f"({sweep_found}) -> {theirs / sweep:,.0f} x faster   (goal >= 1,000 x)")
    print(f"  the same, plan already parsed (warm)     {warm:>10.4f} s  "
          f"({sweep_found}) -> {theirs / warm:,.0f} x faster")
    if not theirs_found == decision_found == sweep_found:
        print("MISMATCH: the designs found different escalations")
        return 1
    return 0 if theirs / sweep >= 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
