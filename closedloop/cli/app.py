"""Root Typer app: wires the sub-commands together and turns known errors into one-line messages."""

from __future__ import annotations

import logging
import sys

import typer

from closedloop.cli import (
    curve,
    data,
    demo,
    interactions,
    labels,
    models,
    monitor,
    retrain,
    serve,
    simulate,
    train,
    users,
    worker,
)
from closedloop.cli.output import UsageProblem, fail
from closedloop.corpora import CorpusError
from closedloop.settings import apply_process_environment, get_settings

app = typer.Typer(
    name="closedloop",
    help="closedloop: models that learn from their users' feedback and replace themselves only when better.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data.app, name="data")
app.add_typer(train.app, name="train")
app.add_typer(models.app, name="models")
app.add_typer(users.app, name="users")
app.add_typer(labels.app, name="labels")
app.add_typer(interactions.app, name="interactions")
app.command(name="retrain")(retrain.retrain)
worker.register(app)
serve.register(app)
demo.register(app)
curve.register(app)
monitor.register(app)
simulate.register(app)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main() -> None:
    """Console-script entry point."""
    from mlflow.exceptions import MlflowException

    from closedloop.datasets.checks import DataValidationError
    from closedloop.orchestration import OrchestrationError
    from closedloop.registry import RegistryError
    from closedloop.store import StoreError

    apply_process_environment(get_settings())
    try:
        app()
    except (
        CorpusError,
        UsageProblem,
        RegistryError,
        DataValidationError,
        StoreError,
        OrchestrationError,
    ) as exc:
        fail(str(exc))
    except MlflowException as exc:
        fail(f"MLflow: {exc.message}")
