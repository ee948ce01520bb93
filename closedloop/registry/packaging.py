"""How a fitted model travels through MLflow: a kind's pyfunc wrapper (the estimator and what serving needs
beside it) logged with its signature and input example, and loaded back as that wrapper."""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel

ARTIFACT = "model"  # the logged model's name under its run: runs:/<run_id>/model


def log_wrapper(
    wrapper: PythonModel, *, example: pd.DataFrame, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    """Log (and optionally register) a serving wrapper under the active run, with signature and input
    example (the kind's `input_example`)."""
    return _log(wrapper, example, registered_name)


def _log(
    wrapper: PythonModel, example: pd.DataFrame, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    return mlflow.pyfunc.log_model(
        name=ARTIFACT,
        python_model=wrapper,
        signature=infer_signature(example, wrapper.predict(None, example)),
        input_example=example,
        registered_model_name=registered_name,
        pip_requirements=_requirements(),
    )


def load_wrapper(model_uri: str) -> Any:
    """The wrapper object itself (the kind's pyfunc) for in-process serving and gating."""
    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model()


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [
        f"{name}=={version(name)}" for name in ("torch", "scikit-learn", "pandas", "numpy", "scipy", "mlflow")
    ]
