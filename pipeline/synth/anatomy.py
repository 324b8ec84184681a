"""The head phantom: one patient's anatomy as layered implicit shapes in head coordinates.

Head coordinates are RAS millimetres with the origin at the centre of the head; the scanner
module places the head in the scanner with a small pose change. Layers are painted in order,
each over the ones before it, so nested shapes give shells (scalp, skull, CSF, cortex).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.synth.shapes import (
    Ellipsoid,
    Intersection,
    Perturbed,
    Points,
    Shape,
    Union,
    quaternion_matrix,
    wave,
)

# Nominal brainstem: a vertical core plus the pons bulging forward; about 22 x 20 x 48 mm.
BRAINSTEM_CORE_RADII = (10.0, 8.0, 24.0)
PONS_OFFSET = (0.0, 3.0, 2.0)
PONS_RADII = (11.0, 9.0, 10.0)
# The oedema keeps at least this far from the brainstem, so only infiltration changes it.
TUMOUR_CLEARANCE_MM = 5.0
MAX_TUMOUR_DRAWS = 200


@dataclass(frozen=True)
class Layer:
    """One tissue painted with one shape."""

    tissue: str
    shape: Shape


@dataclass(frozen=True)
class InfiltrationPattern:
    """Where infiltration would raise T2/FLAIR signal: strongest at the top of the brainstem.

    ``coverage`` is the fraction of the brainstem height reached from the top, ``tilt`` makes
    one side stronger, ``patchiness`` modulates it with a smooth wave. Every patient gets one;
    the cohort scales it by effect and label.
    """

    centre: tuple[float, float, float]
    radii: tuple[float, float, float]
    coverage: float
    tilt: float
    amplitude: float
    patchiness: float
    phases: tuple[float, float, float]

    def strength(self, points: Points) -> np.ndarray:
        """Relative signal increase at ``points`` (0 where untouched, about 1 at its strongest)."""
        x, _, z = ((p - np.float32(c)) / np.float32(r)
                   for p, c, r in zip(points, self.centre, self.radii))
        ramp = np.clip((z - np.float32(1.0 - 2.0 * self.coverage)) / np.float32(0.6), 0.0, 1.0)
        ramp = ramp * ramp * (3.0 - 2.0 * ramp)
        side = np.clip(1.0 + np.float32(self.tilt) * x, 0.0, None)
        patches = np.float32(1.0)
        for p, phase in zip(points, self.phases):
            patches = patches * wave(p / np.float32(14.0) + np.float32(phase))
        return np.float32(self.amplitude) * ramp * side * (1.0 + np.float32(self.patchiness) * patches)


@dataclass(frozen=True)
class Anatomy:
    """One patient's phantom: layers in painting order, the brainstem and its infiltration."""

    layers: tuple[Layer, ...]
    brainstem: Shape
    infiltration: InfiltrationPattern


def draw_anatomy(rng: np.random.Generator) -> Anatomy:
    """Draws one patient's anatomy (every patient gets an infiltration pattern, whatever the label)."""
    head = Ellipsoid((0.0, 0.0, 10.0), _scaled(rng, (74.0, 94.0, 88.0), 0.07))
    scalp, skull, csf = rng.uniform(4.0, 6.0), rng.uniform(5.0, 8.0), rng.uniform(1.5, 3.5)
    inner = head.grown(-(scalp + skull))
    cerebrum = _cerebrum(inner, csf)
    brainstem, core = _brainstem(rng, inner)
    infiltration = draw_infiltration(rng, core)
    layers = [Layer("scalp", head), Layer("skull", head.grown(-scalp)), _face_and_neck(head, scalp),
              *_brain_layers(rng, inner, cerebrum, csf), *_deep_grey_matter(rng, cerebrum),
              *_ventricles(rng, cerebrum), *_brainstem_layers(brainstem, core),
              *_tumour(rng, cerebrum, brainstem)]
    return Anatomy(tuple(layers), brainstem, infiltration)


def _scaled(rng: np.random.Generator, radii: tuple[float, ...], spread: float) -> tuple:
    """Radii times one overall factor and a smaller factor per axis."""
    overall = rng.uniform(1.0 - spread, 1.0 + spread)
    return tuple(float(r * overall * rng.uniform(0.97, 1.03)) for r in radii)


def _face_and_neck(head: Ellipsoid, scalp_mm: float) -> Layer:
    """Muscle and soft tissue filling the head below the skull base."""
    rx, ry, rz = head.radii
    below = Ellipsoid((0.0, 0.1 * ry, head.centre[2] - rz), (0.8 * rx, 0.8 * ry, 0.55 * rz))
    return Layer("muscle", Intersection((below, head.grown(-scalp_mm - 2.0))))


