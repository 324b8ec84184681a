"""What the bench scripts share: a scratch copy of the project, a child process's peak
memory, and the one writer of ``bench/results.json`` and ``bench/RESULTS.md``.

Each script measures in a throwaway project (the code, ``dvc.yaml``, a ``params.yaml``
and a cohort, built here) and runs the real stages there, as ``dvc repro`` would.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.metadata
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
import torch
import yaml

from pipeline import formats
from pipeline.config.params import read_params
from pipeline.config.settings import input_settings
from pipeline.formats import paths
from pipeline.training.fit import load_examples

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SCRIPTS = ("loop", "flops", "augmentation", "stages", "loocv", "power", "make_run", "dashboard", "gpu")
GIB, MIB = 2**30, 2**20
BUDGET_GIB = 4.0  # the default `make run` stays under this much memory
STUDY_CROP = 64  # voxels a side at the study's scale (64 mm at 1 mm)
# RESULTS.md from this line on is written by hand (earlier measurements, what they led
# to) and kept as it is when a script rewrites its section above.
HISTORY = "## History"


@dataclass
class Row:
    """One figure beside the reference it is judged against; ``ratio`` is figure / reference
    unless given (a median of paired ratios, for instance)."""

    figure: str
    value: float | None
    unit: str
    reference: str = ""
    reference_value: float | None = None
    ratio: float | None = None
    target: str = ""
    holds: bool | None = None
    note: str = ""

    def __post_init__(self):
        if self.ratio is None and self.value is not None and self.reference_value:
            self.ratio = self.value / self.reference_value


def pending(figure: str, unit: str, target: str = "", why: str = "no GPU in this run") -> Row:
    """A figure this run could not take (a GPU figure on a machine without one): its target
    stays open."""
    return Row(figure, None, unit, target=target, note=f"pending: {why}")


def peak_row(figure: str, peak_bytes: int, judged: bool = True, note: str = "") -> Row:
    """A peak of resident memory against the budget of ``make run`` (a target only if ``judged``)."""
    peak = peak_bytes / GIB
    return Row(figure, peak, "GiB", f"the {BUDGET_GIB:g} GiB budget of make run", BUDGET_GIB,
               target=f"< {BUDGET_GIB:g} GiB" if judged else "", holds=peak < BUDGET_GIB, note=note)


def gpu_available() -> bool:
    return torch.cuda.is_available()


def synchronise() -> None:
    """Waits for queued GPU work, so wall-clock times include it (nothing on a CPU)."""
    if gpu_available():
        torch.cuda.synchronize()


def load_average() -> float:
    """Runnable processes, one-minute average: above the core count, other jobs competed."""
    return round(os.getloadavg()[0], 2)


# --- command line ------------------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    """The options every script takes; a script adds its own."""
    found = argparse.ArgumentParser(description=description)
    found.add_argument("--quick", action="store_true", help="fewer repeats")
    found.add_argument("--cohort", type=Path, help="a cohort folder (default: the built-in "
                       "cohort, written by pipeline.synth as `make run` writes it)")
    found.add_argument("--params", type=Path, default=REPO / paths.PARAMS,
                       help="the params.yaml to start from (default: the repository's)")
    found.add_argument("--output", type=Path, default=BENCH,
                       help="where results.json and RESULTS.md are (default: bench/)")
    return found


def add_crops(found: argparse.ArgumentParser) -> None:
    found.add_argument("--crops", type=int, nargs="+",
                       help=f"crop sides in voxels (default: params' and {STUDY_CROP})")


def crops(args: argparse.Namespace, params: dict) -> list[int]:
    """The crops asked for, or the params' and the study's."""
    return args.crops or list(dict.fromkeys([params["prepare"]["crop_voxels"], STUDY_CROP]))


# --- scratch projects --------------------------------------------------------------------


@contextlib.contextmanager
def scratch():
    """A temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cohort(folder: Path, given: Path | None) -> Path:
    """``given``, or the built-in cohort written under ``folder``."""
    if given is not None:
        return given.resolve()
    from pipeline.synth import write_cohort

    write_cohort(folder / "cohort", seed=0, workers=min(2, os.cpu_count() or 1))
    return folder / "cohort"


