"""The replay's reusable parts: what streams (the later part of each corpus, in time order), how simulated
users answer predictions, and (for the demo and the benchmark alike) how simulated annotators answer the
labeling queue."""

from closedloop.replay.stream import NothingToReplay, Visit, later_messages, later_ratings, visits
from closedloop.replay.users import Report, SimulatedUsers

__all__ = [
    "NothingToReplay",
    "Report",
    "SimulatedUsers",
    "Visit",
    "later_messages",
    "later_ratings",
    "visits",
]
