"""Benchmarks of the pipeline against its floors, on the machine at hand.

``python -m bench`` (or ``make bench``) measures every figure of issue 6 beside the
reference it is judged against, in the same run, and writes ``bench/results.json`` and
``bench/RESULTS.md``. One module per measurement; each exposes ``measure(context)``
returning a :class:`~bench.figure.Section`.
"""
