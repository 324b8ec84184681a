"""The study kit's pipeline, in the order the data flows: ``config`` (params), ``ingest``,
``preprocessing``, ``formats`` (every file stages hand over), ``training``, ``crossval``,
``evaluation``, ``power``, ``presentation`` (what the dashboard and report share), ``synth``
(the built-in cohort) and ``stages`` (one module per DVC stage)."""

import os

# Torch's OpenMP threads wait for work by spinning unless told otherwise; beside another
# process on the same cores a spinning team takes its time slices (bench/RESULTS.md,
# History, "Threads that share"). Set here, before any module imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
