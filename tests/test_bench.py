"""The benchmark script runs end to end on its smallest measurements and writes its results."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from bench.cli import main
from bench.context import BenchSettings
from bench.probe import run_probe
from bench.study_loocv import study_params, summarise
from pipeline.threads import torch_threads
from tests.project_factory import LABELS, REPO, make_project, run, small_params

pytestmark = pytest.mark.slow

FIGURE_KEYS = {"name", "value", "unit", "reference_name", "reference", "ratio", "target", "holds",
               "note"}


@pytest.fixture()
def one_thread():
    """One torch thread: a shared CI machine's other jobs cannot stall a second one."""
    with torch_threads(1):
        yield


def test_flops_measurement_writes_results_json_and_markdown(tmp_path, one_thread):
    main(["--only", "flops", "--crops", "32", "32", "--batch-size", "2", "--repeats", "1",
          "--output-dir", str(tmp_path)])
    results = json.loads((tmp_path / "results.json").read_text())
    assert {"command", "machine", "load", "settings", "targets", "sections"} <= set(results)
    assert {"cpu_model", "logical_cpus", "ram_gib", "torch", "gpu"} <= set(results["machine"])
    figures = results["sections"]["flops"]["figures"]
    assert figures and all(FIGURE_KEYS <= set(figure) for figure in figures)
    counted = next(f for f in figures if f["name"].startswith("FLOPs per volume"))
    assert counted["value"] > counted["reference"] > 0  # forward+backward above forward alone
    assert "| figure | value | reference |" in (tmp_path / "RESULTS.md").read_text()


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU this measurement really runs")
def test_study_loocv_is_pending_without_a_gpu(tmp_path):
    results = main(["--only", "study_loocv", "--output-dir", str(tmp_path)])
    figures = results["sections"]["study_loocv"]["figures"]
    assert figures and all(figure["value"] is None for figure in figures)
    rows = [row for row in results["targets"] if "study-scale" in row["target"]]
    assert len(rows) == 2 and all(row["holds"] is None and "pending" in row["measured"]
                                  for row in rows)
    assert "pending" in (tmp_path / "RESULTS.md").read_text()


def test_all_folds_probe_trains_every_fold_and_the_summary_judges_it(tmp_path):
    root = make_project(tmp_path / "project", git=False)
    run(root, sys.executable, "-m", "pipeline.stages.prepare")
    params = study_params(small_params(), epochs=1, jobs=1, workers=0)
    result = run_probe("all_folds", {"project": str(root), "params": params,
                                     "cache_root": str(tmp_path / "folds")})["result"]
    assert result["total_folds"] == len(result["folds"]) == 2  # kfold, k=2
    tested = sum(len(fold["probabilities"]) for fold in result["folds"])
    assert tested == result["patients"] == len(LABELS)
    assert not any(fold["cached"] for fold in result["folds"])
    at_study_scale = BenchSettings(params=params, study_crop=64, study_epochs=1)
    wall = summarise(result, at_study_scale, jobs=1, workers=0, details={}).figures[0]
    assert wall.value == result["seconds"] and wall.holds == (result["seconds"] <= 300)
    smaller = BenchSettings(params=params, study_crop=32, study_epochs=1)
    assert summarise(result, smaller, jobs=1, workers=0, details={}).figures[0].holds is None


def test_study_loocv_runs_every_fold_where_a_gpu_is_reported(tmp_path, monkeypatch):
    # The GPU branch end to end, on a tiny cohort and the CPU, as a GPU session will run it;
    # the child process sees no GPU, so busy share and memory stay unknown.
    import bench.gpu

    cohort = make_project(tmp_path / "project", git=False) / "data"
    monkeypatch.setattr(bench.gpu, "available", lambda: True)
    results = main(["--only", "study_loocv", "--cohort", str(cohort), "--crops", "32", "32",
                    "--study-epochs", "1", "--gpu-jobs", "1", "--gpu-workers", "0",
                    "--output-dir", str(tmp_path / "out")])
    section = results["sections"]["study_loocv"]
    assert "error" not in section
    wall = section["figures"][0]
    assert wall["name"] == "all LOOCV folds, study scale" and wall["value"] > 0
    folds = section["details"]["result"]["folds"]
    assert len(folds) == section["details"]["result"]["total_folds"] == len(LABELS)  # loo
    row = next(r for r in results["targets"] if "all folds" in r["target"])
    assert "pending" not in row["measured"]
    assert row["holds"] is None and "not the study's scale" in row["measured"]  # 32^3 at 2 mm


