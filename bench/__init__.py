"""Benchmarks of the pipeline against its floors, on the machine at hand: one script per
figure (``python -m bench.NAME``), all of them with ``python -m bench`` (``make bench``),
each writing its section of ``bench/RESULTS.md`` (``bench/common.py``)."""

# First, as every pipeline entry point does: the pipeline sets torch's OpenMP wait policy,
# which libgomp reads once, when torch loads. A bench module importing torch before it
# would time the loop with spinning waiters the pipeline never has.
import pipeline  # noqa: F401
