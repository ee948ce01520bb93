"""How a logged recommendation becomes labeling items (one per recommended movie), shown with its title
and the user's history, and a settled item a consensus label."""

from __future__ import annotations

from typing import Any

from closedloop.kinds.contract import Describe, QueueItem, Sessions
from closedloop.labeling.movies import movielens_describer
from closedloop.store.subjects import recsys_subject_key


class RecsysLabeling:
    """Labeling hooks: relevance grades of recommended movies."""

    def queue_items(
        self,
        given: dict[str, Any],
        output: dict[str, Any],
        shadow: dict[str, Any] | None,
        describe: Describe | None,
    ) -> list[QueueItem]:
        user_id = int(given["user_id"])
        items = []
        for item_id, score in zip(output.get("items", []), output.get("scores", []), strict=False):
            about = describe(user_id, int(item_id)) if describe else {}
            subject = {
                "user_id": user_id,
                "item_id": int(item_id),
                "title": about.get("title"),
                "history": about.get("history", []),
            }
            # a recommendation has no threshold: only disputes and the random share pick these
            items.append(
                QueueItem(
                    key=recsys_subject_key(user_id, int(item_id)), subject=subject, model_label=1, score=score
                )
            )
        return items

    def label_subject(self, item_subject: dict[str, Any]) -> dict[str, Any]:
        return {"user_id": item_subject["user_id"], "item_id": item_subject["item_id"]}

    def describer(self, settings: Any, sessions: Sessions) -> Describe | None:
        from closedloop import corpora
        from closedloop.kinds.recsys.corpus import MOVIELENS

        if corpora.read_manifest(settings, MOVIELENS) is None:
            return None
        return movielens_describer(settings, sessions=sessions)
