"""The CPU's peak FP32 FLOP/s, measured: one fused multiply-add loop per core, all at once.

/proc/cpuinfo gives the nominal clock, and a cloud vCPU often runs above it; the vector
width it implies can be wrong too. ``bench/fma_peak.c`` measures what the cores really
sustain. It needs a C compiler (``cc``); without one the figure is reported as not
measured and the theoretical peak from ``bench.machine`` stands alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("fma_peak.c")
ROUNDS = 500_000_000  # 0.7 s per core at 4.2 GHz with 512-bit vectors


def measure(repeats: int = 3, rounds: int = ROUNDS) -> dict:
    """``flops_per_second`` summed over one loop per logical CPU run at once (the best of
    ``repeats``: other jobs can only lower it), the vector ``bits`` used and the per-core
    figures; ``flops_per_second`` is None, with a ``reason``, when there is no C compiler or
    the loop cannot be built for this CPU."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return {"flops_per_second": None, "reason": "no C compiler (cc) on this machine"}
    with tempfile.TemporaryDirectory() as folder:
        binary = Path(folder) / "fma_peak"
        built = subprocess.run([compiler, "-O3", "-march=native", str(SOURCE), "-o", str(binary)],
                               capture_output=True, text=True)
        if built.returncode != 0:
            return {"flops_per_second": None,
                    "reason": f"fma_peak.c did not build: {built.stderr.strip()[:200]}"}
        runs = [_all_cores(binary, rounds) for _ in range(repeats)]
    per_core, bits = max(runs, key=lambda run: sum(run[0]))
    return {"flops_per_second": sum(per_core), "per_core": per_core, "bits": bits}


def _all_cores(binary: Path, rounds: int) -> tuple[list[float], int]:
    loops = [subprocess.Popen([str(binary), str(rounds)], stdout=subprocess.PIPE, text=True)
             for _ in range(os.cpu_count() or 1)]
    outputs = [loop.communicate()[0].split() for loop in loops]
    return [float(output[0]) for output in outputs], int(outputs[0][1])
