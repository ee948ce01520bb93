"""Retraining, for any kind: the pipeline's steps, the candidate they produce, the gate's thresholds from the
settings, the data checks and window sizes snapshots share, and the lineage every run records."""
