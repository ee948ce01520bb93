"""The models being served, by kind and alias. Reads take no lock: a swap is one dict assignment (atomic
under the GIL), and a request holds on to the `ServedModel` it read, so an old version finishes its
requests while new ones already see the new version."""

from __future__ import annotations

from collections.abc import Iterable

from closedloop.registry import CHAMPION
from closedloop.serving.loading import ServedModel


class ModelSlots:
    """The served models by (kind name, alias)."""

    def __init__(self) -> None:
        self._served: dict[tuple[str, str], ServedModel] = {}

    def get(self, kind: str, alias: str = CHAMPION) -> ServedModel | None:
        return self._served.get((kind, alias))

    def put(self, served: ServedModel) -> None:
        self._served[(served.kind, served.alias)] = served

    def clear(self, kind: str, alias: str) -> None:
        self._served.pop((kind, alias), None)

    def all(self) -> list[ServedModel]:
        return sorted(self._served.values(), key=lambda m: (m.kind, m.alias))

    def ready(self, kinds: Iterable[str]) -> bool:
        """Whether every kind named has a champion."""
        return all((kind, CHAMPION) in self._served for kind in kinds)
