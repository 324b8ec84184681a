"""Small pieces of page content shared by several pages."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import data


def missing(what: str, path: Path) -> None:
    """Says that ``what`` is not produced yet, and which command produces it."""
    stage = data.stage_of(path)
    command = f"dvc repro {stage}" if stage else "dvc repro"
    st.info(f"**{what}**: not produced yet (`{path}` is missing). "
            f"Run `{command}` (stage `{stage or 'all'}`) from the repository root to produce it.",
            icon=":material/hourglass_empty:")


def chart(figure, key: str | None = None) -> None:
    """A Plotly figure across the page width."""
    st.plotly_chart(figure, width="stretch", key=key)
