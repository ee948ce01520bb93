"""Login throttling: failed logins are counted per account and per client address over a sliding window;
once either count reaches its limit, every login for that account (or from that client) is refused with 429
and Retry-After until the oldest failure leaves the window — the right password included, or a guesser
would learn it from the answer.

The counts live in the process: they need no table, and a restart forgets them (at worst one more window's
worth of guesses). With N uvicorn workers each keeps its own counts, so a client gets at most N times the
limit; the argon2 cost (see `closedloop.labeling.accounts`) keeps even that slow.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 100_000  # distinct accounts and clients tracked at once; the least recently failed are forgotten


class LoginThrottled(Exception):
    """Too many failed logins: `retry_after` seconds until the next attempt is allowed."""

    def __init__(self, retry_after: int, who: str) -> None:
        super().__init__(
            f"too many failed logins for this {who}; wait {retry_after} s before trying again "
            "(ask an admin if you forgot the password)"
        )
        self.retry_after = retry_after


class LoginThrottle:
    """Sliding-window failure counts: at most `per_account` failed logins per account and `per_client` per
    client address within `window_s` seconds. Thread-safe (logins run in the server's thread pool)."""

    def __init__(
        self,
        *,
        per_account: int,
        per_client: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"account": per_account, "client": per_client}
        self.window_s = window_s
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, *, account: str, client: str) -> None:
        """Raise `LoginThrottled` if the account or the client is locked out; else count this attempt as a
        failure until `succeeded` says otherwise, so that concurrent guesses cannot all slip through."""
        with self._lock:
            now = self.clock()
            for who, key in (("account", account), ("client", client)):
                times = self._recent((who, key), now)
                if len(times) >= self.limits[who]:
                    wait = math.ceil(times[0] + self.window_s - now)
                    raise LoginThrottled(max(1, wait), who)
            for key in (("account", account), ("client", client)):
                self._failures.setdefault(key, deque()).append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, *, account: str, client: str) -> None:
        """The attempt `begin` counted was right: forget the account's failures and this attempt's count
        against the client (its earlier failures stay)."""
        with self._lock:
            self._failures.pop(("account", account), None)
            times = self._failures.get(("client", client))
            if times:
                times.pop()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times
