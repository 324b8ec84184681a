"""Plotly figures of the results, shared by the dashboard and the report.

Each function takes what a reader in ``pipeline.formats`` returns (or a metrics object)
and only draws: no file access and no metric arithmetic beyond what a curve needs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#d62728"
CLASS_COLOURS = {0: "#2ca02c", 1: "#9467bd"}
CLASS_NAMES = {0: "negative", 1: "positive"}
OTHER_FOLDS_COLOUR = "rgba(150, 150, 150, 0.45)"


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """Applies the common title, axis labels and margins (legend on the right)."""
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title,
                         template="plotly_white", margin=dict(l=60, r=20, t=60, b=50))
    return figure


def _epoch_axis(figure: go.Figure, epochs: pd.Series) -> None:
    """Whole-number epoch ticks, at most about ten of them."""
    last = int(epochs.max()) if len(epochs) else 1
    figure.update_xaxes(tick0=0, dtick=max(1, round(last / 10)))


def _mark_minimum(figure: go.Figure, history: pd.DataFrame, colour: str) -> None:
    """Marks and annotates the minimum validation loss, as in the study's figures."""
    if history["val_loss"].isna().all():
        return
    best = history.loc[history["val_loss"].idxmin()]
    label = f"min validation loss {best['val_loss']:.4f} (epoch {int(best['epoch'])})"
    figure.add_trace(go.Scatter(x=[best["epoch"]], y=[best["val_loss"]], mode="markers",
                                marker=dict(symbol="star", size=14, color=colour),
                                name=label, hovertemplate=label + "<extra></extra>"))
    figure.add_annotation(x=best["epoch"], y=best["val_loss"], text=label, showarrow=True,
                          arrowhead=2, ay=-40)


def loss_curve_figure(history: pd.DataFrame, title: str) -> go.Figure:
    """Train and validation loss per epoch of one run, minimum validation loss marked.

    Args:
        history: ``epoch, train_loss, val_loss`` as ``formats.read_history`` returns.
        title: the figure title.
    """
    figure = go.Figure()
    for column, name, colour in (("train_loss", "train loss", TRAIN_COLOUR),
                                 ("val_loss", "validation loss", VALIDATION_COLOUR)):
        figure.add_trace(go.Scatter(x=history["epoch"], y=history[column], mode="lines+markers",
                                    name=name, line=dict(color=colour)))
    _mark_minimum(figure, history, VALIDATION_COLOUR)
    _epoch_axis(figure, history["epoch"])
    return _layout(figure, title, "epoch", "loss")


def _fold_label(fold: int, test_patients: str) -> str:
    return f"fold {fold} ({test_patients})"


def fold_loss_figure(histories: pd.DataFrame, highlight_fold: int | None = None) -> go.Figure:
    """Loss per epoch, one line per cross-validation fold, optionally one highlighted.

    The validation loss where the folds have one (early stopping); under the fixed-epoch rule
    nothing is validated, so the training loss is drawn instead.

    Args:
        histories: long form ``fold, test_patients, epoch, train_loss, val_loss``
            (``formats.read_fold_histories``).
        highlight_fold: fold drawn in colour, its other loss dotted and any minimum
            marked; the others are greyed. ``None`` draws every fold in colour.
    """
    validated = histories["val_loss"].notna().any()
    column, kind = ("val_loss", "validation loss") if validated else ("train_loss", "training loss")
    figure = go.Figure()
    for fold, history in histories.groupby("fold", sort=True):
        label = _fold_label(fold, history["test_patients"].iloc[0])
        greyed = highlight_fold is not None and fold != highlight_fold
        figure.add_trace(go.Scatter(
            x=history["epoch"], y=history[column], mode="lines", name=label,
            line=dict(color=OTHER_FOLDS_COLOUR, width=1) if greyed else dict(width=2),
            showlegend=not greyed, hovertemplate=label + ": %{y:.4f}<extra></extra>"))
    if highlight_fold is not None and highlight_fold in set(histories["fold"]):
        _highlight(figure, histories[histories["fold"] == highlight_fold])
    _epoch_axis(figure, histories["epoch"])
    return _layout(figure, f"Cross-validation: {kind} per fold", "epoch", kind)


