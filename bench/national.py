"""Generate a national-scale plan and directory (34 provinces, 3,321 communes, ~4,000 agencies).

Shared by the benchmarks: `write_national(folder)` writes `directory.yaml` and `plan.yaml`
and returns the plan's path. 25 tasks mix one-off, monthly, weekly, quarterly and report
cadences and depend on each other per agency, giving a little over 10^6 instances.
"""

from __future__ import annotations

from pathlib import Path

import yaml

YEAR = 2026
PROVINCES = 34
COMMUNES = 3321
DEPARTMENTS_PER_PROVINCE = 19  # 34 + 3,321 + 646 = 4,001 agencies

# (id, due, lead group, depends_on)
TASKS: list[tuple[str, str, str, list[str]]] = [
    ("ke-hoach-tinh", "Chậm nhất ngày 20/02/2026", "tinh", []),
    ("ke-hoach-so", "Chậm nhất ngày 28/02/2026", "so-nganh", ["ke-hoach-tinh"]),
    ("ke-hoach-xa", "Chậm nhất ngày 15/03/2026", "cap-xa", ["ke-hoach-tinh"]),
    ("tap-huan", "Tháng 6/2026", "so-nganh", ["ke-hoach-so"]),
    ("cuoc-thi", "Tháng 9/2026", "tinh", ["ke-hoach-tinh"]),
    ("so-ket", "6 tháng đầu năm", "tinh", ["ke-hoach-tinh"]),
    ("tong-ket", "Trong năm", "tat-ca", []),
    ("phat-thanh-xa", "Định kỳ hằng tuần", "cap-xa", ["ke-hoach-xa"]),
    ("niem-yet-tthc", "Định kỳ hằng tuần", "cap-xa", ["ke-hoach-xa"]),
    ("tiep-dan", "hàng tuần", "cap-xa", []),
    ("cap-nhat-dvc", "01 lần/1 tuần", "cap-xa", ["ke-hoach-xa"]),
    ("tin-bai-thang", "Định kỳ hằng tháng", "tat-ca", ["tong-ket"]),
    ("so-lieu-thang", "Định kỳ hằng tháng", "tat-ca", []),
    ("giao-ban", "hằng tháng", "tinh", ["ke-hoach-tinh"]),
    ("kiem-tra", "monthly", "so-nganh", ["ke-hoach-so"]),
    ("bao-cao-nhanh", "Định kỳ hằng tháng", "cap-xa", ["so-lieu-thang"]),
    ("truc-cchc", "Định kỳ hằng tuần", "cap-xa", []),
    ("tin-bai-quy", "Định kỳ hằng quý", "tat-ca", ["tin-bai-thang"]),
    ("doi-thoai", "hằng quý", "tinh", []),
    ("khao-sat", "quarterly", "so-nganh", []),
    ("danh-gia-quy", "Định kỳ hằng quý", "cap-xa", ["bao-cao-nhanh"]),
    ("bao-cao-dinh-ky", "Định kỳ quý I, 6 tháng, 9 tháng, năm", "tat-ca", ["so-lieu-thang"]),
    ("bao-cao-cdc", "Định kỳ quý I, 6 tháng, 9 tháng, năm", "tinh", []),
    ("tuyen-truyen", "Thường xuyên", "tat-ca", []),
    ("tong-hop", "trong 05 ngày làm việc sau bao-cao-dinh-ky", "tinh", []),
]


def national_directory() -> dict[str, object]:
    """The directory: provinces, their departments and communes, and four groups."""
    provinces = [f"tinh-{p:02d}" for p in range(1, PROVINCES + 1)]
    departments = [f"{p}-so-{d:02d}" for p in provinces
                   for d in range(1, DEPARTMENTS_PER_PROVINCE + 1)]
    communes = [f"xa-{c:04d}" for c in range(1, COMMUNES + 1)]
    agencies = [{"id": "chinh-phu", "name": "Chính phủ", "kind": "issuer"},
                {"id": "bo-noi-vu", "name": "Bộ Nội vụ", "kind": "central"}]
    agencies += [{"id": a, "name": f"UBND {a}", "kind": "district"} for a in provinces]
    agencies += [{"id": a, "name": f"Sở {a}", "kind": "department"} for a in departments]
    agencies += [{"id": a, "name": f"UBND {a}", "kind": "commune"} for a in communes]
    groups = [
        {"id": "tinh", "name": "UBND các tỉnh, thành phố", "members": provinces},
        {"id": "so-nganh", "name": "Các sở, ngành", "members": departments},
        {"id": "cap-xa", "name": "UBND cấp xã", "members": communes},
        {"id": "tat-ca", "name": "Tất cả cơ quan",
         "members": ["group:tinh", "group:so-nganh", "group:cap-xa"]},
    ]
    return {"directory": {"id": "national-2026", "city": "Toàn quốc",
                          "valid_from": f"{YEAR}-01-01", "valid_until": f"{YEAR}-12-31"},
            "agencies": agencies, "groups": groups}


def national_plan() -> dict[str, object]:
    """The plan: 25 tasks over the directory's groups."""
    tasks = [{"id": tid, "title": f"Nhiệm vụ {tid}", "lead": [f"group:{group}"], "due": due,
              **({"depends_on": deps} if deps else {})} for tid, due, group, deps in TASKS]
    return {"plan": {"id": "national-2026", "number": "1/KH-BNV", "year": YEAR,
                     "title": "Kế hoạch quốc gia (sinh tự động cho benchmark)",
                     "issuer": "chinh-phu", "monitor": "bo-noi-vu",
                     "directory": "directory.yaml"},
            "tasks": tasks}


def write_national(folder: Path) -> Path:
    """Write the national directory and plan YAML into `folder`; return the plan path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "directory.yaml").write_text(
        yaml.safe_dump(national_directory(), allow_unicode=True, sort_keys=False), "utf-8")
    plan = folder / "plan.yaml"
    plan.write_text(yaml.safe_dump(national_plan(), allow_unicode=True, sort_keys=False), "utf-8")
    return plan
