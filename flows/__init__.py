"""Prefect flows: retrain (and, later, monitor, learning curve, simulate) plus their schedules."""
