"""The `closedloop` command line: composes the kernel, the models and (later) the flows and services."""

from closedloop.cli.app import app, main

__all__ = ["app", "main"]