def _highlight(figure: go.Figure, history: pd.DataFrame) -> None:
    """Draws the highlighted fold on top: validation solid, train dotted, minimum marked."""
    label = _fold_label(history["fold"].iloc[0], history["test_patients"].iloc[0])
    figure.add_trace(go.Scatter(x=history["epoch"], y=history["train_loss"], mode="lines",
                                name=f"{label} train loss",
                                line=dict(color=TRAIN_COLOUR, dash="dot", width=2)))
    if history["val_loss"].notna().any():  # none under the fixed-epoch rule
        figure.add_trace(go.Scatter(x=history["epoch"], y=history["val_loss"], mode="lines+markers",
                                    name=f"{label} validation loss",
                                    line=dict(color=VALIDATION_COLOUR, width=3)))
    _mark_minimum(figure, history.reset_index(drop=True), VALIDATION_COLOUR)


def roc_figure(curves: dict[str, pd.DataFrame]) -> go.Figure:
    """ROC curves of several evaluations, the AUC in the legend, the chance diagonal.

    Args:
        curves: display name -> frame with ``target`` and ``prob``. A frame with one class
            only has no ROC curve; it is listed in the legend as undefined.
    """
    # Imported here: scikit-learn takes about a second to import and only this figure needs it.
    from pipeline.evaluation.metrics import auc, roc_points

    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                                line=dict(color="grey", dash="dash")))
    for name, frame in curves.items():
        if frame["target"].nunique() < 2:
            figure.add_trace(go.Scatter(x=[None], y=[None], name=f"{name} (AUC undefined: one class)"))
            continue
        points = roc_points(frame["target"], frame["prob"])
        figure.add_trace(go.Scatter(x=points["fpr"], y=points["tpr"], mode="lines",
                                    name=f"{name} (AUC {auc(frame['target'], frame['prob']):.2f}, "
                                         f"n={len(frame)})"))
    figure.update_xaxes(range=[-0.02, 1.02], constrain="domain")
    figure.update_yaxes(range=[-0.02, 1.02], scaleanchor="x", scaleratio=1)
    return _layout(figure, "ROC curves", "1 - specificity (false positive rate)",
                   "sensitivity (true positive rate)")


def confusion_matrix_figure(metrics: dict, title: str) -> go.Figure:
    """The 2x2 confusion matrix of a metrics object: rows truth, columns predicted."""
    counts = [[metrics["tn"], metrics["fp"]], [metrics["fn"], metrics["tp"]]]
    text = [[f"TN {metrics['tn']}", f"FP {metrics['fp']}"],
            [f"FN {metrics['fn']}", f"TP {metrics['tp']}"]]
    figure = go.Figure(go.Heatmap(
        z=counts, x=["negative", "positive"], y=["negative", "positive"],
        text=text, texttemplate="%{text}", textfont=dict(size=18), colorscale="Blues",
        showscale=False, hovertemplate="truth %{y}, predicted %{x}: %{z}<extra></extra>"))
    figure.update_yaxes(autorange="reversed")
    figure = _layout(figure, title, "predicted", "truth")
    figure.update_layout(height=300)
    return figure


def probability_figure(predictions: pd.DataFrame, threshold: float = 0.5) -> go.Figure:
    """Each patient's predicted probability, coloured by true class, with the threshold.

    Patients are ordered by true class, then probability, so a model that separates
    the classes shows two clean groups either side of the line. Wrong predictions are
    drawn as crosses.
    """
    ordered = predictions.sort_values(["target", "prob"]).reset_index(drop=True)
    figure = go.Figure()
    for target, group in ordered.groupby("target"):
        wrong = group["pred"] != group["target"]
        figure.add_trace(go.Scatter(
            x=group["patient_id"], y=group["prob"], mode="markers", name=CLASS_NAMES[target],
            marker=dict(color=CLASS_COLOURS[target], size=11,
                        symbol=np.where(wrong, "x", "circle")),
            customdata=np.where(wrong, "wrong", "right"),
            hovertemplate="%{x}: p=%{y:.3f} (%{customdata})<extra>" + CLASS_NAMES[target]
                          + "</extra>"))
    figure.add_hline(y=threshold, line=dict(color="grey", dash="dash"),
                     annotation_text=f"threshold {threshold:g}")
    figure.update_yaxes(range=[-0.02, 1.02])
    figure.update_xaxes(categoryorder="array", categoryarray=list(ordered["patient_id"]))
    return _layout(figure, "Per-patient probability (x: wrong)", "patient", "probability of positive")


