"""The report's external validation: whether there was one, and the two cohorts side by side.

An external cohort differs from the training cohort in more than its patients: its class
balance, its sites and what had to be excluded change what its figures mean, so they are
shown next to the training cohort's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.ingest.labels import read_extra_column
from pipeline.presentation.formatting import format_value

SITE_COLUMN = "site"


def was_done(external: dict | None) -> bool:
    """Whether ``metrics/external.json`` holds an external validation."""
    return bool(external and external.get("done"))


def not_done_sentence(external: dict | None) -> str:
    """The one sentence the report gives when no external validation was done."""
    reason = (external or {}).get("reason", "the external stage has not run")
    return (f"No external validation was done: {reason.rstrip('.')}. Putting a labelled cohort in "
            "`data_external/` and running `dvc repro` adds one.")


def cohort_sites(labels_path: Path) -> dict[str, str]:
    """Each patient's ``site`` from a labels file; empty when it has no such column."""
    return read_extra_column(labels_path, SITE_COLUMN)


def _listed(positive_class: str | list[str]) -> str:
    """``"`extensive`"``, ``"`III` or `IV`"``."""
    classes = [positive_class] if isinstance(positive_class, str) else positive_class
    return " or ".join(f"`{name}`" for name in classes)


def case_mix(manifests: dict[str, pd.DataFrame], sites: dict[str, dict[str, str]],
             positive_class: str | list[str]) -> pd.DataFrame:
    """One column per cohort: patients listed, excluded (by reason code), included, class
    balance and, where a labels file has a ``site`` column, included patients per site."""
    codes = sorted({code for manifest in manifests.values()
                    for code in _codes(manifest).index})
    site_names = sorted({site for by_id in sites.values() for site in by_id.values() if site})
    columns = {}
    for name, manifest in manifests.items():
        included = manifest[manifest["included"]]
        positives = int((included["target"] == 1).sum())
        column = {"patients listed": len(manifest), "excluded": len(manifest) - len(included)}
        column.update({f"excluded for {code}": int(_codes(manifest).get(code, 0)) for code in codes})
        share = format_value(positives / len(included)) if len(included) else "n/a"
        column.update({"included": len(included), f"positive ({_listed(positive_class)})": positives,
                       "negative": len(included) - positives, "positive share": share})
        by_id = sites.get(name, {})
        for site in site_names:
            column[f"site: {site}"] = (sum(by_id.get(pid) == site for pid in included["patient_id"])
                                       if by_id else "n/a")
        columns[name] = column
    frame = pd.DataFrame(columns)
    return frame.rename_axis("").reset_index()


def _codes(manifest: pd.DataFrame) -> pd.Series:
    """Excluded patients per reason code (``missing``, ``unreadable``, ...)."""
    excluded = manifest[~manifest["included"]]
    return excluded["reason"].str.split(":").str[0].value_counts()