def code_paths() -> list[str]:
    """The top-level folders and files of the code ``dvc.yaml``'s stages depend on: not the
    data, not what a stage writes (``outputs/``, ``metrics/``)."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"].values()

    def listed(key: str) -> set[Path]:
        return {Path(next(iter(item)) if isinstance(item, dict) else item)
                for stage in stages for item in stage.get(key, [])}

    written = listed("outs") | listed("metrics") | listed("plots") | {paths.DATA}
    code = {dep.parts[0] for dep in listed("deps")  # not an output, inside one or holding one
            if not any(dep == out or out in dep.parents or dep in out.parents for out in written)}
    return sorted(top for top in code if (REPO / top).exists())


def merged(params: dict, overrides: dict) -> dict:
    """``params`` with ``overrides`` (nested dicts) written over it."""
    params = copy.deepcopy(params)
    for key, value in overrides.items():
        if isinstance(value, dict):
            params[key] = merged(params[key], value)
        else:
            params[key] = value
    return params


def write_params(root: Path, params: dict) -> None:
    (root / paths.PARAMS).write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def make_project(root: Path, data: Path | None, params_file: Path, overrides: dict | None = None,
                 dvc: bool = False, patients: list[str] | None = None) -> Path:
    """A copy of the project in ``root``: code, ``dvc.yaml``, params with ``overrides``, and
    ``data`` as its ``data/`` (only ``patients`` if given; none if None). With ``dvc``, a
    git + DVC repository (the data not in it: ``make run`` writes it after the clone)."""
    ignored = shutil.ignore_patterns("__pycache__", "*.html", ".quarto", "*_files")
    root.mkdir(parents=True)
    for name in {*code_paths(), "dvc.yaml"}:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name, ignore=ignored)
        else:
            shutil.copy(REPO / name, root / name)
    write_params(root, merged(read_params(params_file, recipe=False), overrides or {}))
    if data is not None and patients is None:
        shutil.copytree(data, root / paths.DATA)  # a copy: ingest refuses links out of data/
    elif data is not None:
        for patient in patients:
            shutil.copytree(data / patient, root / paths.DATA / patient)
        lines = (data / "labels.csv").read_text(encoding="utf-8").splitlines()
        kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[0] in patients]
        (root / paths.LABELS).write_text("\n".join(kept) + "\n", encoding="utf-8")
    if dvc:
        for command in (["git", "init", "-q"], ["dvc", "init", "-q"],
                        ["dvc", "config", "core.analytics", "false"], ["git", "add", "-A"],
                        ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
                         "commit", "-qm", "bench project"]):
            run_child(command, root)
    return root


def project_params(root: Path) -> dict:
    """The project's params as its stages read them (recipe applied)."""
    return read_params(root / paths.PARAMS)


def channels(params: dict) -> int:
    """Model input channels: the chosen sequences (``data.sequences``), then the mask's (0, 1 or 2)."""
    return len(params["data"]["sequences"]) + formats.mask_channel_count(params["model"]["mask_channel"],
                                                         params["prepare"]["one_hot_mask"])


def examples(root: Path, count: int | None = None):
    """The prepared patients of a project as model inputs (the first ``count``, both classes
    interleaved so any prefix holds both)."""
    ids, targets = formats.cohort(root / paths.MANIFEST)
    by_class = [[pid for pid in ids if targets[pid] == label] for label in (1, 0)]
    order = [pid for pair in zip(*by_class) for pid in pair]
    order += [pid for pid in ids if pid not in order]
    chosen = order[:count]
    if count is not None and len(chosen) < count:
        raise SystemExit(f"bench: the cohort has {len(chosen)} usable patients, {count} needed")
    return load_examples(root / paths.PREPROCESSED, chosen, targets,
                         **input_settings(project_params(root)))


# --- child processes ---------------------------------------------------------------------


@dataclass
class Child:
    seconds: float
    peak_bytes: int  # resident memory of the process and its descendants, sampled
    output: str


