"""Training snapshots: the base corpus plus consensus labels up to a watermark, validated and redacted."""
