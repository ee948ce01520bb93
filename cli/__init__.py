"""The `closedloop` command line: an entry point that composes the kernel, the models, the flows and the
services for a person at a terminal. Nothing imports it; `python -m cli` is the console script."""

from cli.app import app, main

__all__ = ["app", "main"]
