"""Pure labeling math: which items to ask humans about (`selection`) and how well they agree (`agreement`)."""

from models.labeling.agreement import cohen_kappa
from models.labeling.selection import Candidate, Pick, QueuePolicy, select_batch

__all__ = ["Candidate", "Pick", "QueuePolicy", "cohen_kappa", "select_batch"]