def _cerebrum(inner: Ellipsoid, csf_mm: float) -> Ellipsoid:
    """The cerebral hemispheres: the intracranial space above the tentorium, less the CSF rim."""
    rx, ry, rz = inner.radii
    centre_z = inner.centre[2]
    top, bottom = centre_z + rz - csf_mm, centre_z - 0.28 * rz
    middle = (top + bottom) / 2.0
    # The skull narrows away from its equator; the hemispheres follow it at their own equator.
    narrowing = (1.0 - ((middle - centre_z) / rz) ** 2) ** 0.5
    return Ellipsoid((0.0, 0.0, middle), (rx * narrowing - csf_mm - 1.0, ry * narrowing - csf_mm - 1.0,
                                          (top - bottom) / 2.0))


def _brain_layers(rng: np.random.Generator, inner: Ellipsoid, cerebrum: Ellipsoid,
                  csf_mm: float) -> list[Layer]:
    """CSF around the brain, then cortex and folded white matter of cerebrum, temporal lobes, cerebellum."""
    rx, ry, rz = cerebrum.radii
    bottom = cerebrum.centre[2] - rz
    temporal = [Ellipsoid((side * 0.62 * rx, 0.15 * ry, bottom + 4.0), _scaled(rng, (16.0, 28.0, 16.0), 0.08))
                for side in (-1.0, 1.0)]
    ix, iy, iz = inner.radii
    cerebellum = Ellipsoid((0.0, -0.5 * iy, inner.centre[2] - 0.5 * iz),
                           _scaled(rng, (0.58 * ix, 0.27 * iy, 0.23 * iz), 0.05))
    lobes = [cerebrum, *temporal, cerebellum]
    depth = rng.uniform(7.0, 9.0)
    folds = dict(amplitude_mm=rng.uniform(4.5, 6.0), wavelength_mm=rng.uniform(14.0, 20.0),
                 phases=tuple(rng.uniform(0.0, 1.0, 3)))
    white = [Perturbed(lobe.grown(-depth), **folds) for lobe in lobes[:3]]
    white.append(Perturbed(cerebellum.grown(-0.45 * min(cerebellum.radii)), 2.5, 8.0, folds["phases"]))
    return ([Layer("csf", lobe.grown(csf_mm)) for lobe in lobes]
            + [Layer("grey_matter", lobe) for lobe in lobes]
            + [Layer("white_matter", shape) for shape in white])


def _deep_grey_matter(rng: np.random.Generator, cerebrum: Ellipsoid) -> list[Layer]:
    """Thalami and lentiform nuclei on both sides."""
    rx, ry, rz = cerebrum.radii
    cz = cerebrum.centre[2]
    nuclei = []
    for side in (-1.0, 1.0):
        thalamus = (side * 0.18 * rx, -0.12 * ry, cz - 0.3 * rz)
        lentiform = (side * 0.42 * rx, 0.1 * ry, cz - 0.25 * rz)
        nuclei.append(Ellipsoid(thalamus, _scaled(rng, (9.0, 14.0, 10.0), 0.1)))
        nuclei.append(Ellipsoid(lentiform, _scaled(rng, (6.0, 15.0, 10.0), 0.1)))
    return [Layer("grey_matter", nucleus) for nucleus in nuclei]


def _ventricles(rng: np.random.Generator, cerebrum: Ellipsoid) -> list[Layer]:
    """The two lateral ventricles, slightly different in size."""
    cx, cy, cz = cerebrum.centre
    spacing, forward, up = rng.uniform(6.0, 9.0), rng.uniform(0.0, 6.0), rng.uniform(-2.0, 4.0)
    return [Layer("csf", Ellipsoid((side * spacing, cy + forward, cz + up),
                                   _scaled(rng, (5.5, 23.0, 9.0), 0.15)))
            for side in (-1.0, 1.0)]


def _brainstem(rng: np.random.Generator, inner: Ellipsoid) -> tuple[Union, Ellipsoid]:
    """The brainstem (core plus pons) with small shifts and size changes; also its core."""
    nominal = (0.0, -0.17 * inner.radii[1], inner.centre[2] - 0.44 * inner.radii[2])
    centre = tuple(float(c + rng.uniform(-2.0, 2.0)) for c in nominal)
    scale = rng.uniform(0.9, 1.1, 3)
    core = Ellipsoid(centre, tuple(float(r * s) for r, s in zip(BRAINSTEM_CORE_RADII, scale)))
    pons = Ellipsoid(tuple(float(c + o * s) for c, o, s in zip(centre, PONS_OFFSET, scale)),
                     tuple(float(r * s) for r, s in zip(PONS_RADII, scale)))
    return Union((core, pons)), core


