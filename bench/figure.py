"""A measured figure beside its reference, and the section of results that holds it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PENDING_GPU = "pending (no GPU available in this session)"


@dataclass
class Figure:
    """One row of the results table: a figure, its reference and their ratio.

    ``ratio`` is ``value / reference`` unless ``ratio_meaning`` says otherwise (for
    throughputs the ratio is the overhead, reference / value, so > 1 means slower).
    ``holds`` is None where the figure has no target.
    """

    name: str
    value: float | None
    unit: str
    reference_name: str = ""
    reference: float | None = None
    reference_unit: str | None = None
    ratio: float | None = None
    ratio_meaning: str = "figure / reference"
    target: str = ""
    holds: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.reference:
            self.ratio = self.value / self.reference
        if self.reference_unit is None:
            self.reference_unit = self.unit


def overhead(name: str, value: float, unit: str, reference_name: str, reference: float,
             **extra) -> Figure:
    """A rate beside the floor's rate; the ratio is the overhead (floor / figure)."""
    return Figure(name, value, unit, reference_name, reference,
                  ratio=reference / value if value else None,
                  ratio_meaning="overhead: reference / figure", **extra)


def pending_gpu(name: str, unit: str, reference_name: str = "") -> Figure:
    """A GPU figure this machine cannot measure."""
    return Figure(name, None, unit, reference_name, note=PENDING_GPU)


@dataclass
class Section:
    """What one measurement module returns: its figures, findings and raw details."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"title": self.title, "figures": [asdict(f) for f in self.figures],
                "findings": list(self.findings), "details": self.details}
