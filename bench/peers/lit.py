"""The champion as a LitServe 0.2 API, one worker on the CPU, no batching (LitServe's default):
`python -m bench.peers.lit SCORER PORT` in the LitServe virtualenv."""

# No `from __future__ import annotations`: LitServe reads the request type from the real annotations.
import sys

import litserve as ls
from pydantic import BaseModel

from bench.peers.scorer import Scorer, load


class Message(BaseModel):
    text: str


class Champion(ls.LitAPI):
    def __init__(self, scorer_path: str) -> None:
        super().__init__()
        self.scorer_path = scorer_path
        self.scorer: Scorer | None = None

    def setup(self, device: str) -> None:
        self.scorer = load(self.scorer_path)

    def decode_request(self, request: Message) -> str:
        return request.text

    def predict(self, text: str) -> float:
        assert self.scorer is not None, "setup() runs before any request"
        return self.scorer.score(text)

    def encode_response(self, score: float) -> dict[str, float]:
        return {"score": score}


if __name__ == "__main__":
    server = ls.LitServer(Champion(sys.argv[1]), accelerator="cpu", workers_per_device=1)
    server.run(host="127.0.0.1", port=int(sys.argv[2]), generate_client_file=False)
