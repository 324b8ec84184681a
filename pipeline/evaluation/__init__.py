"""Scoring held-out probabilities: the metrics object, tests against chance, the reference models."""
