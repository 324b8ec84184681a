"""The CPU peak the FLOP/s figures are judged against: from /proc/cpuinfo, and measured."""

import os
import shutil

import pytest

from bench import fma_peak
from bench.machine import cpu_fields, flops_per_cycle, peak_flops

AVX512 = "fpu sse sse2 avx fma avx2 avx512f avx512dq"


def _amd(family: int, model: int) -> dict[str, str]:
    return {"vendor_id": "AuthenticAMD", "cpu family": str(family), "model": str(model),
            "flags": AVX512, "cpu MHz": "2600.000", "model name": "AMD EPYC"}


@pytest.mark.parametrize("family, model, expected", [
    (25, 17, 32),   # Zen 4 (EPYC 9004): AVX-512 on 256-bit pipes
    (26, 2, 64),    # Zen 5 server (EPYC 9005 "Turin"): full 512-bit FMA units
    (26, 68, 64),   # Zen 5 desktop ("Granite Ridge", model 0x44)
    (26, 36, 32),   # Zen 5 mobile ("Strix Point", model 0x24): 256-bit units
])
def test_amd_fma_width_follows_the_cpu_generation(family, model, expected):
    assert flops_per_cycle(_amd(family, model))[0] == expected


def test_peak_multiplies_cores_clock_and_flops_per_cycle():
    peak = peak_flops(_amd(26, 2))
    assert peak["flops_per_second"] == pytest.approx((os.cpu_count() or 1) * 2.6e9 * 64)


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="no C compiler to build the FMA loop")
@pytest.mark.skipif("fma" not in cpu_fields().get("flags", "").split(),
                    reason="not an x86-64 CPU with FMA: the loop is not built there")
def test_fma_loop_runs_on_every_core_with_the_widest_vectors():
    measured = fma_peak.measure(repeats=1, rounds=2_000_000)
    assert len(measured["per_core"]) == (os.cpu_count() or 1)
    flags = cpu_fields().get("flags", "").split()
    assert measured["bits"] == (512 if "avx512f" in flags else 256)
    # At least 1 GFLOP/s per core: any FMA-capable core of the last decade does far more.
    assert min(measured["per_core"]) > 1e9
    assert measured["flops_per_second"] == pytest.approx(sum(measured["per_core"]))


def test_without_a_compiler_the_peak_is_not_measured_and_says_why(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    measured = fma_peak.measure(repeats=1, rounds=1)
    assert measured["flops_per_second"] is None and "no C compiler" in measured["reason"]
