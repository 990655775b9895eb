"""load_sections builds only the wanted top-level sections, exactly as a full load would."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.core.yamltext import load_sections

DIRECTORIES = sorted((Path(__file__).parent.parent / "plan_specs" / "directories").glob("*.yaml"))


@pytest.mark.parametrize("path", DIRECTORIES, ids=lambda p: p.stem)
def test_the_sections_of_each_shipped_directory_are_those_of_a_full_load(path: Path) -> None:
    text = path.read_text("utf-8")
    whole = yaml.safe_load(text)
    wanted = ("directory", "groups", "calendar")
    assert load_sections(text, wanted) == {k: whole[k] for k in wanted if k in whole}
    assert "agencies" in whole and "agencies" not in load_sections(text, wanted)


def test_an_alias_to_an_anchor_in_a_section_not_built_still_resolves() -> None:
    text = """
agencies:
  - &nv {id: so-noi-vu, name: Sở Nội vụ}
groups:
  - {id: g, name: Nhóm, members: [*nv]}
calendar:
  days_off: ['2024-04-29']
"""
    assert load_sections(text, ("groups",)) == {
        "groups": [{"id": "g", "name": "Nhóm", "members": [{"id": "so-noi-vu",
                                                           "name": "Sở Nội vụ"}]}]}


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_a_text_that_is_not_a_mapping_has_no_sections(text: str) -> None:
    assert load_sections(text, ("groups",)) == {}
