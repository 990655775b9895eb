"""The environment the project installs leaves the standard library's names alone."""

from __future__ import annotations

from importlib.metadata import distributions

# Top-level names of the standard library that a careless wheel ships its own tests under.
STDLIB_NAMES = {"test", "tests"}


def test_no_installed_distribution_puts_a_test_package_beside_the_standard_library() -> None:
    """swagger-ui-py put its own `test/` into site-packages: on a Python without the
    standard library's test suite (Debian's), `import test` found it instead."""
    offenders = sorted(
        f"{dist.metadata['Name']}: {path}" for dist in distributions()
        for path in dist.files or ()
        if path.parts and path.parts[0] in STDLIB_NAMES and len(path.parts) > 1
        and path.parts[1] == "__init__.py")
    assert offenders == []
