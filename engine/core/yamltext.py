"""YAML text to plain data, remembering the line each value was written on."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.core.errors import Location, SpecSyntaxError

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceText:
    """Data parsed from one YAML document plus a map from data paths to line numbers."""

    data: Any
    file: str
    lines: dict[Path, int] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int]) -> Location:
        """The location of `path`, or of its nearest parent that was written down."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return Location(self.file, self.lines[key])
            key = key[:-1]
        return Location(self.file, self.lines.get((), 1))


def parse_yaml(text: str, *, file: str) -> SourceText:
    """Parse YAML text with the safe loader, keeping 1-based line numbers per path.

    Raises:
        SpecSyntaxError: the text is not YAML; the message names file and line.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecSyntaxError(f"not valid YAML: {problem}",
                              location=Location(file, line)) from None
    if node is None:
        raise SpecSyntaxError("the file is empty", location=Location(file, 1))
    lines: dict[Path, int] = {}
    data = _build(node, (), lines, yaml.SafeLoader(""), file)
    return SourceText(data=data, file=file, lines=lines)


def _build(node: yaml.Node, path: Path, lines: dict[Path, int], loader: yaml.SafeLoader,
           file: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, path, loader, file)
            out[key] = _build(value_node, (*path, key), lines, loader, file)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, loader, file)
                for i, item in enumerate(node.value)]
    return _construct(node, path, loader, file)


def _construct(node: yaml.Node, path: Path, loader: yaml.SafeLoader, file: str) -> Any:
    """The value of a scalar (or a key), or a SpecSyntaxError naming its line and path.

    YAML reads 2024-02-30 as a date and the date constructor refuses it; a tag such as
    `!!int abc` fails the same way. The constructor says what, not where.
    """
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, TypeError, yaml.YAMLError) as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        what = "a valid date" if node.tag.endswith(":timestamp") else "readable"
        raise SpecSyntaxError(f"{node.value!r} is not {what} ({problem})",
                              location=Location(file, node.start_mark.line + 1),
                              field=dotted(path) or None) from None


def dotted(path: Sequence[Any]) -> str:
    """A data path as a field name: ("calendar", "working_days", 1) ->
    "calendar.working_days[1]"."""
    return re.sub(r"\.(\d+)", r"[\1]", ".".join(str(p) for p in path))


def load_sections(text: str, keys: Collection[str]) -> dict[str, Any]:
    """The values of the top-level `keys` of a YAML mapping, with the C loader, no checks.

    For texts validated when they were stored. Every section is composed into nodes (which
    resolves anchors and aliases across sections), but only the wanted ones are built into
    Python objects, which is most of the cost: a national directory's 10^4 agencies took
    315 ms to load whole and 95 ms this way, when the sweep wants only its groups.
    Not a mapping, or empty: {}.
    """
    loader = yaml.CSafeLoader(text)
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            return {}
        return {key.value: loader.construct_object(value, deep=True)
                for key, value in root.value
                if isinstance(key, yaml.ScalarNode) and key.value in keys}
    finally:
        loader.dispose()
