"""The register flow: validate and compile a plan spec, store it, publish the diff."""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.tasks import compile_spec, publish_summary, store_plan


@flow(name="kehoach-register", log_prints=False)
def register_flow(spec_path: str, actor: str = "prefect") -> dict[str, int]:
    """Register (or revise) the plan at `spec_path`; returns the diff's counts."""
    logger = get_run_logger()
    plan = compile_spec(spec_path)
    for warning in plan.warnings:
        logger.warning("%s [%s] %s", warning.task or "-", warning.code, warning.message)
    diff = store_plan(plan, spec_path, actor=actor)
    summary = diff.summary()
    header = plan.spec.plan
    lines = [f"# Đăng ký kế hoạch {header.number or header.id}", "", header.title, "",
             f"- phiên bản (revision): {diff.revision}" + (" — không thay đổi" if diff.unchanged
                                                         else ""),
             f"- thêm: {len(diff.added)}, bỏ (miễn): {len(diff.removed)}, khôi phục: "
             f"{len(diff.restored)}, đổi hạn: {len(diff.due_changed)}",
             f"- cảnh báo khi biên dịch: {len(plan.warnings)}"]
    lines += [f"  - `{w.code}` {w.task}: {w.message}" for w in plan.warnings[:20]]
    publish_summary(f"register-{header.id}", "\n".join(lines), f"Đăng ký {header.id}")
    logger.info("plan %s revision %s: %s", header.id, diff.revision, summary)
    return {k: int(v) for k, v in summary.items()}
