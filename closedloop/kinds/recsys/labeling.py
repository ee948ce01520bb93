"""How a logged recommendation becomes labeling items (one per recommended movie), shown with its title and
the user's history, and a settled item a consensus label."""

from __future__ import annotations

from typing import Any

from closedloop import corpora
from closedloop.kinds.contract import Describe, QueueItem, Sessions, Shown, Vote
from closedloop.kinds.recsys.describer import movielens_describer
from closedloop.kinds.recsys.feedback import pair_key
from closedloop.store.errors import InvalidLabel


def _movie(title: Any, item_id: Any) -> str:
    return str(title) if title else f"movie {item_id}"


def _answer(row: dict[str, Any]) -> str:
    """One line of the user's history: a rating in stars, another answer (view, click) by its kind."""
    said = f"{row['rating']} ★" if row.get("rating") is not None else str(row.get("kind") or "seen")
    return f"{_movie(row.get('title'), row.get('item_id'))} — {said}"


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
                QueueItem(key=pair_key(user_id, int(item_id)), subject=subject, model_label=1, score=score)
            )
        return items

    def label_subject(self, item_subject: dict[str, Any]) -> dict[str, Any]:
        return {"user_id": item_subject["user_id"], "item_id": item_subject["item_id"]}

    def gold_item(self, item: dict[str, Any]) -> QueueItem:
        """A known (user, movie) pair: {"user_id", "item_id", "title"?, "history"?}."""
        try:
            user_id, item_id = int(item["user_id"]), int(item["item_id"])
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidLabel('a recsys gold item needs {"user_id": int, "item_id": int}') from error
        subject = {
            "user_id": user_id,
            "item_id": item_id,
            "title": item.get("title"),
            "history": item.get("history", []),
        }
        return QueueItem(key=pair_key(user_id, item_id), subject=subject, model_label=None)

    def queue_vote(self, vote: Vote) -> int:
        # a recommendation says "relevant" (1): any relevance a vote grants agrees with it
        return int(vote.label > 0)

    def describer(self, settings: Any, sessions: Sessions) -> Describe | None:
        from closedloop.kinds.recsys.corpus import MOVIELENS

        if corpora.read_manifest(settings, MOVIELENS) is None:
            return None  # MovieLens was never fetched: items show ids only
        return movielens_describer(settings, sessions=sessions)

    def show(self, subject: dict[str, Any]) -> Shown:
        history = [row for row in subject.get("history") or [] if isinstance(row, dict)]
        return Shown(
            lead=f"Would user {subject.get('user_id')} find",
            title=_movie(subject.get("title"), subject.get("item_id")),
            trail="relevant?",
            history_caption="Their recent ratings",
            history=tuple(_answer(row) for row in history),
            history_empty="no ratings on record",
        )
