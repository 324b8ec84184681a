"""Implicit 3D shapes, evaluated as approximate signed distances (mm, negative inside).

The phantom is made of these so that it can be sampled exactly at the voxel centres of any
grid. Only arithmetic, ``floor`` and square roots are used, never ``exp`` or ``sin``: IEEE 754
rounds those operations exactly, so the images come out bit-identical on every CPU whatever
SIMD code path numpy picks (library ``exp``/``sin`` may differ in the last bit between paths).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A point set: x, y, z arrays (head coordinates, mm) that broadcast against each other.
Points = tuple[np.ndarray, np.ndarray, np.ndarray]


def wave(t: np.ndarray) -> np.ndarray:
    """A smooth sine-like wave of period 1 with values in [-1, 1], from arithmetic only."""
    triangle = 1.0 - 4.0 * np.abs(t - np.floor(t) - 0.5)
    return triangle * (1.5 - 0.5 * triangle * triangle)


def membership(signed_distance: np.ndarray, edge_mm: float) -> np.ndarray:
    """Fraction of a voxel inside a shape: a linear ramp of width ``edge_mm`` across its surface."""
    return np.clip(0.5 - signed_distance / np.float32(edge_mm), 0.0, 1.0)


def quaternion_matrix(w: float, x: float, y: float, z: float) -> tuple[tuple[float, ...], ...]:
    """The rotation matrix (rows) of a quaternion, normalised first; arithmetic only."""
    n = (w * w + x * x + y * y + z * z) ** 0.5
    w, x, y, z = w / n, x / n, y / n, z / n
    return ((1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
            (2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
            (2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)))


class Shape:
    """A solid with an approximate signed distance and a bounding sphere."""

    centre: tuple[float, float, float]
    bounding_radius: float

    def signed_distance(self, points: Points) -> np.ndarray:
        """Signed distance in mm to the surface (negative inside), exact near the surface."""
        raise NotImplementedError


@dataclass(frozen=True)
class Ellipsoid(Shape):
    """An ellipsoid; ``axes`` rows are its own axes in head coordinates (identity if None)."""

    centre: tuple[float, float, float]
    radii: tuple[float, float, float]
    axes: tuple[tuple[float, ...], ...] | None = None

    @property
    def bounding_radius(self) -> float:
        return float(max(self.radii))

    def grown(self, mm: float) -> Ellipsoid:
        """The ellipsoid with every radius changed by ``mm`` (negative shrinks)."""
        return Ellipsoid(self.centre, tuple(r + mm for r in self.radii), self.axes)

    def signed_distance(self, points: Points) -> np.ndarray:
        offsets = [p - np.float32(c) for p, c in zip(points, self.centre)]
        if self.axes is not None:
            offsets = [sum(np.float32(a) * d for a, d in zip(row, offsets)) for row in self.axes]
        scaled = [d / np.float32(r) for d, r in zip(offsets, self.radii)]
        level = sum(s * s for s in scaled) - 1.0
        # First-order distance: level divided by the length of its gradient.
        gradient = sum((s / np.float32(r)) ** 2 for s, r in zip(scaled, self.radii))
        return level / (2.0 * np.sqrt(gradient) + np.float32(1e-6))


@dataclass(frozen=True)
class Perturbed(Shape):
    """A shape whose surface is pushed in and out by a smooth 3D wave (folds, lobules)."""

    base: Shape
    amplitude_mm: float
    wavelength_mm: float
    phases: tuple[float, float, float]

    @property
    def centre(self) -> tuple[float, float, float]:
        return self.base.centre

    @property
    def bounding_radius(self) -> float:
        return self.base.bounding_radius + abs(self.amplitude_mm)

    def signed_distance(self, points: Points) -> np.ndarray:
        field = np.float32(self.amplitude_mm)
        for p, phase in zip(points, self.phases):
            field = field * wave(p / np.float32(self.wavelength_mm) + np.float32(phase))
        return self.base.signed_distance(points) + field


@dataclass(frozen=True)
class Union(Shape):
    """Points inside any of the parts."""

    parts: tuple[Shape, ...]

    @property
    def centre(self) -> tuple[float, float, float]:
        return tuple(np.mean([part.centre for part in self.parts], axis=0).tolist())

    @property
    def bounding_radius(self) -> float:
        centre = np.array(self.centre)
        return max(float(np.linalg.norm(np.array(part.centre) - centre)) + part.bounding_radius
                   for part in self.parts)

    def signed_distance(self, points: Points) -> np.ndarray:
        return np.minimum.reduce([part.signed_distance(points) for part in self.parts])


@dataclass(frozen=True)
class Intersection(Shape):
    """Points inside all of the parts; bounded by the first part."""

    parts: tuple[Shape, ...]

    @property
    def centre(self) -> tuple[float, float, float]:
        return self.parts[0].centre

    @property
    def bounding_radius(self) -> float:
        return self.parts[0].bounding_radius

    def signed_distance(self, points: Points) -> np.ndarray:
        return np.maximum.reduce([part.signed_distance(points) for part in self.parts])