def permutation_figure(null_aucs: pd.Series, observed: float | None) -> go.Figure:
    """Histogram of AUCs under shuffled labels, the observed AUC marked."""
    figure = go.Figure(go.Histogram(x=null_aucs, nbinsx=30, name="shuffled labels",
                                    marker=dict(color="lightgrey", line=dict(color="grey", width=1))))
    if observed is not None:
        figure.add_vline(x=observed, line=dict(color=VALIDATION_COLOUR, width=3),
                         annotation_text=f"observed AUC {observed:.2f}")
    return _layout(figure, f"Permutation null ({len(null_aucs)} label shuffles)", "AUC",
                   "permutations")


def power_figure(power: dict) -> go.Figure:
    """Power against planted effect, one line per arm and cohort size, Wilson 95% bars.

    Args:
        power: the object of ``metrics/power.json``.
    """
    figure = go.Figure()
    for arm, summary in power["arms"].items():
        cells = pd.DataFrame(summary["cells"])
        for patients, rows in cells.groupby("patients"):
            rows = rows.sort_values("effect")
            low = [interval[0] if interval else np.nan for interval in rows["power_ci95"]]
            high = [interval[1] if interval else np.nan for interval in rows["power_ci95"]]
            figure.add_trace(go.Scatter(
                x=rows["effect"], y=rows["power"], mode="lines+markers", name=f"{arm}, n = {patients}",
                error_y=dict(type="data", symmetric=False, array=np.array(high) - rows["power"],
                             arrayminus=rows["power"] - np.array(low)),
                customdata=rows[["replicates", "auc_mean"]],
                hovertemplate="effect %{x}<br>power %{y:.2f}<br>%{customdata[0]} cohorts, "
                              "mean AUC %{customdata[1]:.2f}<extra></extra>"))
    figure.add_hline(y=0.8, line_dash="dot", annotation_text="power 0.8")
    figure.add_hline(y=power["alpha"], line_dash="dot", line_color="grey",
                     annotation_text=f"alpha {power['alpha']}")
    figure.update_yaxes(range=[-0.05, 1.05])
    return _layout(figure, "Power: share of generated cohorts in which the effect was detected",
                   "planted effect (pipeline.synth --effect)", "power")


def learning_curve_figure(points: pd.DataFrame, curves: dict) -> go.Figure:
    """Cross-validated AUC against training-set size per arm, its fitted inverse power law
    and the projected AUCs with their bootstrap intervals.

    Args:
        points: the raw points (``formats.read_learning_points``).
        curves: the object of ``metrics/learning_curve.json``.
    """
    from pipeline.power.inverse_power_law import curve

    figure = go.Figure()
    for arm, summary in curves.items():
        rows = points[points["arm"] == arm]
        figure.add_trace(go.Scatter(x=rows["train_patients"], y=rows["auc"], mode="markers",
                                    name=f"{arm}: subsamples", opacity=0.5))
        projected = {int(n): value for n, value in summary["projected"].items() if value["auc"] is not None}
        if summary["fit"] and projected:
            sizes = np.linspace(rows["train_patients"].min(), max(projected), 100)
            figure.add_trace(go.Scatter(x=sizes, y=curve(sizes, **summary["fit"]), mode="lines",
                                        name=f"{arm}: inverse power law"))
            with_interval = {n: v for n, v in projected.items() if v["ci95"]}
            figure.add_trace(go.Scatter(
                x=list(with_interval), y=[v["auc"] for v in with_interval.values()], mode="markers",
                name=f"{arm}: projected", marker=dict(symbol="diamond", size=10),
                error_y=dict(type="data", symmetric=False,
                             array=[v["ci95"][1] - v["auc"] for v in with_interval.values()],
                             arrayminus=[v["auc"] - v["ci95"][0] for v in with_interval.values()])))
    figure.add_hline(y=0.5, line_dash="dot", line_color="grey", annotation_text="chance")
    return _layout(figure, "Learning curve: cross-validated AUC against training patients",
                   "training patients", "AUC (held-out)")


