"""The `kehoach` process as a shell sees it: settings and database errors, pipes, Ctrl-C,
read-only commands that must not create a database, and `run.sh kehoach` in any folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli.main import EXIT_CONFIG, EXIT_PIPE
from tests.conftest import PLAN_SPECS, ROOT

KEHOACH = str(Path(sys.executable).parent / "kehoach")
HN24 = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KEHOACH_") and k != "PREFECT_API_URL"}
    return {**env, "KEHOACH_HOME": str(tmp_path), **settings}


def kehoach(tmp_path: Path, *argv: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KEHOACH, *argv], env=_env(tmp_path, **settings), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("settings", "expected"), [
    ({"KEHOACH_SMTP_PORT": "abc"},
     "error: KEHOACH_SMTP_PORT='abc': Input should be a valid integer"),
    ({"KEHOACH_SMTP_SECURITY": "tls"},
     "error: KEHOACH_SMTP_SECURITY='tls': Input should be 'none', 'starttls' or 'ssl'"),
    ({"KEHOACH_DATABASE_URL": "garbage"},
     "error: KEHOACH_DATABASE_URL: 'garbage' is not a database URL"),
    ({"KEHOACH_DATABASE_URL": "mysql://kh:s3cret@db/kehoach"},
     "error: KEHOACH_DATABASE_URL: 'mysql://kh:***@db/kehoach': kehoach stores its state in "
     "SQLite"),
    ({"KEHOACH_DATABASE_URL": "postgresql://kh:s3cret@127.0.0.1:1/kehoach"},
     "error: cannot use the database postgresql+psycopg://kh:***@127.0.0.1:1/kehoach: "
     "connection failed:"),
], ids=["not a number", "not a choice", "not a URL", "not a database kehoach uses",
        "nothing listening"])
def test_a_bad_setting_or_an_unreachable_database_is_one_line_naming_it(
        tmp_path: Path, settings: dict[str, str], expected: str) -> None:
    done = kehoach(tmp_path, "status", "--plan", "x", **settings)
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert done.stderr.startswith(expected) and len(done.stderr.strip().splitlines()) == 1
    assert "s3cret" not in done.stderr and "bug" not in done.stderr
    assert "Traceback" not in done.stderr and "sqlalche.me" not in done.stderr


@pytest.mark.postgres
def test_a_postgresql_database_that_does_not_exist_is_named(tmp_path: Path,
                                                            pg_url: str) -> None:
    missing = pg_url.rsplit("/", 1)[0] + "/kehoach_no_such_database"
    done = kehoach(tmp_path, "register", str(HN24), KEHOACH_DATABASE_URL=missing)
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.startswith(f"error: cannot use the database {missing}: ")
    assert 'database "kehoach_no_such_database" does not exist' in done.stderr


@pytest.mark.parametrize("argv", [
    ["status", "--plan", "x"], ["report", "--plan", "x", "--period", "2024-Q1"],
    ["outbox", "list"], ["token", "list"], ["db", "verify"]],
    ids=["status", "report", "outbox list", "token list", "db verify"])
def test_read_only_commands_create_no_database(tmp_path: Path, argv: list[str]) -> None:
    home = tmp_path / "nonexistent" / "zz"
    done = kehoach(tmp_path, *argv, KEHOACH_HOME=str(home))
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.startswith(f"error: no database at {home / 'kehoach.db'}: create it "
                                  "with `kehoach register SPEC`")
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.parametrize("argv", [
    ["compile", "--json", str(HN24)], ["show", str(HN24)],
    ["graph", str(HN24), "--level", "instance"]], ids=["plain write", "rich", "graph"])
def test_a_closed_pipe_ends_quietly(tmp_path: Path, argv: list[str]) -> None:
    """`kehoach ... | head`: the reader goes away; no error, no traceback."""
    reader, writer = os.pipe()
    os.close(reader)  # the reader has gone before the first write
    try:
        done = subprocess.run([KEHOACH, *argv], env=_env(tmp_path), stdout=writer,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(writer)
    assert done.returncode == EXIT_PIPE
    assert done.stderr == ""


def _loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_ctrl_c_while_the_commands_are_imported_says_interrupted(tmp_path: Path) -> None:
    # Let SIGINT through to the child (the test runner may have it ignored).
    child = subprocess.Popen([KEHOACH, "validate", *map(str, PLAN_SPECS.glob("*/*.yaml"))],
                             env=_env(tmp_path), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # pydantic comes with the commands (engine.cli.main itself does not import it): once it is
    # loaded, `main` is importing them.
    deadline = time.monotonic() + 60
    while not _loaded(child.pid, "_pydantic_core") and time.monotonic() < deadline:
        assert child.poll() is None
        time.sleep(0.005)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert err == "interrupted\n"


def test_run_sh_kehoach_runs_in_the_callers_folder(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    spec = (tmp_path / "specs" / "plan.yaml")
    spec.write_text(HN24.read_text("utf-8").replace(
        "../directories/hanoi-2024.yaml", str(PLAN_SPECS / "directories/hanoi-2024.yaml")),
        "utf-8")
    env = _env(tmp_path)
    del env["KEHOACH_HOME"]
    run_sh = str(ROOT / "run.sh")

    def run_sh_kehoach(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", run_sh, "kehoach", *argv], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)

    done = run_sh_kehoach("validate", "specs/plan.yaml")
    assert done.returncode == 0, done.stderr
    assert "ok specs/plan.yaml" in done.stdout
    assert run_sh_kehoach("register", "specs/plan.yaml").returncode == 0
    done = run_sh_kehoach("report", "--plan", "hn-2024-tt-cchc", "--period", "2024-Q1",
                          "--format", "csv", "-o", "out/q1.csv")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "kehoach.db").exists() and (tmp_path / "out" / "q1.csv").exists()
    assert not (ROOT / "out").exists()


def test_a_database_file_that_is_not_one_or_cannot_be_made_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n" * 100, "utf-8")
    done = kehoach(tmp_path, "status", "--plan", "x", KEHOACH_DATABASE_URL=f"sqlite:///{junk}")
    assert done.returncode == EXIT_CONFIG
    assert done.stderr == f"error: cannot use the database {junk}: file is not a database\n"
    blocker = tmp_path / "a-file"
    blocker.write_text("", "utf-8")
    done = kehoach(tmp_path, "register", str(HN24), KEHOACH_HOME=str(blocker / "home"))
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.startswith(f"error: cannot create the database "
                                  f"{blocker / 'home' / 'kehoach.db'}: Not a directory")
