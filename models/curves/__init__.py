"""Learning curves: score versus number of labels, the fits that extrapolate it, and one point's training."""

from models.curves.fitting import (
    LogFit,
    PowerFit,
    extrapolation_check,
    fit_log,
    fit_power_law,
    labels_for_gain,
    log_spaced_sizes,
    noise_scale,
    seeds_per_size,
)
from models.curves.points import recsys_point, spam_point, subsample_interactions
from models.curves.summary import POINT, summarize_curve

__all__ = [
    "POINT",
    "LogFit",
    "PowerFit",
    "extrapolation_check",
    "fit_log",
    "fit_power_law",
    "labels_for_gain",
    "log_spaced_sizes",
    "noise_scale",
    "recsys_point",
    "seeds_per_size",
    "spam_point",
    "subsample_interactions",
    "summarize_curve",
]
