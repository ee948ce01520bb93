"""Hot reload: poll the registry aliases and swap in new versions once they are loaded and warmed.

`mlflow models serve` loads its model once (mlflow#4039); here a background thread checks every
`reload_seconds` (and on demand) which version each alias names. A new version is downloaded into the cache,
loaded and warmed beside the old one, then swapped in with one assignment: no request fails or waits. When
the registry cannot be reached, the current models stay; at start-up, the cache's last champion is served.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mlflow import MlflowClient

from closedloop.registry import CHALLENGER, CHAMPION, aliased_version
from closedloop.serving.cache import ModelCache
from closedloop.serving.errors import Busy
from closedloop.serving.loading import load_served
from closedloop.serving.slots import ModelSlots

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

log = logging.getLogger(__name__)
ReloadListener = Callable[[str, str, str, bool], None]  # (kind, alias, version, succeeded)


def served_aliases(kind: ModelKind) -> tuple[str, ...]:
    """The aliases served for `kind`: its champion, and its challenger only when the challenger shadow-scores
    live traffic (`config.shadow`); loading a challenger nobody scores with would only cost memory."""
    return (CHAMPION, CHALLENGER) if kind.config.shadow else (CHAMPION,)


class Reloader:
    """Keeps `slots` in step with the registry's aliases; `check()` once, or `start()` a polling thread."""

    def __init__(
        self,
        *,
        tracking_uri: str,
        cache: ModelCache,
        slots: ModelSlots,
        every_s: float,
        kinds: Sequence[ModelKind],
        on_reload: ReloadListener | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.cache, self.slots, self.every_s, self.kinds = cache, slots, every_s, kinds
        self.on_reload = on_reload or (lambda *_: None)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._down: Exception | None = None  # the registry's failure during the check under way

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="model-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check()
            self._stop.wait(self.every_s)

    def check(self, *, wait_s: float | None = None) -> list[str]:
        """Bring every alias up to date, one check at a time; errors are logged, never raised. Returns what
        went wrong (empty: every alias is in step with the registry).

        With `wait_s` (an admin reload), `Busy` is raised when another check still runs after that many
        seconds, instead of queueing behind it without bound. Once the registry fails to answer, the other
        aliases of this check go straight to the cache: each would only wait out the same timeout.
        """
        if not self._lock.acquire(timeout=-1 if wait_s is None else wait_s):
            raise Busy("a registry check is already running (MLflow may be slow to answer); retry shortly")
        problems: list[str] = []
        self._down = None
        try:
            for kind in self.kinds:
                for alias in served_aliases(kind):
                    try:
                        self._check_one(kind, alias)
                    except Exception as error:
                        problems.append(self._failed(kind, alias, error))
            if self._down is not None:
                problems.insert(
                    0, f"the model registry is unreachable ({self._down}); serving what is loaded"
                )
        finally:
            self._lock.release()
        return problems

    def _failed(self, kind: ModelKind, alias: str, error: Exception) -> str:
        served = self.slots.get(kind.name, alias)
        keeps = f"still serving v{served.version}" if served else "nothing served for it yet"
        log.error("reload of %s@%s failed; %s", kind.name, alias, keeps, exc_info=error)
        return f"{kind.name}@{alias}: {type(error).__name__}: {error} ({keeps})"

    def _check_one(self, kind: ModelKind, alias: str) -> None:
        name = kind.config.registered_name
        current = self.slots.get(kind.name, alias)
        if self._down is not None:
            self._unreachable(kind, alias, self._down)
            return
        try:
            client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
            found = aliased_version(client, name=name, alias=alias)
        except Exception as error:
            self._down = error
            self._unreachable(kind, alias, error)
            return
        version = str(found.version) if found is not None else None
        if version is None:
            if alias == CHALLENGER and current is not None:
                self.slots.clear(kind.name, alias)
                self.cache.remember(name=name, alias=alias, version=None)
                log.info("%s@%s removed; shadow scoring stops", name, alias)
            elif current is None:
                self._unreachable(kind, alias, LookupError(f"{name} has no {alias} alias"))
            return
        if current is not None and current.version == version:
            return
        try:
            # `fetch` checks the cached copy's checksums and downloads a damaged one again.
            path = self.cache.fetch(client, name=name, version=version)
            served = load_served(path, kind=kind, version=version, alias=alias, source="mlflow")
        except Exception:
            self.on_reload(kind.name, alias, version, False)
            raise
        self.slots.put(served)  # the swap: requests from now on get the new version
        self.cache.remember(name=name, alias=alias, version=version)
        self.on_reload(kind.name, alias, version, True)

    def _unreachable(self, kind: ModelKind, alias: str, error: Exception) -> None:
        """No answer from the registry: keep what is served; with nothing served, fall back on the cache."""
        name = kind.config.registered_name
        if self.slots.get(kind.name, alias) is not None:
            log.warning("registry check of %s@%s failed (%s); keeping the served version", name, alias, error)
            return
        version = self.cache.remembered(name=name, alias=alias)
        if version is None:
            if alias == CHAMPION:
                log.warning("no %s@%s from the registry (%s) and none in the cache", name, alias, error)
            return
        damage = self.cache.damage(name, version)
        if damage:
            log.error(
                "registry unavailable for %s@%s (%s) and cached v%s is damaged (%s): it is not served; it is "
                "fetched again once the registry answers",
                name,
                alias,
                error,
                version,
                ", ".join(damage),
            )
            return
        log.warning("registry unavailable for %s@%s (%s); serving cached v%s", name, alias, error, version)
        path = self.cache.path(name, version)
        self.slots.put(load_served(path, kind=kind, version=version, alias=alias, source="cache"))
        self.on_reload(kind.name, alias, version, True)