def reliability_figure(curves: dict[str, pd.DataFrame], bins: int = 4) -> go.Figure:
    """Observed share of positives against predicted probability, per evaluation: groups of
    about equal size with Wilson 95% bars, the logistic recalibration line, the diagonal.

    Args:
        curves: display name -> held-out ``target``, ``prob``.
        bins: groups per evaluation (few: two dozen patients give six per group at four).
    """
    from pipeline.evaluation.calibration import recalibration_curve, reliability_bins

    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                                line=dict(color="grey", dash="dash")))
    grid = np.linspace(0.01, 0.99, 99)
    for name, frame in curves.items():
        target, prob = frame["target"].to_numpy(int), frame["prob"].to_numpy(float)
        groups = reliability_bins(target, prob, bins)
        trace = go.Scatter(
            x=groups["mean_prob"], y=groups["observed"], mode="markers", name=f"{name}: groups",
            error_y=dict(type="data", symmetric=False, array=groups["high"] - groups["observed"],
                         arrayminus=groups["observed"] - groups["low"]),
            customdata=groups[["patients"]],
            hovertemplate="predicted %{x:.2f}, observed %{y:.2f} (%{customdata[0]} patients)"
                          "<extra>" + name + "</extra>")
        figure.add_trace(trace)
        fitted = recalibration_curve(target, prob, grid)
        if fitted is not None:
            figure.add_trace(go.Scatter(x=grid, y=fitted, mode="lines",
                                        name=f"{name}: logistic recalibration"))
    figure.update_xaxes(range=[-0.02, 1.02], constrain="domain")
    figure.update_yaxes(range=[-0.02, 1.02], scaleanchor="x", scaleratio=1)
    return _layout(figure, "Calibration: observed against predicted", "predicted probability",
                   "observed share of positives")


def decision_curve_figure(curves: pd.DataFrame) -> go.Figure:
    """Net benefit against threshold probability per model, treat-all and treat-none.

    Args:
        curves: ``model, threshold, net_benefit`` (``evaluation.decision_curve.net_benefit``).
    """
    references = {"treat all": dict(color="grey", dash="dot"), "treat none": dict(color="black")}
    figure = go.Figure()
    for model, rows in curves.groupby("model", sort=False):
        figure.add_trace(go.Scatter(x=rows["threshold"], y=rows["net_benefit"], mode="lines",
                                    name=model, line=references.get(model, dict(width=3))))
    low = curves["net_benefit"].min()
    figure.update_yaxes(range=[max(low, -0.1) - 0.02, curves["net_benefit"].max() + 0.05])
    return _layout(figure, "Decision curve: net benefit of acting on the model",
                   "threshold probability", "net benefit")


def cohort_power_figure(cohort: dict) -> go.Figure:
    """Spike-in power against the effect planted in this cohort, per arm, with Wilson 95% bars,
    and each arm's located threshold at power 0.8 with its interval.

    Args:
        cohort: the object of ``metrics/power_cohort.json``.
    """
    figure = go.Figure()
    for arm, summary in cohort["arms"].items():
        cells = pd.DataFrame(summary["cells"]).sort_values("effect")
        low = [interval[0] for interval in cells["power_ci95"]]
        high = [interval[1] for interval in cells["power_ci95"]]
        figure.add_trace(go.Scatter(
            x=cells["effect"], y=cells["power"], mode="markers", name=arm,
            error_y=dict(type="data", symmetric=False, array=np.array(high) - cells["power"],
                         arrayminus=cells["power"] - np.array(low)),
            customdata=cells[["replicates", "d_flair"]],
            hovertemplate="effect %{x}<br>power %{y:.2f}<br>%{customdata[0]} cohorts, "
                          "d_flair %{customdata[1]:.2f}<extra></extra>"))
        threshold = summary["threshold"]
        if threshold["effect"] is not None:
            low, high = threshold["ci95"]
            top = cells["effect"].max() if high is None else high
            figure.add_trace(go.Scatter(
                x=[threshold["effect"]], y=[0.8], mode="markers", name=f"{arm}: power 0.8",
                marker=dict(symbol="diamond", size=11),
                error_x=dict(type="data", symmetric=False, array=[top - threshold["effect"]],
                             arrayminus=[threshold["effect"] - low]),
                hovertemplate=f"{arm}: power 0.8 at effect %{{x}} (d_flair {threshold['d_flair']})<extra></extra>"))
    figure.add_hline(y=0.8, line_dash="dot", annotation_text="power 0.8")
    figure.add_hline(y=cohort["alpha"], line_dash="dot", line_color="grey",
                     annotation_text=f"alpha {cohort['alpha']}")
    figure.update_yaxes(range=[-0.05, 1.05])
    return _layout(figure, f"Power on this cohort (n = {cohort['patients']}): share of pseudo-labelled "
                           "replicates in which the planted effect was detected",
                   "effect planted in the pseudo-positives (the generator's units)", "power")
