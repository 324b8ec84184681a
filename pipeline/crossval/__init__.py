"""Cross-validation: which patients train and test, one fold as a cached job, and who runs the jobs."""
