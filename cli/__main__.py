"""`python -m cli` is the same as the `closedloop` console script."""

from cli import main

main()
