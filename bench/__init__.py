"""Benchmarks of the pipeline against its floors, on the machine at hand.

``python -m bench`` (or ``make bench``) measures every figure beside the reference it is
judged against, in the same run, and writes ``bench/results.json`` and
``bench/RESULTS.md``. One module per measurement; each exposes ``measure(context)``
returning a :class:`~bench.figure.Section`.
"""

# First, as every pipeline entry point does: the pipeline sets torch's OpenMP wait policy,
# which libgomp reads once, when torch loads. A bench module importing torch before it
# would time the loop with spinning waiters the pipeline never has.
import pipeline  # noqa: F401
