"""Tests of the serving API and its kernel parts (group commit, prediction log, hot reload)."""