def environment() -> dict[str, str]:
    """This interpreter's tools first on PATH (dvc, python), DVC's analytics off."""
    return {**os.environ, "DVC_NO_ANALYTICS": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def start(command: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=cwd, env=environment(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait(process: subprocess.Popen, started: float, interval: float = 0.05) -> Child:
    """Waits for ``process``, sampling the summed RSS of its tree (``getrusage`` would not do:
    Linux carries a parent's high-water mark into a child across ``exec``)."""
    output: list[str] = []
    reader = _drain(process, output)
    peak, parent = 0, psutil.Process(process.pid)
    while process.poll() is None:
        total = 0
        with contextlib.suppress(psutil.Error):
            for member in [parent, *parent.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += member.memory_info().rss
        peak = max(peak, total)
        time.sleep(interval)
    reader.join()
    seconds = time.perf_counter() - started
    text = "".join(output)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(process.args)} failed ({process.returncode}):\n{text[-3000:]}")
    return Child(seconds, peak, text)


def _drain(process: subprocess.Popen, into: list[str]) -> threading.Thread:
    """Reads the child's output in a thread, so a full pipe never stalls it."""
    thread = threading.Thread(target=lambda: into.extend(process.stdout), daemon=True)
    thread.start()
    return thread


def run_child(command: list[str], cwd: Path) -> Child:
    """Runs ``command`` in ``cwd``: its wall seconds, peak memory and output."""
    started = time.perf_counter()
    return wait(start(command, cwd), started)


def run_stage(root: Path, stage: str) -> Child:
    """The real stage in the project ``root``, in a fresh process, on the project's own code."""
    return run_child([sys.executable, "-m", f"pipeline.stages.{stage}"], root)


# --- results -----------------------------------------------------------------------------


class Section:
    """One script's figures; :meth:`save` records them in results.json and RESULTS.md."""

    def __init__(self, name: str, title: str, argv: list[str] | None):
        self.name, self.title = name, title
        self.command = " ".join(["python -m", f"bench.{name}", *(sys.argv[1:] if argv is None else argv)])
        self.started, self.clock = time.strftime("%Y-%m-%d %H:%M"), time.perf_counter()
        self.load_before = load_average()
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.details: dict = {}

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)

    def save(self, output: Path) -> dict:
        """Replaces this script's section (the others stay as they were); returns all results."""
        results_file = output / "results.json"
        results = json.loads(results_file.read_text()) if results_file.is_file() else {}
        results["machine"] = machine()
        results.setdefault("sections", {})[self.name] = finite({
            "title": self.title, "command": self.command, "started": self.started,
            "seconds": round(time.perf_counter() - self.clock, 1),
            "load": [self.load_before, load_average()],
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "rows": [asdict(row) for row in self.rows], "notes": self.notes,
            "details": self.details})
        output.mkdir(parents=True, exist_ok=True)
        formats.write_json(results_file, results)
        markdown = output / "RESULTS.md"
        kept = markdown.read_text(encoding="utf-8") if markdown.is_file() else ""
        history = kept[kept.index(HISTORY):] if HISTORY in kept else ""
        formats.write_text(markdown, render(results) + ("\n" + history if history else ""))
        print(f"bench.{self.name}: {len(self.rows)} figures in {output / 'RESULTS.md'}", flush=True)
        return results


def finite(value):
    """JSON without NaN: non-finite floats become null, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def machine() -> dict:
    """The CPU, memory, GPU and software the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {name: importlib.metadata.version(name)
                for name in ("torch", "lightning", "monai", "torchio", "dvc")}
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "ram_gib": round(psutil.virtual_memory().total / GIB, 1),
            "gpu": torch.cuda.get_device_name(0) if gpu_available() else None,
            "python": platform.python_version(), **versions}


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "pending" if unit else "–"
    text = f"{value:.3g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def render(results: dict) -> str:
    """RESULTS.md: the machine, every row with a target, then each section's table."""
    sections = [(name, results["sections"][name]) for name in SCRIPTS if name in results["sections"]]
    info = results["machine"]
    lines = [
        "# Benchmark results", "",
        "Written by the scripts of `bench/`: `make bench` runs them all, `python -m bench.NAME` "
        "one (it replaces its own section). Each figure was measured in the same run as its "
        "reference; the ratio is figure / reference, so above 1 is slower or larger. Each "
        "section gives its command, when it ran and the one-minute load average before and "
        f"after ({info['logical_cpus']} = every CPU busy). Raw numbers: `bench/results.json`.", "",
        "## Machine", "", "| | |", "| --- | --- |",
        f"| CPU | {info['cpu']}, {info['logical_cpus']} logical CPUs, torch uses "
        f"{info['torch_threads']} threads |",
        f"| RAM | {info['ram_gib']} GiB |", f"| GPU | {info['gpu'] or 'none'} |",
        f"| software | Python {info['python']}, torch {info['torch']}, Lightning "
        f"{info['lightning']}, MONAI {info['monai']}, TorchIO {info['torchio']}, DVC {info['dvc']} |",
        "", "## Targets", "", "| target | measured | holds | section |", "| --- | --- | --- | --- |"]
    for name, section in sections:
        for row in section["rows"]:
            if row["target"]:
                holds = {True: "yes", False: "**no**", None: "open"}[row["holds"]]
                measured = number(row["value"], row["unit"])
                if row["ratio"] is not None:
                    measured += f" ({row['ratio']:.3g}x {row['reference']})"
                lines.append(f"| {row['figure']}: {row['target']} | {measured} | {holds} | {name} |")
    for name, section in sections:
        load = section["load"]
        lines += ["", f"## {section['title']}", "",
                  f"`{section['command']}`, {section['started']}, {section['seconds']:.0f} s; "
                  f"load {load[0]} before, {load[1]} after; OpenMP wait policy "
                  f"{section['omp_wait_policy'] or 'unset'}.", "",
                  "| figure | value | reference | reference value | ratio | target | note |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for row in section["rows"]:
            target = f"{row['target']}: {'yes' if row['holds'] else 'no'}" if (
                row["target"] and row["holds"] is not None) else row["target"]
            ratio = f"{row['ratio']:.3g}x" if row["ratio"] is not None else "–"
            lines.append(f"| {row['figure']} | {number(row['value'], row['unit'])} | "
                         f"{row['reference'] or '–'} | "
                         f"{number(row['reference_value'], row['unit']) if row['reference'] else '–'} | "
                         f"{ratio} | {target} | {row['note']} |")
        if section["notes"]:
            lines += ["", *[f"- {note}" for note in section["notes"]]]
    return "\n".join(lines) + "\n"
