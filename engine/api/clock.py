"""The app's clock: what the API and the web pages take as "now".

By default the real clock. With `KEHOACH_AS_OF` (or `kehoach serve api --as-of`) a
simulated one: it reads the given moment when the app starts and advances with real time
from there, so successive actions still get distinct, ordered times. Everything in the API
and the pages that judges time (lateness, grouping by deadline, extension windows, link and
session expiry, default completion times, the dashboard's as-of) reads `AppClock.now`; the
pages say plainly that the clock is simulated. (The setting is read, and a date parsed, by
engine.settings.parse_as_of.) Request signatures are the exception: their
timestamps come from the caller's real clock, so they are checked against the real one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from engine.store.database import utc_now


class AppClock:
    """The real clock, or one started at `as_of` that runs at real speed from then on."""

    def __init__(self, as_of: dt.datetime | None = None, *,
                 real: Callable[[], dt.datetime] = utc_now) -> None:
        self._real = real
        self.started_at = as_of
        self._offset = as_of - real() if as_of is not None else dt.timedelta(0)

    @property
    def simulated(self) -> bool:
        return self.started_at is not None

    def now(self) -> dt.datetime:
        """The app's "now" (UTC)."""
        return self._real() + self._offset

    def real_now(self) -> dt.datetime:
        """The machine's clock, for what other machines' clocks are checked against."""
        return self._real()
