#!/usr/bin/env bash
# Set up the project's virtual environment if needed, then run a task.
#   bash run.sh demo     the main job: `kehoach demo` on the embedded SQLite store
#   bash run.sh test     lint, type-check and the test suite
#   bash run.sh kehoach ARGS...   any kehoach command, in the caller's working directory
# demo and test run in the repository; kehoach where it is called from (relative paths, the
# default kehoach.db and -o files are the caller's), with the repository's .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

setup() {
    if [ ! -x "$ROOT/.venv/bin/kehoach" ] || [ "$ROOT/pyproject.toml" -nt "$ROOT/.venv/.installed" ]; then
        echo "Setting up .venv (first run takes a minute or two)..." >&2
        (
            cd "$ROOT"
            python3 -m venv .venv
            # (A machine whose pip config names missing package folders warns about each;
            # not ours to report.)
            .venv/bin/python -m pip install --quiet --disable-pip-version-check uv \
                2> >(grep -v "is neither a file nor a directory" >&2)
            # Compiled bytecode: this environment sets PYTHONDONTWRITEBYTECODE, and without
            # .pyc files importing Prefect takes three times as long.
            UV_COMPILE_BYTECODE=1 .venv/bin/uv pip install --quiet --python .venv/bin/python -e '.[dev]'
            touch .venv/.installed
        )
    fi
}

start_postgres() {
    # The tests use the local PostgreSQL server; start it if this machine has one stopped.
    if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
        if [ -d /etc/postgresql ]; then
            pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
            for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
        fi
    fi
}

# Debian packages the tests drive: chromium (pages and the HTML report, through Playwright),
# LibreOffice's writer (the DOCX report rendered to PDF) and poppler-utils (PDF to PNG).
TEST_PACKAGES=(chromium libreoffice-writer-nogui poppler-utils)
TEST_COMMANDS=(chromium soffice pdftoppm)

install_test_packages() {
    local missing=() i
    for i in "${!TEST_COMMANDS[@]}"; do
        command -v "${TEST_COMMANDS[$i]}" >/dev/null 2>&1 || missing+=("${TEST_PACKAGES[$i]}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "The tests need these Debian packages: ${missing[*]}." >&2
        echo "Install them (as root: apt-get install ${missing[*]}) and run again." >&2
        exit 1
    fi
    echo "Installing ${missing[*]} with apt-get (first run only)..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") \
        >/tmp/kehoach-apt.log 2>&1 \
        || { echo "apt-get could not install ${missing[*]}:" >&2; tail -20 /tmp/kehoach-apt.log >&2; exit 1; }
}

task="${1:-help}"; shift || true
case "$task" in
    demo) setup; cd "$ROOT"; exec .venv/bin/kehoach demo "$@" ;;
    test)
        setup; install_test_packages; start_postgres; cd "$ROOT"
        .venv/bin/ruff check engine flows notifiers tests bench
        .venv/bin/mypy
        exec .venv/bin/pytest -q "$@" ;;
    kehoach) setup; exec "$ROOT/.venv/bin/kehoach" "$@" ;;
    *) sed -n '2,7p' "$ROOT/run.sh"; exit 2 ;;
esac
