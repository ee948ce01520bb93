"""Root Typer app: wires the sub-commands together and turns known errors into one-line messages.

Start-up imports only Typer, rich and the settings: each command imports what it needs when it runs, so
`closedloop --help` (and a typo) answers at once, without MLflow, torch, Prefect or scikit-learn.
"""

from __future__ import annotations

import logging
import sys

import typer

from cli import (
    curve,
    data,
    demo,
    interactions,
    keys,
    kinds,
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
from cli.output import fail

app = typer.Typer(
    name="closedloop",
    help="closedloop: models that learn from their users' feedback and replace themselves only when better.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data.app, name="data")
app.add_typer(models.app, name="models")
app.add_typer(users.app, name="users")
app.add_typer(labels.app, name="labels")
app.add_typer(interactions.app, name="interactions")
app.add_typer(keys.app, name="keys")
app.command(name="retrain")(retrain.retrain)
train.register(app)
kinds.register(app)
worker.register(app)
serve.register(app)
demo.register(app)
curve.register(app)
monitor.register(app)
simulate.register(app)

# Errors a user can act on, as (module, class): shown as one line, exit code 2. Only a module already
# imported can have raised one, so `sys.modules` is asked instead of importing them all at start-up.
USER_ERRORS = (
    ("cli.output", "UsageProblem"),
    ("closedloop.corpora.sources", "CorpusError"),
    ("closedloop.kinds", "UnknownKind"),
    ("closedloop.registry", "RegistryError"),
    ("closedloop.retraining.checks", "DataValidationError"),
    ("closedloop.store.errors", "StoreError"),
    ("closedloop.serving.keys", "KeyFileError"),
    ("closedloop.orchestration", "OrchestrationError"),
    ("closedloop.distributed.launch", "DistributedRunFailed"),  # the replica's traceback is above it
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def user_error(error: BaseException) -> str | None:
    """The one-line message for an error the user can act on; None for a bug (its traceback is shown)."""
    for module, name in USER_ERRORS:
        found = sys.modules.get(module)
        if found is not None and isinstance(error, getattr(found, name)):
            return str(error)
    mlflow_errors = sys.modules.get("mlflow.exceptions")
    if mlflow_errors is not None and isinstance(error, mlflow_errors.MlflowException):
        return f"MLflow: {error.message}"  # type: ignore[attr-defined]
    return None


def main() -> None:
    """Console-script entry point."""
    from closedloop.settings import apply_process_environment, get_settings

    apply_process_environment(get_settings())
    try:
        app(prog_name="closedloop")  # also under `python -m cli`
    except Exception as error:
        message = user_error(error)
        if message is None:
            raise
        fail(message)
