"""A local SMTP server on loopback that keeps every message it receives as a .eml file."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class _Handler:
    folder: Path
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received += 1
            number = self.received
        (self.folder / f"{number:05d}.eml").write_bytes(envelope.original_content or
                                                        envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpSink:
    """`with SmtpSink(folder) as sink:` serves SMTP on 127.0.0.1:`sink.port` until exit."""

    def __init__(self, folder: Path, *, port: int = 0) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._handler = _Handler(folder)
        self.port = port or _free_port()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> int:
        return self._handler.received

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def main() -> None:
    """`python -m notifiers.sink FOLDER PORT`: serve until terminated (the demo runs it)."""
    import signal
    import sys

    folder, port = Path(sys.argv[1]), int(sys.argv[2])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SmtpSink(folder, port=port):
        print(f"SMTP sink on 127.0.0.1:{port}, writing to {folder}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is a normal stop
            stop.wait()


if __name__ == "__main__":
    main()
