"""`python -m closedloop` is the same as the `closedloop` console script."""

from closedloop.cli import main

main()
