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


# AMD Zen 5 (CPU family 26) parts with full 512-bit FMA units: server (EPYC 9005 "Turin",
# Zen 5c "Turin Dense", models 0x00-0x1F) and desktop ("Granite Ridge", 0x40-0x4F). The
# mobile Zen 5 parts run AVX-512 on 256-bit units, as Zen 4 (family 25) does everywhere.
ZEN5_FULL_WIDTH_MODELS = (range(0x00, 0x20), range(0x40, 0x50))


def flops_per_cycle(fields: dict[str, str]) -> tuple[int, str]:
    """FP32 FLOPs per cycle per core from the vector flags and CPU family, with the assumption."""
    flags = set(fields.get("flags", "").split())
    amd = fields.get("vendor_id") == "AuthenticAMD"
    if "avx512f" in flags and (not amd or _zen5_full_width(fields)):
        return 64, ("AVX-512 with two 512-bit FMA units: 2 x 16 lanes x 2 FLOPs"
                    + (" (AMD Zen 5, server or desktop)" if amd else ""))
    if "avx512f" in flags or {"avx2", "fma"} <= flags:
        return 32, ("two 256-bit FMA pipes: 2 x 8 lanes x 2 FLOPs (this AMD part runs AVX-512 "
                    "on 256-bit pipes, so AVX-512 does not double it)" if amd else
                    "AVX2 with two FMA units: 2 x 8 lanes x 2 FLOPs")
    if "avx" in flags:
        return 16, "AVX without FMA: 8-lane add + 8-lane multiply"
    return 8, "SSE: 4-lane add + 4-lane multiply"


def _zen5_full_width(fields: dict[str, str]) -> bool:
    try:
        family, model = int(fields.get("cpu family", "")), int(fields.get("model", ""))
    except ValueError:
        return False
    return family == 26 and any(model in models for models in ZEN5_FULL_WIDTH_MODELS)


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
                          f"({assumption}); at the nominal clock, every vCPU a full core: a core "
                          f"boosting above it goes faster (make bench measures the real peak)"}
