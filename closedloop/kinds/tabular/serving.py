"""A tabular kind's prediction route: one case (its features by name) in, a scored answer with a prediction id
out; and the model as an MLflow pyfunc that serves anywhere."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel
from pydantic import BaseModel, Field

from closedloop.serving import InvalidRequest, RequestBody, ServingContext, fast_inference, new_prediction_id
from closedloop.store import PredictionRecord


class CaseIn(RequestBody):
    """One case: every feature of the kind's table by name, as a finite number."""

    features: dict[str, Annotated[float, Field(strict=True)]]  # a JSON number: not "1.5", not `true`


class CaseOut(BaseModel):
    prediction_id: str
    probability: float  # P(label 1)
    positive: bool  # probability >= threshold
    threshold: float
    model_version: str


class TabularModel(PythonModel):
    """DataFrame(features) -> DataFrame(probability, positive): a fitted estimator at its threshold."""

    def __init__(self, estimator: Any, threshold: float, features: list[str]) -> None:
        self.estimator = estimator
        self.threshold = float(threshold)
        self.features = list(features)

    def probability(self, rows: pd.DataFrame) -> np.ndarray:
        """(rows,) P(label 1), the columns taken in the trained order."""
        return np.asarray(self.estimator.predict_proba(rows[self.features].to_numpy(dtype=np.float64)))[:, 1]

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        p = self.probability(model_input)
        return pd.DataFrame({"probability": p, "positive": p >= self.threshold})


def checked_case(body: CaseIn, features: list[str]) -> dict[str, float]:
    """The case's features in the table's order; `InvalidRequest` (422) naming what is missing or unknown."""
    missing = [name for name in features if name not in body.features]
    unknown = sorted(set(body.features) - set(features))
    if missing or unknown:
        raise InvalidRequest(
            f"body.features: missing {missing[:5]}{' …' if len(missing) > 5 else ''}, unknown {unknown[:5]}; "
            f"send exactly the {len(features)} features {features[:3]} …"
        )
    bad = [name for name in features if not math.isfinite(body.features[name])]
    if bad:
        raise InvalidRequest(f"body.features: {bad[:5]} must be finite numbers")
    return {name: float(body.features[name]) for name in features}


def answer(context: ServingContext, case: dict[str, float]) -> CaseOut:
    """Score one case with the champion, log the prediction, answer with its id."""
    served = context.champion()
    wrapper: TabularModel = served.wrapper
    with fast_inference():
        p = float(wrapper.probability(pd.DataFrame([case]))[0])
    positive = p >= wrapper.threshold
    output = {"probability": p, "positive": positive, "threshold": wrapper.threshold}
    record = PredictionRecord(
        id=new_prediction_id(),
        model=context.name,
        model_version=served.version,
        input={"case": case},
        output=output,
        score=p,
    )
    context.log(record)
    context.count(served)
    return CaseOut(
        prediction_id=record.id,
        probability=p,
        positive=positive,
        threshold=wrapper.threshold,
        model_version=served.version,
    )
