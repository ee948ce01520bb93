"""Spam filter: parse raw mail, read and deduplicate the corpus, split, train, evaluate.

The light, data-side API is re-exported here. The models (`baseline.TfidfLogisticSpamModel`,
`neural.HashedNgramSpamModel`) and `evaluate.evaluate_spam` are imported from their modules, so that
reading a corpus does not import torch.
"""

from models.spam.corpus import deduplicate, message_text, message_texts, read_corpus
from models.spam.metrics import choose_threshold, classification_report, threshold_for_fpr
from models.spam.parsing import ParsedMessage, parse_message
from models.spam.splits import DataSplit, ValidationSplit, random_split, time_split, validation_split

__all__ = [
    "DataSplit",
    "ParsedMessage",
    "ValidationSplit",
    "choose_threshold",
    "classification_report",
    "deduplicate",
    "message_text",
    "message_texts",
    "parse_message",
    "random_split",
    "read_corpus",
    "threshold_for_fpr",
    "time_split",
    "validation_split",
]
