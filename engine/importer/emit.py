"""Write plain data as readable YAML with comments above fields (PyYAML cannot keep them)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

Comments = Mapping[str, Sequence[str]]
_PLAIN = re.compile(r"^(?:group:)?[a-z0-9]+(?:-[a-z0-9]+)*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(value: Any) -> str:
    """One YAML scalar: ids plain, text double-quoted (JSON escapes are valid YAML)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if _PLAIN.match(text) and text not in _RESERVED and not text.isdigit():
        return text
    return json.dumps(text, ensure_ascii=False)


def _is_flat(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def _inline(value: Any) -> str | None:
    if isinstance(value, Mapping) and all(_is_flat(v) for v in value.values()):
        flow = "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in value.items()) + "}"
        return flow if len(flow) <= 60 else None
    if isinstance(value, list | tuple) and all(_is_flat(v) for v in value):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if _is_flat(value):
        return scalar(value)
    return None


def comment_lines(notes: Sequence[str], indent: int) -> list[str]:
    """Comment lines at `indent`, one per note, a note's own newlines kept."""
    pad = " " * indent
    return [f"{pad}# {line}".rstrip() for note in notes for line in note.splitlines()]


def render_mapping(data: Mapping[str, Any], *, indent: int = 0,
                   comments: Comments | None = None) -> list[str]:
    """Lines of a block mapping; `comments[key]` go above `key`.

    Args:
        data: keys to values; None values are left out.
        indent: spaces before each key.
        comments: notes per key, written as `# ...` lines above it.
    """
    pad = " " * indent
    lines: list[str] = []
    for key, value in data.items():
        if value is None:
            continue
        lines += comment_lines((comments or {}).get(key, ()), indent)
        inline = _inline(value)
        if inline is not None:
            lines.append(f"{pad}{key}: {inline}")
        elif isinstance(value, Mapping):
            lines.append(f"{pad}{key}:")
            lines += render_mapping(value, indent=indent + 2)
        else:
            lines.append(f"{pad}{key}:")
            lines += render_sequence(value, indent=indent + 2)
    return lines


def render_sequence(items: Sequence[Any], *, indent: int,
                    comments: Sequence[Comments] | None = None) -> list[str]:
    """Lines of a block sequence of mappings (or scalars), with per-item field comments."""
    pad = " " * indent
    lines: list[str] = []
    for n, item in enumerate(items):
        if not isinstance(item, Mapping):
            lines.append(f"{pad}- {_inline(item) or scalar(item)}")
            continue
        notes = comments[n] if comments and n < len(comments) else None
        body = render_mapping(item, indent=indent + 2, comments=notes)
        first = next(i for i, line in enumerate(body) if not line.lstrip().startswith("#"))
        body[first] = f"{pad}- {body[first].lstrip()}"
        lines += body
    return lines
