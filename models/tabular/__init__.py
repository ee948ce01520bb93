"""Binary classifiers over numeric features: the estimators a tabular kind trains, and fitting one at an
operating point (`fitting.py`)."""

from models.tabular.fitting import ESTIMATORS, FittedClassifier, build_estimator, fit_at_fpr

__all__ = ["ESTIMATORS", "FittedClassifier", "build_estimator", "fit_at_fpr"]
