"""The floor: one FastAPI route that scores a message with the champion and returns JSON — no logging, ids,
auth or batching. `python -m bench.peers.bare SCORER PORT` serves it with one uvicorn worker."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from bench.peers.scorer import load


class Message(BaseModel):
    text: str


def app_for(scorer_path: str | Path) -> FastAPI:
    """The app serving the scorer exported to `scorer_path`."""
    scorer = load(scorer_path)
    app = FastAPI()

    @app.post("/predict")
    def predict(message: Message) -> dict[str, float]:
        """The champion's score of one message."""
        return {"score": scorer.score(message.text)}

    @app.get("/ready")
    def ready() -> dict[str, bool]:
        return {"ready": True}

    return app


if __name__ == "__main__":
    uvicorn.run(app_for(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
