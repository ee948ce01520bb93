"""`make bench`: measures the platform on the real corpora and writes bench/results.json plus README tables."""
