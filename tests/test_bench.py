"""The bench scripts: their shared writer, their arithmetic, and each script end to end on a
tiny cohort (the slow ones)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml

from bench import common, dashboard, flops, gpu, loocv, loop, make_run, power, stages
from pipeline.config.params import read_params
from pipeline.config.settings import TrainSettings
from pipeline.crossval.splits import usable_folds
from pipeline.training.datasets import Example
from tests.browser import needs_chromium
from tests.nifti_factory import write_cohort
from tests.outputs_factory import write_fake_outputs
from tests.project_factory import LABELS, REPO, small_params

slow = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny cohort and params sized for seconds: the options every script takes."""
    folder = tmp_path_factory.mktemp("bench")
    write_cohort(folder / "cohort", LABELS)
    (folder / "params.yaml").write_text(yaml.safe_dump(small_params(), sort_keys=False))
    return ["--cohort", str(folder / "cohort"), "--params", str(folder / "params.yaml"), "--quick"]


def rows(results: dict, name: str) -> dict[str, dict]:
    return {row["figure"]: row for row in results["sections"][name]["rows"]}


def test_a_row_is_judged_against_its_reference_unless_given_a_ratio():
    assert common.Row("a", 3.0, "s", "b", 2.0).ratio == pytest.approx(1.5)
    assert common.Row("a", 3.0, "s", "b", 2.0, ratio=1.1).ratio == 1.1
    assert common.Row("a", None, "s", "b", 2.0).ratio is None
    assert common.Row("a", 3.0, "s").ratio is None


def test_each_script_replaces_only_its_own_section(tmp_path):
    first = common.Section("loop", "Loop", [])
    first.add(common.Row("real loop", 1.3, "s", "floor", 1.0, target="<= 1.2x", holds=False))
    first.save(tmp_path)
    other = common.Section("flops", "FLOPs", ["--crops", "32"])
    other.add(common.Row("FLOPs", 5.0, "GFLOP"))
    other.save(tmp_path)
    again = common.Section("loop", "Loop", [])
    again.add(common.Row("real loop", 1.1, "s", "floor", 1.0, target="<= 1.2x", holds=True),
              common.pending("GPU busy", "%", ">= 80%"))
    results = again.save(tmp_path)
    assert json.loads((tmp_path / "results.json").read_text()) == results
    assert set(results["sections"]) == {"loop", "flops"}
    assert [row["value"] for row in results["sections"]["loop"]["rows"]] == [1.1, None]
    assert results["sections"]["flops"]["command"] == "python -m bench.flops --crops 32"
    text = (tmp_path / "RESULTS.md").read_text()
    assert "| real loop: <= 1.2x | 1.1 s (1.1x floor) | yes | loop |" in text
    assert "| GPU busy: >= 80% | pending | open | loop |" in text
    assert "1.3 s" not in text
    assert text.index("## Loop") < text.index("## FLOPs")  # the scripts' order, not the saves'
    (tmp_path / "RESULTS.md").write_text(text + "\n## History\n\nWritten by hand.\n")
    other.save(tmp_path)
    assert (tmp_path / "RESULTS.md").read_text().endswith("\n## History\n\nWritten by hand.\n")


def test_a_childs_peak_memory_covers_what_it_held(tmp_path):
    child = common.run_child([sys.executable, "-c", "import time; block = bytearray(300 * 2**20); "
                              "block[::4096] = b'x' * len(block[::4096]); time.sleep(0.5); print('done')"],
                             tmp_path)
    assert child.peak_bytes >= 300 * 2**20 and child.output.strip() == "done"
    with pytest.raises(RuntimeError, match=r"failed \(1\):\nsaid this\nexit 3"):
        common.run_child([sys.executable, "-c", "print('said this'); raise SystemExit('exit 3')"], tmp_path)


def test_a_scratch_project_holds_the_code_the_stages_run_and_none_of_their_outputs(tmp_path):
    assert {"pipeline", "report"} <= set(common.code_paths())
    assert not {"outputs", "metrics", "data", "tests", "bench"} & set(common.code_paths())
    params = tmp_path / "params.yaml"
    params.write_text((REPO / "params.yaml").read_text())
    write_cohort(tmp_path / "cohort", LABELS)
    root = common.make_project(tmp_path / "project", tmp_path / "cohort", params,
                               {"lr": 0.01, "train": {"max_epochs": 2}}, patients=["P01", "P02"])
    written = read_params(root / "params.yaml")
    assert written["lr"] == 0.01 and written["train"]["max_epochs"] == 2
    assert written["train"]["batch_size"] == read_params(params)["train"]["batch_size"]
    assert sorted(p.name for p in (root / "data").iterdir()) == ["P01", "P02", "labels.csv"]
    assert (root / "data" / "labels.csv").read_text().count("\n") == 3  # header and two patients


