"""Spam metrics at an operating threshold, and the rules that pick that threshold on validation data: the
binary classifier's (`models.classification`), under the names the spam filter's code has always used."""

from models.classification import F1_TOLERANCE, choose_threshold, classification_report, threshold_for_fpr

__all__ = ["F1_TOLERANCE", "choose_threshold", "classification_report", "threshold_for_fpr"]
