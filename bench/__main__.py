"""``python -m bench``: every measurement of issue 6, written to bench/results.json and RESULTS.md.

The pipeline is measured as it runs: the bench sets no OpenMP variables of its own (the
CPU-threads section sets them in its own child processes only). On a machine that other
jobs share, ``OMP_WAIT_POLICY=PASSIVE python -m bench`` gives steadier figures, at the cost
of measuring a different thread behaviour; RESULTS.md states which policy a run used.
"""

from bench.cli import main

if __name__ == "__main__":
    main()
