"""95% intervals: Wilson's for a proportion, a stratified percentile bootstrap for any
other statistic of held-out probabilities."""

from __future__ import annotations

import numpy as np
from scipy import stats


def wilson_interval(successes: int, total: int) -> list[float] | None:
    """95% Wilson score interval of a proportion; None when ``total`` is 0."""
    if total == 0:
        return None
    interval = stats.binomtest(successes, total).proportion_ci(0.95, method="wilson")
    return [round(float(interval.low), 4), round(float(interval.high), 4)]


# A statistic undefined in some resamples (a calibration slope under separation) gets an
# interval only when it is defined in nearly all of them: the rest would be a biased subset.
DEFINED_SHARE = 0.95


def stratified_bootstrap(target, prob, statistic, resamples: int, seed: int) -> list[float] | None:
    """Percentile interval of ``statistic`` over resamples drawn within each class (None
    where the statistic is undefined in more than a few resamples)."""
    positives, negatives = np.flatnonzero(target == 1), np.flatnonzero(target == 0)
    if resamples <= 0 or len(positives) == 0 or len(negatives) == 0:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        index = np.concatenate([rng.choice(positives, len(positives)),
                                rng.choice(negatives, len(negatives))])
        values.append(statistic(target[index], prob[index]))
    defined = [value for value in values if value is not None]
    if len(defined) < DEFINED_SHARE * resamples:
        return None
    low, high = np.percentile(defined, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]
