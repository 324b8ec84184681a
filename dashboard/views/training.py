"""Page "Training": loss curves of the single split and of every LOOCV fold."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.views.common import chart, missing
from pipeline.formats import paths
from pipeline.presentation import figures


def single_split_section() -> None:
    """Train and validation loss of the single split, minimum validation loss marked."""
    st.subheader("Single split")
    history = data.train_history()
    if history is None:
        missing("Single-split loss curves", paths.TRAIN_LIVE)
        return
    chart(figures.loss_curve_figure(history, "Single split: loss per epoch"), key="train-loss")
    st.caption("A validation loss that rises while the training loss keeps falling is "
               "overfitting; early stopping (the study's recipe) keeps the model at the marked "
               "minimum. Under fixed epochs (the kit's default) no patient is set aside, no "
               "validation loss is logged, and the last epoch's model is kept.")


def _fold_label(index, fold: int) -> str:
    patients = index.loc[index["fold"] == fold, "test_patients"]
    return f"fold {fold}: {patients.iloc[0]}" if len(patients) else f"fold {fold}"


def folds_section() -> None:
    """Validation loss of every LOOCV fold, one picked to highlight, and the fold index."""
    st.subheader("LOOCV folds")
    histories = data.fold_histories()
    if histories is None:
        missing("LOOCV fold loss curves", paths.LOOCV_INDEX)
        return
    index = data.fold_index()
    folds = sorted(histories["fold"].unique().tolist())
    highlight = st.selectbox("Highlight fold (held-out patients)", [None] + folds, key="fold",
                             format_func=lambda fold: "none" if fold is None
                             else _fold_label(index, fold))
    chart(figures.fold_loss_figure(histories, highlight), key="fold-loss")
    with st.expander("Fold index (held-out patients, run time, best epoch)"):
        st.dataframe(index, hide_index=True)


st.title("Training")
single_split_section()
folds_section()
