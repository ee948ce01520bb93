"""The recommender's serving hooks: warming a loaded model and the catalogue interactions are checked
against."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from closedloop.kinds.contract import Route
from closedloop.serving.loading import fast_inference


class RecsysServing:
    """Serving hooks (the API's recommendation route is still mounted by services/api)."""

    def routes(self) -> list[Route]:
        return []

    def warm(self, wrapper: Any) -> None:
        # A known user, so the model's own scoring runs (an unknown one only reads popularity).
        users = getattr(wrapper.estimator, "users_", None)
        user = int(users.ids[0]) if users is not None and len(users.ids) else 0
        with fast_inference():
            wrapper.recommend(user, 1, exclude_seen=True)

    def catalogue(self, wrapper: Any) -> Container[int] | None:
        return wrapper.titles  # type: ignore[no-any-return]
