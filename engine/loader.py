"""Read plan specs and directories from disk and compile them (the I/O shell of the core)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.core.compile import CompiledPlan, compile_plan
from engine.core.errors import Location, SpecError, SpecSyntaxError
from engine.core.spec import Directory, PlanSpec, parse_directory, parse_plan_spec
from engine.core.yamltext import SourceText


@dataclass(frozen=True)
class LoadedPlan:
    """A plan spec and the directory it names, as read from disk."""

    path: Path
    spec: PlanSpec
    source: SourceText
    directory_path: Path
    directory: Directory


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning OS errors into a SpecError that names the file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("file not found", location=Location(str(path))) from None
    except IsADirectoryError:
        raise SpecError("is a directory, not a YAML file", location=Location(str(path))) from None
    except UnicodeDecodeError as exc:
        raise SpecSyntaxError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                              location=Location(str(path))) from None
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", location=Location(str(path))) from None


def is_directory_file(path: Path) -> bool:
    """True if the YAML file at `path` is an agency directory rather than a plan spec."""
    text = read_text(path)
    return any(line.startswith("directory:") for line in text.splitlines())


def load_directory(path: Path) -> Directory:
    """Read and validate an agency directory file."""
    directory, _ = parse_directory(read_text(path), file=str(path))
    return directory


def load_plan(path: Path) -> LoadedPlan:
    """Read a plan spec and the directory it names (a path relative to the spec file)."""
    spec, source = parse_plan_spec(read_text(path), file=str(path))
    directory_path = (path.parent / spec.plan.directory).resolve()
    try:
        directory = load_directory(directory_path)
    except SpecError as exc:
        if exc.location and exc.location.file == str(directory_path) and \
                exc.reason == "file not found":
            raise SpecError(f"directory {spec.plan.directory!r} not found (looked for "
                            f"{directory_path})", location=source.locate(("plan", "directory")),
                            field="plan.directory") from None
        raise
    return LoadedPlan(path, spec, source, directory_path, directory)


def compile_file(path: Path) -> CompiledPlan:
    """Load and compile the plan spec at `path`."""
    loaded = load_plan(path)
    return compile_plan(loaded.spec, loaded.directory, source=loaded.source)
