"""The champion as a BentoML 1.4 service, one worker: `bentoml serve bench.peers.bento:Champion` in the
BentoML virtualenv, with PEER_SCORER naming the exported scorer (BentoML builds the service itself, so the
path cannot be an argument)."""

# No `from __future__ import annotations`: BentoML reads the request type from the real annotations.
import os

import bentoml

from bench.peers.scorer import load


@bentoml.service(workers=1)
class Champion:
    def __init__(self) -> None:
        self.scorer = load(os.environ["PEER_SCORER"])

    @bentoml.api
    def predict(self, text: str) -> dict[str, float]:
        """The champion's score of one message (POST {"text": ...})."""
        return {"score": self.scorer.score(text)}
