"""Micro-batching of concurrent spam predictions: requests that arrive together are scored in ONE model call.

A scikit-learn pipeline pays ~1 ms of fixed overhead per call (validation, a joblib dispatch in the
FeatureUnion) and only tens of µs per extra text, so under concurrency one call for eight texts is several
times cheaper than eight calls. A request joins the open batch; the batch is scored after two turns of the
event loop, long enough for requests already read from their sockets to join it, so a lone client waits
only those two turns (µs). A batch is scored by the model it was opened with, so a hot swap never mixes
versions within one call.
"""

from __future__ import annotations

import asyncio
import logging

from closedloop.serving import ServedModel, fast_inference

log = logging.getLogger(__name__)
MAX_BATCH = 64


class SpamBatcher:
    def __init__(self) -> None:
        self._open: dict[int, tuple[ServedModel, list[str], list[asyncio.Future[float]]]] = {}

    async def probability(self, served: ServedModel, text: str) -> float:
        """P(spam) of `text` by `served`, scored together with the other requests of this moment."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[float] = loop.create_future()
        batch = self._open.get(id(served))
        if batch is None or len(batch[1]) >= MAX_BATCH:
            batch = (served, [], [])
            self._open[id(served)] = batch
            loop.call_soon(loop.call_soon, self._score, id(served), batch)
        batch[1].append(text)
        batch[2].append(future)
        return await future

    def _score(self, key: int, batch: tuple[ServedModel, list[str], list[asyncio.Future[float]]]) -> None:
        if self._open.get(key) is batch:
            del self._open[key]
        served, texts, futures = batch
        try:
            with fast_inference():
                probabilities = served.wrapper.spam_probability(texts).tolist()  # (n,)
        except Exception as error:
            for future in futures:
                if not future.done():
                    future.set_exception(error)
            return
        for future, p in zip(futures, probabilities, strict=True):
            if not future.done():  # the client may have gone away
                future.set_result(p)
