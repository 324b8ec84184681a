"""The study kit's pipeline: ingest, preprocessing, training, evaluation."""

import os

# Torch's OpenMP threads wait for work by spinning unless told otherwise; beside another
# process on the same cores a spinning team takes its time slices (bench/RESULTS.md, "CPU
# threads"). Set here, before any module imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
