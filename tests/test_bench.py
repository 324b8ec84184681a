"""The benchmark script runs end to end on its smallest measurement and writes its results."""

import json

import pytest
import torch

from bench.cli import main

FIGURE_KEYS = {"name", "value", "unit", "reference_name", "reference", "ratio", "target", "holds",
               "note"}


@pytest.fixture()
def one_thread():
    """One torch thread: a shared CI machine's other jobs cannot stall a second one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