def _run(seconds_per_batch: float, batches: int = 4) -> dict:
    """A fake repeat of either loop: ``batches`` batches of 4 volumes at a fixed speed."""
    return {"batches": [{"volumes": 4, "wait": 0.0, "step": seconds_per_batch}] * batches,
            "cpu_seconds": 2 * seconds_per_batch * batches, "first_epoch_seconds": 1.0,
            "validation_seconds": 0.1, "all_volumes": 4 * batches, "total_seconds": 2.0,
            "all_train_seconds": seconds_per_batch * batches, "epochs": 2,
            "gpu": {"busy_percent": None, "peak_bytes": None}}


def test_the_headline_overhead_is_the_median_of_back_to_back_pairs():
    from bench.throughput import summarise

    # Floor 0.10 s per batch; real loop 0.11 s (1.10x), except one pair whose floor ran in a
    # quiet moment the real loop never had (0.07 s: 1.57x). Fastest-per-batch on each side
    # would report that lucky floor: 1.57x.
    bare = [_run(0.10), _run(0.07), _run(0.10)]
    real = [_run(0.11), _run(0.11), _run(0.11)]
    section = summarise({"pipeline": {"bare": bare, "real": real}})
    figures = {figure.name: figure for figure in section.figures}
    headline = figures["training throughput, real loop"]
    assert headline.ratio == pytest.approx(1.10) and headline.holds
    assert figures["same, fastest repeat per batch"].ratio == pytest.approx(0.11 / 0.07)
    assert figures["the floor's slowest repeat"].ratio == pytest.approx(0.07 / 0.10)
    slower = summarise({"pipeline": {"bare": bare, "real": [_run(0.125)] * 3}})
    assert not slower.figures[0].holds  # 1.25x


def test_the_pipelines_noise_is_timed_beside_torchios_own(one_thread):
    import torchio as tio

    from bench.augmentation import costs_at, torchio_original
    from pipeline.augment import _TRANSFORMS

    twin = torchio_original(_TRANSFORMS["noise"](0.5))
    assert type(twin) is tio.RandomNoise and twin.probability == 0.5 and twin.std_range == (0, 0.05)
    assert torchio_original(_TRANSFORMS["affine"](0.5)) is None  # TorchIO's already
    costs = costs_at(crop=8, channels=2, mask_channels=0, repeats=1)
    assert {name for name, cost in costs.items() if "torchio" in cost} == {"noise"}
    assert all(value > 0 for cost in costs.values() for value in cost.values())


@pytest.mark.parametrize("stopping", ["fixed", "early"])
def test_the_step_timer_sees_every_training_batch_of_fit(tmp_path, stopping):
    from bench.fit_probes import StepTimes
    from pipeline.data import Example
    from pipeline.fit import TrainSettings, fit

    examples = [Example(f"P{i}", torch.rand(4, 32, 32, 32), i % 2) for i in range(6)]
    settings = TrainSettings(lr=1e-3, seed=0, max_epochs=2, patience=5, batch_size=2, val_batch_size=2,
                             network="densenet_small", stopping=stopping, progress_bar=False)
    timer = StepTimes()
    fit(examples[:4], examples[4:], settings, tmp_path / "live", callbacks=[timer])
    trained = 6 if stopping == "fixed" else 4  # the fixed rule trains the validation patients too
    assert [sum(batch["volumes"] for batch in epoch["batches"]) for epoch in timer.epochs] == [trained] * 2



def test_the_bench_sets_the_pipelines_wait_policy_before_torch_loads():
    # libgomp reads OMP_WAIT_POLICY once, when torch loads: set after, it changes nothing.
    probe = textwrap.dedent("""
        import builtins, os, sys
        real_import = builtins.__import__
        def watch(name, *args, **kwargs):
            if name.partition(".")[0] == "torch" and "torch" not in sys.modules:
                print("torch loads with", os.environ.get("OMP_WAIT_POLICY"))
            return real_import(name, *args, **kwargs)
        builtins.__import__ = watch
        import bench.cli
        """)
    environment = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    output = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=environment,
                            check=True, capture_output=True, text=True).stdout
    assert output.splitlines()[0] == "torch loads with PASSIVE"
