"""`make bench`: measures the platform on the real corpora; writes bench/results.json and README tables."""