def _brainstem_layers(brainstem: Union, core: Ellipsoid) -> list[Layer]:
    """The cisterns around the brainstem, the spinal cord below it, then the brainstem itself."""
    x, y, z = core.centre
    cord = Ellipsoid((x, y - 2.0, z - core.radii[2] - 18.0), (6.5, 6.0, 22.0))
    return ([Layer("csf", part.grown(2.5)) for part in (*brainstem.parts, cord)]
            + [Layer("spinal_cord", cord), Layer("brainstem", brainstem)])


def _tumour(rng: np.random.Generator, cerebrum: Ellipsoid, brainstem: Shape) -> list[Layer]:
    """Oedema, enhancing rim and necrotic core of a supratentorial tumour clear of the brainstem."""
    axes = _random_rotation(rng)
    ratios = rng.uniform(0.8, 1.2, 3)
    lobules = dict(wavelength_mm=rng.uniform(18.0, 28.0), phases=tuple(rng.uniform(0.0, 1.0, 3)))
    for _ in range(MAX_TUMOUR_DRAWS):
        side = rng.choice([-1.0, 1.0])
        centre = (side * rng.uniform(18.0, 40.0), rng.uniform(-35.0, 35.0),
                  cerebrum.centre[2] + rng.uniform(-15.0, 20.0))
        enhancing_mm, oedema_mm = rng.uniform(8.0, 18.0), rng.uniform(6.0, 20.0)
        necrosis_mm = enhancing_mm * rng.uniform(0.35, 0.7)
        shells = [Perturbed(Ellipsoid(centre, tuple(float(r * q) for q in ratios), axes),
                            amplitude_mm=0.15 * r, **lobules)
                  for r in (enhancing_mm + oedema_mm, enhancing_mm, necrosis_mm)]
        if _fits(shells, cerebrum, brainstem, enhancing_mm):
            break
    else:  # about 1.4 draws are needed on average; this would mean the anatomy ranges broke
        raise RuntimeError(f"no tumour placement fits after {MAX_TUMOUR_DRAWS} draws")
    oedema = Intersection((shells[0], cerebrum))
    return [Layer("oedema", oedema), Layer("enhancing_tumour", shells[1]), Layer("necrosis", shells[2])]


def _fits(shells: list[Shape], cerebrum: Ellipsoid, brainstem: Shape, enhancing_mm: float) -> bool:
    """Whether the tumour sits inside the cerebrum and its oedema stays clear of the brainstem."""
    centre = tuple(np.array([c], dtype=np.float32) for c in shells[0].centre)
    if cerebrum.signed_distance(centre)[0] > -(enhancing_mm + 5.0):
        return False
    points = _box_points(brainstem)
    inside = brainstem.signed_distance(points) < 0.0
    return bool(np.all(shells[0].signed_distance(points)[inside] > TUMOUR_CLEARANCE_MM))


def _box_points(shape: Shape, step_mm: float = 2.0) -> Points:
    """A regular point grid covering a shape's bounding sphere."""
    axes = [np.arange(c - shape.bounding_radius, c + shape.bounding_radius + step_mm, step_mm,
                      dtype=np.float32) for c in shape.centre]
    return tuple(np.meshgrid(*axes, indexing="ij"))


def _random_rotation(rng: np.random.Generator) -> tuple[tuple[float, ...], ...]:
    """A uniformly random rotation matrix (rows), from a random unit quaternion."""
    w, x, y, z = (float(v) for v in rng.standard_normal(4))
    return quaternion_matrix(w, x, y, z)


def draw_infiltration(rng: np.random.Generator, core: Ellipsoid) -> InfiltrationPattern:
    """A smooth, partial infiltration pattern over the brainstem ``core``.

    Public because the spike-in study (``pipeline.power.spike_in``) draws the same pattern
    over an ellipsoid fitted to a real patient's brainstem mask.
    """
    return InfiltrationPattern(core.centre, core.radii, coverage=rng.uniform(0.45, 0.9),
                               tilt=rng.uniform(-0.6, 0.6), amplitude=rng.uniform(0.8, 1.2),
                               patchiness=rng.uniform(0.2, 0.4), phases=tuple(rng.uniform(0.0, 1.0, 3)))