def test_the_loop_ratio_is_the_median_of_back_to_back_pairs():
    def pair(floor, real):
        return {"step": floor * 5, "batches": 5}, {"wait": 0.0, "step": real * 5, "batches": 5}

    # One pair's floor ran in a quiet moment the real loop never had: 0.07 s, 1.57x.
    ratios = loop.pair_ratios([pair(0.10, 0.11), pair(0.07, 0.11), pair(0.10, 0.11)])
    assert sorted(ratios) == pytest.approx([1.1, 1.1, 0.11 / 0.07])
    waiting = loop.pair_ratios([({"step": 1.0, "batches": 10}, {"wait": 0.5, "step": 1.0, "batches": 10})])
    assert waiting == pytest.approx([1.5])  # waiting for data counts against the loop


@slow
@pytest.mark.parametrize("stopping", ["fixed", "early"])
def test_the_step_timer_sees_every_training_batch_of_fit(tmp_path, stopping):
    from pipeline.training.fit import fit

    examples = [Example(f"P{i}", torch.rand(4, 32, 32, 32), i % 2) for i in range(6)]
    settings = TrainSettings(lr=1e-3, seed=0, max_epochs=2, patience=5, batch_size=2, val_batch_size=2,
                             network="densenet_small", stopping=stopping, progress_bar=False)
    timer = loop.StepTimes()
    fit(*loop.fit_inputs(examples[:4], examples[4:], settings), settings, tmp_path / "live",
        callbacks=[timer])
    trained = 6 if stopping == "fixed" else 4  # the fixed rule trains the validation patients too
    assert [sum(volumes for volumes, _, _ in epoch) for epoch in timer.epochs] == [trained] * 2
    assert all(wait >= 0 and step > 0 for epoch in timer.epochs for _, wait, step in epoch)


def test_flops_grow_with_the_volume_and_training_costs_more_than_inference():
    small, large = (flops.counted_flops(5, crop, "densenet_small") for crop in (32, 64))
    assert 1.9 < small["training"] / small["forward"] < 3.1
    assert 7 < large["training"] / small["training"] < 9  # 8x the voxels


def test_the_floor_of_make_run_counts_every_model_it_trains():
    params = read_params(REPO / "params.yaml")
    assert params["train"]["stopping"] == "fixed" and params["loocv"]["scheme"] == "loo"
    assert make_run.training_volumes(params, 24) == 19 + 24 * 23
    early = common.merged(params, {"train": {"stopping": "early"}})
    assert make_run.training_volumes(early, 24) == 15 + 24 * 19
    nested = common.merged(params, {"loocv": {"lr_grid": [1e-3, 3e-3]}})
    assert make_run.training_volumes(nested, 24) == 19 + 24 * (2 * 19 + 23)  # then the winner
    nested_early = common.merged(early, {"loocv": {"lr_grid": [1e-3, 3e-3]}})
    assert make_run.training_volumes(nested_early, 24) == 15 + 24 * 2 * 19  # the winner kept
    rebalanced = common.merged(params, {"loocv": {"scheme": "rebalanced_loo"}})
    assert make_run.training_volumes(rebalanced, 24) == 19 + 24 * 22
    kfold = common.merged(params, {"loocv": {"scheme": "kfold", "folds": 4}})
    assert make_run.training_volumes(kfold, 24) == 19 + 4 * 18


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU's answer")
def test_without_a_gpu_its_figures_are_pending_and_their_targets_open(tmp_path):
    results = gpu.main(["--output", str(tmp_path)])
    figures = rows(results, "gpu")
    assert all(row["value"] is None for row in figures.values())
    assert figures["all LOOCV folds, study scale"]["target"] == "<= 300 s on one H100"
    assert "| GPU busy over the LOOCV: >= 80% | pending | open | gpu |" in (tmp_path / "RESULTS.md").read_text()


@slow
def test_the_loop_script_measures_the_real_loop_beside_its_floor(tmp_path, tiny):
    results = loop.main([*tiny, "--volumes", "5", "2", "--epochs", "2", "--output", str(tmp_path)])
    real = rows(results, "loop")["real loop, 32^3, per volume"]
    assert real["value"] > 0 and real["reference_value"] > 0 and real["ratio"] > 0
    assert real["holds"] == (real["ratio"] <= loop.TARGET)
    assert len(results["sections"]["loop"]["details"]["pairs"]) == 2  # --quick


@slow
def test_the_stages_script_measures_prepare_and_train_in_their_own_processes(tmp_path, tiny):
    results = stages.main([*tiny, "--crops", "32", "--sizes", "6", "--output", str(tmp_path)])
    figures = rows(results, "stages")
    assert figures["prepare, 32^3, per usable patient"]["note"].startswith("8 usable patients")
    assert 0.1 < figures["train peak memory, 32^3 (one epoch)"]["value"] < 4  # torch alone is 0.3 GiB
    flat = figures["prepare peak, 8 usable patients"]
    assert flat["reference"] == "prepare peak, 6 patients" and flat["holds"] == (flat["ratio"] <= 1.1)


