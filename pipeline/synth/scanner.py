"""The acquisition: where the head lies, each sequence's voxel grid, and scanner artefacts.

World coordinates are the scanner's RAS millimetres. Each sequence has its own grid (voxel
size, field of view, voxel axis order and flips in its affine); the head gets a small pose
change; each image gets a smooth multiplicative bias field, Rician noise and a global
intensity scale, and is stored as int16 like a scanner would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.synth.shapes import quaternion_matrix

MAX_ROTATION_DEGREES = 5.0
MAX_TRANSLATION_MM = 5.0
NOISE_REFERENCE = 600.0  # noise sigma is a fraction of this (about white matter signal)
INT16_MAX = 32767

# Axis code -> (world axis, direction) in RAS.
_AXIS_DIRECTIONS = {"R": (0, 1.0), "L": (0, -1.0), "A": (1, 1.0), "P": (1, -1.0),
                    "S": (2, 1.0), "I": (2, -1.0)}


@dataclass(frozen=True)
class Site:
    """Scanner traits shared by a site's patients."""

    scale: float
    noise: float
    bias: float


SITES = {"site-A": Site(scale=0.8, noise=0.02, bias=0.10),
         "site-B": Site(scale=1.0, noise=0.03, bias=0.18),
         "site-C": Site(scale=1.25, noise=0.045, bias=0.25)}


@dataclass(frozen=True)
class Protocol:
    """How a sequence is acquired: voxel axis codes, voxel size in base spacings, field of view.

    The last voxel axis is the slice axis; ``subsamples`` points across each slice are
    averaged for the partial volume of thick slices.
    """

    axcodes: str
    spacing: tuple[float, float, float]
    field_of_view_mm: tuple[float, float, float]  # along world LR, AP, SI
    subsamples: int


PROTOCOLS = {
    "t1": Protocol("RAS", (1.0, 1.0, 1.0), (168.0, 208.0, 184.0), 1),
    "t1c": Protocol("LAS", (1.0, 1.0, 1.0), (172.0, 204.0, 180.0), 1),
    "t2": Protocol("LPS", (1.0, 1.0, 2.0), (176.0, 212.0, 176.0), 3),
    "flair": Protocol("PSR", (1.0, 1.0, 2.0), (168.0, 216.0, 192.0), 3),
}


@dataclass(frozen=True)
class Pose:
    """Where the head lies: world = rotation @ head + translation."""

    rotation: np.ndarray
    translation: np.ndarray


@dataclass(frozen=True)
class Grid:
    """A voxel grid: shape, affine (voxel indices to world mm), samples across each slice."""

    shape: tuple[int, int, int]
    affine: np.ndarray
    subsamples: int = 1


@dataclass(frozen=True)
class Acquisition:
    """One sequence's grid and artefacts for one patient."""

    grid: Grid
    scale: float
    bias_coefficients: np.ndarray
    noise_sigma: float


def draw_site(rng: np.random.Generator) -> str:
    """The site a patient was scanned at."""
    return str(rng.choice(sorted(SITES)))


def draw_pose(rng: np.random.Generator) -> Pose:
    """A rotation up to MAX_ROTATION_DEGREES about a random axis and a shift up to MAX_TRANSLATION_MM."""
    axis = _unit(rng.standard_normal(3))
    half_angle = math.radians(rng.uniform(0.0, MAX_ROTATION_DEGREES)) / 2.0
    rotation = np.array(quaternion_matrix(math.cos(half_angle), *(math.sin(half_angle) * axis)))
    direction = _unit(rng.standard_normal(3))
    shift = MAX_TRANSLATION_MM * rng.uniform(0.0, 1.0) ** (1.0 / 3.0)
    return Pose(rotation, shift * direction)


def _unit(vector: np.ndarray) -> np.ndarray:
    # math.sqrt of an explicit sum rather than np.linalg.norm, whose BLAS may sum in another order.
    return vector / math.sqrt(sum(float(v) * float(v) for v in vector))


def draw_acquisition(rng: np.random.Generator, protocol: Protocol, site: Site,
                     spacing_mm: float) -> Acquisition:
    """A sequence's grid (field of view and centre jittered) and its artefact settings."""
    field_of_view = np.array(protocol.field_of_view_mm) * rng.uniform(0.95, 1.05, 3)
    centre = np.array([0.0, 0.0, 8.0]) + rng.uniform(-4.0, 4.0, 3)
    grid = make_grid(protocol, spacing_mm, field_of_view, centre)
    scale = site.scale * rng.uniform(0.8, 1.2)
    bias = site.bias * rng.standard_normal(9) / 3.0
    noise = site.noise * NOISE_REFERENCE * rng.uniform(0.8, 1.2)
    return Acquisition(grid, float(scale), bias, float(noise))


def make_grid(protocol: Protocol, spacing_mm: float, field_of_view: np.ndarray,
              centre: np.ndarray) -> Grid:
    """The grid of a protocol covering ``field_of_view`` (LR, AP, SI mm) around ``centre``."""
    axes = np.zeros((3, 3))  # column v: world step (mm) of one voxel along voxel axis v
    shape = []
    for voxel_axis, (code, factor) in enumerate(zip(protocol.axcodes, protocol.spacing)):
        world_axis, sign = _AXIS_DIRECTIONS[code]
        axes[world_axis, voxel_axis] = sign * factor * spacing_mm
        shape.append(max(2, int(round(field_of_view[world_axis] / (factor * spacing_mm)))))
    affine = np.eye(4)
    affine[:3, :3] = axes
    affine[:3, 3] = centre - axes @ ((np.array(shape) - 1) / 2.0)
    return Grid(tuple(shape), affine, protocol.subsamples)


def bias_field(grid: Grid, coefficients: np.ndarray) -> np.ndarray:
    """A smooth multiplicative field: 1 plus a quadratic polynomial of world position (per 100 mm)."""
    i, j, k = (np.arange(n, dtype=np.float64) for n in grid.shape)
    x, y, z = (grid.affine[row, 0] * i[:, None, None] + grid.affine[row, 1] * j[None, :, None]
               + grid.affine[row, 2] * k[None, None, :] + grid.affine[row, 3] for row in range(3))
    x, y, z = x / 100.0, y / 100.0, z / 100.0
    terms = (x, y, z, x * x, y * y, z * z, x * y, x * z, y * z)
    field = 1.0 + sum(c * t for c, t in zip(coefficients, terms))
    return np.clip(field, 0.5, 1.8).astype(np.float32)


def acquire(clean: np.ndarray, acquisition: Acquisition, rng: np.random.Generator) -> np.ndarray:
    """The stored image: clean signal times bias, with Rician noise, scaled, as int16."""
    signal = clean * bias_field(acquisition.grid, acquisition.bias_coefficients)
    sigma = np.float32(acquisition.noise_sigma)
    real = signal + sigma * rng.standard_normal(signal.shape, dtype=np.float32)
    imaginary = sigma * rng.standard_normal(signal.shape, dtype=np.float32)
    magnitude = np.sqrt(real * real + imaginary * imaginary) * np.float32(acquisition.scale)
    return np.clip(np.rint(magnitude), 0, INT16_MAX).astype(np.int16)
