"""The study kit's pipeline: ingest, preprocessing, training, evaluation."""

import os

# Torch's OpenMP threads wait for work by spinning unless told otherwise. With another
# process on the same cores a spinning team takes their time slices: a fold trained on
# two threads beside a second process ran 4x slower than on one. Sleeping waiters cost
# nothing measurable alone. Set here, before any module imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
