"""The machine the figures were taken on, and its theoretical peak FLOP/s."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

import psutil
import torch

CPUINFO = Path("/proc/cpuinfo")


def cpu_fields() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty off Linux)."""
    if not CPUINFO.is_file():
        return {}
    fields = {}
    for line in CPUINFO.read_text().splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def gpu_name() -> str | None:
    """The CUDA device's name, or None on a CPU-only machine."""
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def describe() -> dict:
    """CPU model, cores, memory, library versions and GPU, as RESULTS.md states them."""
    import lightning
    import monai
    import torchio

    fields = cpu_fields()
    return {
        "cpu_model": fields.get("model name", platform.processor() or "unknown"),
        "cpu_vendor": fields.get("vendor_id", ""),
        "cpu_family_model": f"{fields.get('cpu family', '?')}/{fields.get('model', '?')}",
        "logical_cpus": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "torch_threads": torch.get_num_threads(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "torch": torch.__version__, "lightning": lightning.__version__,
        "monai": monai.__version__, "torchio": torchio.__version__,
        "gpu": gpu_name(),
        "peak_flops": peak_flops(fields),
    }


def flops_per_cycle(fields: dict[str, str]) -> tuple[int, str]:
    """FP32 FLOPs per cycle per core from the vector flags, with the assumption made."""
    flags = set(fields.get("flags", "").split())
    amd = fields.get("vendor_id") == "AuthenticAMD"
    if "avx512f" in flags and not amd:
        return 64, "AVX-512 with two 512-bit FMA units: 2 x 16 lanes x 2 FLOPs"
    if "avx512f" in flags or {"avx2", "fma"} <= flags:
        return 32, ("two 256-bit FMA pipes: 2 x 8 lanes x 2 FLOPs (AMD Zen 4 runs AVX-512 "
                    "on 256-bit pipes, so AVX-512 does not double it)" if amd else
                    "AVX2 with two FMA units: 2 x 8 lanes x 2 FLOPs")
    if "avx" in flags:
        return 16, "AVX without FMA: 8-lane add + 8-lane multiply"
    return 8, "SSE: 4-lane add + 4-lane multiply"


def clock_ghz(fields: dict[str, str]) -> float:
    """The nominal clock from the model name (``@ 2.20GHz``), else the current ``cpu MHz``."""
    named = re.search(r"@\s*([\d.]+)\s*GHz", fields.get("model name", ""))
    if named:
        return float(named.group(1))
    return float(fields.get("cpu MHz", 0) or 0) / 1000


def peak_flops(fields: dict[str, str]) -> dict:
    """cores x clock x FLOPs/cycle, FP32; a ceiling no real network reaches."""
    per_cycle, assumption = flops_per_cycle(fields)
    cores, ghz = os.cpu_count() or 1, clock_ghz(fields)
    return {"flops_per_second": cores * ghz * 1e9 * per_cycle, "cores": cores, "ghz": ghz,
            "flops_per_cycle": per_cycle,
            "assumption": f"{cores} cores x {ghz:.2f} GHz x {per_cycle} FP32 FLOPs/cycle "
                          f"({assumption}); no turbo, every vCPU a full core"}
