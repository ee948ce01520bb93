"""`make bench` (`python -m bench`): measures the platform on the real corpora, for every model kind that
takes part in a suite (`ModelKind.benchmarks`, `ModelKind.replay`); writes bench/results.json and the
README's tables."""
