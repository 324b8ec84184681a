"""``python -m bench``: every measurement, written to bench/results.json and RESULTS.md.

The pipeline is measured as it runs: with the OpenMP wait policy the pipeline sets
(``pipeline/__init__.py``, imported by ``bench/__init__.py`` before torch) unless the
environment sets another; the CPU-threads section sets others in its own child processes
only. RESULTS.md states which policy a run used.
"""

from bench.cli import main

if __name__ == "__main__":
    main()
