"""Lead cells that name the lead and its coordinators in prose, as plans print them."""

from __future__ import annotations

import pytest

from engine.cli.main import main
from engine.importer.roles import split_roles

CELLS = [
    ("Sở Nội vụ chủ trì, phối hợp với Sở Tư pháp, Sở Tài chính", "Sở Nội vụ",
     "Sở Tư pháp, Sở Tài chính"),
    ("Sở Nội vụ (chủ trì), Sở Tư pháp", "Sở Nội vụ", "Sở Tư pháp"),
    ("Sở Nội vụ; phối hợp: Sở Tư pháp, Sở Tài chính", "Sở Nội vụ", "Sở Tư pháp, Sở Tài chính"),
    ("Chủ trì: Sở Nội vụ; Phối hợp: Sở Tư pháp", "Sở Nội vụ", "Sở Tư pháp"),
    ("Chủ trì: Sở Nội vụ\nPhối hợp: Sở Tư pháp, Sở Y tế", "Sở Nội vụ", "Sở Tư pháp, Sở Y tế"),
    ("Sở Nội vụ chủ trì; Sở Tư pháp phối hợp", "Sở Nội vụ", "Sở Tư pháp"),
    ("Sở Nội vụ (chủ trì); Sở Tư pháp, Sở Tài chính (phối hợp)", "Sở Nội vụ",
     "Sở Tư pháp, Sở Tài chính"),
    ("Sở Nội vụ phối hợp với Sở Tư pháp", "Sở Nội vụ", "Sở Tư pháp"),
    ("Giao Sở Nội vụ chủ trì, phối hợp với Sở Tư pháp", "Sở Nội vụ", "Sở Tư pháp"),
    ("Sở Nội vụ chủ trì phối hợp Sở Tư pháp", "Sở Nội vụ", "Sở Tư pháp"),
    ("Sở Nội vụ chủ trì, cùng với Sở Tư pháp", "Sở Nội vụ", "Sở Tư pháp"),
    ("Sở Nội vụ (cơ quan chủ trì)", "Sở Nội vụ", ""),
    ("Sở Nội vụ chủ trì thực hiện", "Sở Nội vụ", ""),
    ("Thường trực HĐND tỉnh", "Thường trực HĐND tỉnh", ""),
    ("Sở Nội vụ, Sở Tư pháp", "Sở Nội vụ, Sở Tư pháp", ""),
]


@pytest.mark.parametrize(("cell", "lead", "coordinators"), CELLS, ids=[c[0] for c in CELLS])
def test_a_lead_cell_in_prose_splits_into_lead_and_coordinators(cell, lead, coordinators):
    found = split_roles(cell)
    assert (found.lead, found.coordinators) == (lead, coordinators)
    assert found.split == bool(coordinators)


def test_the_draft_reads_such_cells_as_lead_and_coordinators_and_flags_them(tmp_path):
    text = ("KẾ HOẠCH\nThử nghiệm năm 2026\n\n"
            "TT\tNội dung\tĐơn vị thực hiện\tThời gian\n"
            "1\tRà soát thủ tục\tSở Nội vụ (chủ trì), Sở Tư pháp\tQuý II/2026\n"
            "2\tKiểm tra\tChủ trì: Sở Y tế; Phối hợp: Sở Tài chính\tQuý III/2026\n"
            "3\tBáo cáo\tSở Y tế\tQuý IV/2026\n")
    doc = tmp_path / "plan.txt"
    doc.write_text(text, encoding="utf-8")
    assert main(["import", str(doc), "--year", "2026", "-o", str(tmp_path / "d.yaml")]) == 0
    draft = (tmp_path / "d.yaml").read_text(encoding="utf-8")
    assert "lead: [so-noi-vu]\n" in draft and "coordinators: [so-tu-phap]\n" in draft
    assert "lead: [so-y-te]\n" in draft and "coordinators: [so-tai-chinh]\n" in draft
    task_3 = draft[draft.index("id: bao-cao"):]
    assert "names coordinators too" in draft[:draft.index("id: bao-cao")]
    assert "CHECK" not in task_3.split("- id:")[0]