@slow
def test_the_loocv_script_times_both_job_counts_and_sees_the_folds_cached(tmp_path, tiny):
    results = loocv.main([*tiny, "--output", str(tmp_path)])
    figures = rows(results, "loocv")
    rerun = figures["re-run with every fold cached"]
    assert rerun["holds"] and rerun["note"].startswith("2 cached, 0 retrained")
    assert figures["two LOOCVs at once (jobs=2 each), wall"]["value"] > 0
    assert [run["folds"] for run in results["sections"]["loocv"]["details"]["runs"].values()] == [2, 2]


def test_the_loocv_stage_must_say_what_it_trains():
    assert loocv.trained_folds("loo: 24 folds over 24 patients (20 cached, 4 to train, jobs=2)") == (20, 4)
    with pytest.raises(RuntimeError, match="did not say"):
        loocv.trained_folds("nothing")


@slow
def test_the_power_script_compares_a_spike_in_fold_with_a_loocv_fold(tmp_path, tiny):
    results = power.main([*tiny, "--output", str(tmp_path)])
    figures = rows(results, "power")
    details = results["sections"]["power"]["details"]
    spike = figures["spike-in: a fold's wall on its worker"]
    per_draw = usable_folds([label == "extensive" for label in LABELS.values()], 5)  # power.folds
    assert spike["note"].startswith(f"{2 * per_draw} folds")  # two controls, one replicate each
    assert spike["value"] >= spike["reference_value"] > 0  # a fold's wall holds its training
    unit = figures["spike-in: training per patient-epoch"]
    assert unit["reference_value"] > 0 and unit["holds"] == (unit["ratio"] <= power.PER_PATIENT_TARGET)
    assert 0 < details["network_phase"] < details["spike_stage"]


def test_a_folds_wall_on_its_worker_counts_the_folds_running_beside_it():
    assert power.per_fold(60.0, 10, 2) == 12.0
    assert power.per_fold(60.0, 1, 2) == 60.0  # one fold never shares its time
    assert power.seconds_said("a (3 s)\nb (41 s)", r"\((\d+) s\)") == 41.0
    with pytest.raises(RuntimeError, match="did not print"):
        power.seconds_said("nothing", r"\((\d+) s\)")


@slow
def test_the_make_run_script_runs_dvc_repro_and_sees_what_is_cached(tmp_path, tiny):
    results = make_run.main([*tiny, "--output", str(tmp_path)])
    figures = rows(results, "make_run")
    assert figures["dvc repro again, nothing changed"]["holds"]
    stale = figures["stages stale after an lr change"]
    assert stale["holds"] and {"train", "loocv"} <= set(stale["note"].split(", "))
    forced = figures["forced LOOCV re-run (dvc repro -f -s loocv)"]
    assert forced["holds"] and forced["note"] == "2 folds cached, 0 trained"
    assert figures["make run (cohort written, dvc repro), wall"]["reference_value"] > 0


def test_the_dashboard_figure_is_pending_before_the_pipeline_has_run(tmp_path):
    results = dashboard.main(["--root", str(tmp_path), "--output", str(tmp_path / "bench")])
    (row,) = rows(results, "dashboard").values()
    assert row["value"] is None and row["holds"] is None and row["target"] == "<= 3 s"
    assert row["note"].startswith("pending")


@slow
@needs_chromium
def test_the_dashboard_script_times_the_first_page_in_chromium(tmp_path):
    write_fake_outputs(tmp_path)
    results = dashboard.main(["--root", str(tmp_path), "--loads", "2", "--output", str(tmp_path / "bench")])
    row = rows(results, "dashboard")[dashboard.FIGURE]
    seconds = results["sections"]["dashboard"]["details"]["seconds"]
    assert len(seconds) == 2 and row["value"] == pytest.approx(sum(seconds) / 2)
    assert row["holds"] == (row["value"] <= 3) and "10 included patients" in row["note"]


@slow
def test_the_gpu_scripts_study_run_goes_through_the_real_stages(tmp_path):
    write_cohort(tmp_path / "cohort", LABELS)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(small_params(), sort_keys=False))
    overrides = gpu.study_overrides(epochs=1, jobs=2, workers=0)
    assert overrides["recipe"] == "study" and overrides["prepare"]["crop_voxels"] == 64
    root = common.make_project(tmp_path / "project", tmp_path / "cohort", params,
                               {"train": {"max_epochs": 1}, "loocv": {"jobs": 2}})
    result = gpu.run_study(root)
    assert result["folds"] == len(result["best_epochs"]) == 2 and result["seconds"] > 0
    if not torch.cuda.is_available():
        assert result["gpu"]["busy_percent"] is None


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
        import bench.loop
        """)
    environment = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    output = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=environment,
                            check=True, capture_output=True, text=True).stdout
    assert output.splitlines()[0] == "torch loads with PASSIVE"


def test_python_m_bench_runs_the_chosen_scripts_in_their_own_processes(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "gpu", "--output", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert set(json.loads((tmp_path / "results.json").read_text())["sections"]) == {"gpu"}
    assert Path(tmp_path / "RESULTS.md").is_file()
