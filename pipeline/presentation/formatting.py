"""How metrics read for people: values, intervals and p-values, the console's one-line
summary and the warning for a model that predicted one class.

Shared by the stages' console lines, the dashboard and the report; kept apart from the
display tables (``results``) so that editing a note there retrains nothing.
"""

from __future__ import annotations


def format_value(value: float | None, digits: int = 2) -> str:
    """A metric for display; ``n/a`` when undefined."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_interval(value: float | None, interval: list[float] | None, digits: int = 2) -> str:
    """``0.62 [0.41, 0.79]``, or just the value when no interval exists."""
    if interval is None:
        return format_value(value, digits)
    low, high = interval
    return f"{format_value(value, digits)} [{low:.{digits}f}, {high:.{digits}f}]"


def format_p_value(p_value: float | None) -> str:
    """A p-value for display: three decimals, ``<0.001`` below that."""
    if p_value is None:
        return "n/a"
    return "<0.001" if p_value < 0.001 else f"{p_value:.3f}"


RANKS_AUC = 0.75  # a one-class model above this AUC separates the classes, at another threshold


def describe_single_class(name: str, metrics: dict) -> str | None:
    """A one-line warning when ``metrics`` flags a single predicted class, else None."""
    if not metrics.get("single_class"):
        return None
    label = "positive" if metrics["single_class_predicted"] == 1 else "negative"
    rates = f"specificity {metrics['specificity']}, sensitivity {metrics['sensitivity']}"
    auc = metrics.get("auc")
    if auc is not None and auc >= RANKS_AUC:
        # A threshold problem, not a learning one: saying "learned nothing" would be false.
        return (f"WARNING: {name} predicted every patient {label} at threshold "
                f"{metrics['threshold']} ({rates}), although it ranks them (AUC {auc:.2f}): "
                "its probabilities are shifted, so the rates at this threshold understate it.")
    return (f"WARNING: {name} predicted every patient {label}: it has learned nothing "
            f"that separates the classes ({rates}).")


def report_line(name: str, metrics: dict) -> str:
    """One console line: accuracy, sensitivity, specificity with intervals."""
    parts = [f"{key} {format_interval(metrics[key], metrics['ci95'][key])}"
             for key in ("accuracy", "sensitivity", "specificity")]
    return f"{name} (n={metrics['n']}): " + ", ".join(parts)


def describe_positive(positive_class: str | list[str] | tuple[str, ...],
                      column: str = "infiltration") -> str:
    """``"`extensive` infiltration"``, ``"`III` or `IV` grade"``: the positive group in words
    (params' ``data.positive_class``, one class or several, of ``data.label_column``)."""
    classes = [positive_class] if isinstance(positive_class, str) else list(positive_class)
    return f"{' or '.join(f'`{name}`' for name in classes)} {column}"
