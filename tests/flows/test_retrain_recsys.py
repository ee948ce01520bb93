"""The recommender through the same loop: per-user paired bootstrap of NDCG@10 decides."""

from __future__ import annotations

from closedloop import registry
from closedloop.registry import tracking
from closedloop.settings import Settings
from flows.retrain import retrain


def test_recommender_first_promotion_then_identical_refused(recsys_home: Settings):
    first = retrain(model="recsys", reason="test")
    assert first.promoted, first.reason
    assert first.evidence["metric"] == "ndcg_at_10" and first.evidence["read_only_past"]

    second = retrain(model="recsys", reason="test")  # no interaction since: nothing to judge on
    assert not second.promoted
    assert second.evidence["rule"] == "window_too_small"
    client = tracking.configure(recsys_home)
    champion = registry.aliased_version(client, name="recommender", alias="champion")
    assert str(champion.version) == "1"
    # The registered artefact serves recommendations with titles through the pyfunc interface.
    from closedloop.registry.packaging import load_wrapper

    wrapper = load_wrapper("models:/recommender@champion")
    ids, scores, cold = wrapper.recommend(1, 5)
    assert len(ids) == 5 and not cold and scores == sorted(scores, reverse=True)
    assert all(i in wrapper.titles for i in ids)
