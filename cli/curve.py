"""`closedloop learning-curve KIND`: how much is each extra 1,000 labels worth?"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cli.kinds import Kind
from cli.output import console, emit_json


def _points(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}"


def _r2(value: float | None) -> str:
    return "n/a (flat curve)" if value is None else f"{value:.3f}"


def _print_curve(curve: dict[str, Any]) -> None:
    metric = curve["metric"]
    table = Table(title=f"{curve['model']} learning curve ({metric} on the fixed holdout, ×100)")
    for header in ("labels", "seeds", "mean", "std", "power law", "per seed"):
        table.add_column(header, justify="right")
    power = curve["power_fit"]
    for n, mean, std, per_seed in zip(
        curve["sizes"], curve["mean"], curve["std"], curve["scores"], strict=True
    ):
        fitted = 1.0 - (power["a"] * n ** (-power["b"]) + power["c"])
        table.add_row(
            f"{n:,}",
            str(len(per_seed)),
            _points(mean),
            _points(std),
            _points(fitted),
            " ".join(_points(s) for s in per_seed),
        )
    console.print(table)
    extra, n_max = curve["extrapolation"], curve["sizes"][-1]
    labels = curve["labels_for_next_point"]
    console.print(
        f"power law: {metric} = 1 − ({power['a']:.3g}·n^−{power['b']:.3f} + {power['c']:.4f}),"
        f" R² {_r2(power['r2'])}; log fit R² {_r2(curve['log_fit']['r2'])}\n"
        f"predicted {metric}: {_points(curve['predicted']['2x'])} at 2× ({2 * n_max:,} labels),"
        f" {_points(curve['predicted']['10x'])} at 10× ({10 * n_max:,});"
        f" asymptote {_points(curve['asymptote'])}\n"
        + (
            f"next +1 point: about {labels:,} more labels\n"
            if labels is not None
            else "next +1 point: not reachable by more of this data (the fitted asymptote is below it)\n"
        )
        + f"extrapolation check: fit on {extra['fit_sizes']}, predicted {_points(extra['predicted'])}"
        f" at {extra['target_size']:,}, measured {_points(extra['actual'])}"
        f" (error {_points(extra['abs_error'])} points)\n"
        f"written: reports/{curve['png']}, reports/learning-curve/{curve['model']}.json;"
        f" {curve['seconds']:.0f}s",
        highlight=False,
    )


def learning_curve(
    model: Kind,
    sizes: Annotated[int, typer.Option("--sizes", min=4, help="How many log-spaced training sizes.")] = 7,
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, help="Seeds per size (with --scale-seeds: at the largest size).")
    ] = 3,
    scale_seeds: Annotated[
        bool,
        typer.Option(
            "--scale-seeds/--same-seeds",
            help="Train more seeds at the small, noisy sizes (round(seeds·√(n_max/n))); slower.",
        ),
    ] = False,
    estimator: Annotated[
        str | None,
        typer.Option(help="The model every point trains (default: the kind's first, the fast one)."),
    ] = None,
    processes: Annotated[
        bool, typer.Option("--processes/--threads", help="Train points in processes (parallel on CPU).")
    ] = True,
    workers: Annotated[int, typer.Option(min=1, help="Points trained at once.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the curve's JSON.")] = False,
) -> None:
    """Train on log-spaced shares of the data, fit score(n), and say what more labels would buy."""
    from closedloop.orchestration import prefect_api
    from closedloop.settings import get_settings
    from flows.learning_curve import run_learning_curve

    with prefect_api(get_settings()):
        curve = run_learning_curve(
            processes=processes,
            workers=workers,
            model=model,
            n_sizes=sizes,
            min_seeds=seeds,
            scale_seeds=scale_seeds,
            estimator=estimator,
        )
    if as_json:
        emit_json(curve)
    else:
        _print_curve(curve)


def register(app: typer.Typer) -> None:
    app.command(name="learning-curve")(learning_curve)
