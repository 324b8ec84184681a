"""How torch's CPU threads fare on this machine under the load it has now.

PyTorch's CPU kernels run in an OpenMP pool of one thread per core. When other processes
also want the cores, every parallel region waits for its descheduled threads, and
libgomp's default of spinning while it waits burns the time slices those threads need.
Measured here: bare training steps at the default crop in fresh processes, one per
setting, taking turns: torch's default threads as the pipeline runs them, the same with
``OMP_WAIT_POLICY=PASSIVE`` (waiting threads sleep at once), with ``GOMP_SPINCOUNT=1000``
(a short spin, then sleep: what libgomp itself does when oversubscribed), and one thread. Each process keeps
its setting throughout (changing torch's thread count mid-run makes oneDNN rebuild its
kernels, which would cost more than it measures).
"""

from __future__ import annotations

from bench.context import Context
from bench.figure import Figure, Section
from bench.probe import run_probe
from bench.timing import load_average, median

SETTINGS = {
    "default threads, as the pipeline runs": {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": None},
    "default threads, OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "default threads, GOMP_SPINCOUNT=1000": {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": "1000"},
    "one thread (OMP_NUM_THREADS=1)": {"OMP_NUM_THREADS": "1"},
}
ROUNDS = 1


def measure(context: Context) -> Section:
    """Median and fastest step per setting, each against one thread."""
    settings = context.settings
    section = Section("CPU threads under load: torch's default threads against one thread")
    section.details["load_before"] = load_average()
    arguments = {"crop": settings.default_crop, "batch_size": settings.batch_size,
                 "channels": settings.channels, "lr": settings.params["lr"],
                 "steps": max(3, settings.repeats + 1), "network": settings.network}
    seconds = {name: [] for name in SETTINGS}
    threads = {}
    for _ in range(ROUNDS):
        for name, environment in SETTINGS.items():
            probe = run_probe("steps", arguments, environment=environment)["result"]
            seconds[name] += probe["seconds"]
            threads[name] = probe["threads"]
    one = median(seconds[list(SETTINGS)[-1]])
    for name, values in seconds.items():
        section.figures.append(Figure(
            f"bare step, {name}", median(values), "s/batch", "one thread (median)", one,
            note=f"{threads[name]} thread{'s' if threads[name] > 1 else ''}; fastest "
                 f"{min(values):.3f} s; {len(values)} steps "
                 f"in {ROUNDS} fresh process(es), {settings.default_crop}^3"))
    relative = "; ".join(f"{name}: {median(values) / one:.2f}x" for name, values in seconds.items())
    section.findings.append(f"Median step against one thread's, under this load: {relative}.")
    section.details.update(seconds=seconds, load_after=load_average())
    return section
