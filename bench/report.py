"""``bench/RESULTS.md``: the machine, the targets, and every figure beside its reference."""

from __future__ import annotations

import math

from bench.figure import PENDING_GPU

VERDICT = {True: "yes", False: "**no**", None: "open"}


def number(value: float | None) -> str:
    """Three significant digits, no scientific notation for everyday sizes."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if value == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{digits}f}"


def machine_table(machine: dict, load: dict) -> list[str]:
    peak = machine["peak_flops"]
    return [
        "| | |", "| --- | --- |",
        f"| CPU | {machine['cpu_model']} ({machine['cpu_vendor']}, family/model "
        f"{machine['cpu_family_model']}), {machine['logical_cpus']} logical CPUs, "
        f"{machine['physical_cores']} cores; torch uses {machine['torch_threads']} threads |",
        f"| RAM | {machine['ram_gib']} GiB |",
        f"| GPU | {machine['gpu'] or 'none'} |",
        f"| software | Python {machine['python']}, torch {machine['torch']}, lightning "
        f"{machine['lightning']}, MONAI {machine['monai']}, TorchIO {machine['torchio']} |",
        f"| theoretical CPU peak | {number(peak['flops_per_second'] / 1e9)} GFLOP/s FP32: "
        f"{peak['assumption']} |",
        f"| load average (1 min) during the run | median {number(load['median'])}, range "
        f"{number(load['min'])} to {number(load['max'])} ({machine['logical_cpus']} = every "
        f"CPU busy; above that, other jobs competed with the bench) |",
    ]


def targets_table(targets: list[dict]) -> list[str]:
    lines = ["| target | measured | holds |", "| --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['measured']} | {VERDICT[t['holds']]} |" for t in targets]
    return lines


def figure_rows(figures: list[dict]) -> list[str]:
    lines = ["| figure | value | reference | reference value | ratio | target | note |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for f in figures:
        value = f"{number(f['value'])} {f['unit']}" if f["value"] is not None else "pending"
        reference = (f"{number(f['reference'])} {f['reference_unit']}"
                     if f["reference"] is not None else "–")
        ratio = number(f["ratio"]) + ("" if f["ratio"] is None else "x")
        if f["ratio"] is not None and f["ratio_meaning"] != "figure / reference":
            ratio += " (overhead)"
        target = f["target"] and f"{f['target']}: {VERDICT[f['holds']]}"
        lines.append(f"| {f['name']} | {value} | {f['reference_name'] or '–'} | {reference} | "
                     f"{ratio} | {target or ''} | {f['note']} |")
    return lines


CONTENTION = 1.5  # default threads this much slower than one thread: other jobs disturbed the run


def contention_warning(results: dict) -> list[str]:
    """A warning when the CPU-threads section shows other processes fighting for the cores."""
    figures = results["sections"].get("threads", {}).get("figures", [])
    default = next((f for f in figures if f["name"].endswith("as the pipeline runs")), None)
    if not default or (default["ratio"] or 0) < CONTENTION:
        return []
    return ["", f"**Disturbed run.** While it ran, other processes competed for the CPUs: a bare "
            f"training step with torch's default threads took {default['ratio']:.1f}x the time of "
            f"one thread (CPU-threads section). Wall-clock training figures (throughput, LOOCV) "
            f"are then dominated by that contention; re-run on a quiet machine, or with "
            f"`OMP_WAIT_POLICY=PASSIVE python -m bench` for steadier (but different) figures."]


def render(results: dict) -> str:
    """The whole Markdown page from a results dictionary (as written to results.json)."""
    settings = results["settings"]
    lines = [
        "# Benchmark results", "",
        f"Written by `{results['command']}` on {results['started']} in "
        f"{results['seconds'] / 60:.1f} min; regenerate with `make bench` (`--quick` for fewer "
        f"repeats). Every figure was measured in the same run as its reference, back to back; "
        f"timings are medians of {settings['repeats']} repeats unless a note says otherwise. "
        f"Ratios are figure / reference, except rows marked *overhead* (reference rate / "
        f"figure rate: above 1 is slower than the floor). Raw numbers: `bench/results.json`.",
        "", f"OpenMP wait policy of the bench and its child processes: "
        f"`{results.get('omp_wait_policy') or 'unset (libgomp default: spin, then sleep)'}`, "
        f"as the pipeline runs, except where the CPU-threads section sets it otherwise.",
        *contention_warning(results),
        "", "## Machine", "", *machine_table(results["machine"], results["load"]),
        "", "## Targets", "", *targets_table(results["targets"]),
    ]
    for name, section in results["sections"].items():
        lines += ["", f"## {section['title']}", ""]
        if section.get("error"):
            lines += [f"Failed: `{section['error']}`"]
            continue
        lines += figure_rows(section["figures"])
        if section["findings"]:
            lines += [""] + [f"- {finding}" for finding in section["findings"]]
        load = section["details"]
        if "load_before" in load:
            lines += ["", f"Load average while measuring: {number(load['load_before'])} before, "
                          f"{number(load.get('load_after'))} after."]
    if not results["machine"]["gpu"]:
        lines += ["", "## GPU", "", f"GPU figures (busy share of training, peak GPU memory, the "
                  f"study-scale LOOCV's wall time and busy share): "
                  f"{PENDING_GPU}. The same command measures them where `torch.cuda.is_available()`."]
    return "\n".join(lines) + "\n"
