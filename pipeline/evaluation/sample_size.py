"""The minimum cohort size to develop a binary-outcome prediction model, by Riley et al.'s
criteria (BMJ 2020;368:m441), as the pmsampsize packages compute them.

pmsampsize itself is not installable here (no release on PyPI), so its three criteria are
written out below from the paper, with its published example as the test:
1. expected shrinkage of at least 0.9 (little overfitting);
2. an optimism of at most 0.05 in Nagelkerke's R-squared;
3. the overall risk estimated within 0.05 of the truth.
The anticipated Cox-Snell R-squared comes from the C-statistic as pmsampsize derives it: a
large simulated cohort whose linear predictor is normal in each class, with the mean shift
that gives that C-statistic (Riley et al., Stat Med 2022).

The criteria count a regression model's parameters. A network has no such count: they
apply to the radiomics model (its selected features), and only as a lower bound for a
network.
"""

from __future__ import annotations

import math

import numpy as np
import statsmodels.api as sm
from scipy import stats

SHRINKAGE = 0.9
OPTIMISM = 0.05
MARGIN = 0.05
SIMULATED_PATIENTS = 1_000_000


def cox_snell_from_c(c_statistic: float, prevalence: float, seed: int = 0,
                     patients: int = SIMULATED_PATIENTS) -> float:
    """The Cox-Snell R-squared a model of this C-statistic has at this prevalence."""
    if not 0.5 < c_statistic < 1:
        raise ValueError(f"a C-statistic between 0.5 and 1 is needed, got {c_statistic}")
    rng = np.random.default_rng(seed)
    events = rng.random(patients) < prevalence
    shift = math.sqrt(2) * stats.norm.ppf(c_statistic)  # C = Phi(shift / sqrt(2))
    predictor = rng.standard_normal(patients) + shift * events
    fitted = sm.Logit(events.astype(float), sm.add_constant(predictor)).fit(disp=0)
    likelihood_ratio = 2 * (fitted.llf - fitted.llnull)
    return 1 - math.exp(-likelihood_ratio / patients)


def max_cox_snell(prevalence: float) -> float:
    """The largest Cox-Snell R-squared a binary outcome of this prevalence allows."""
    log_null = prevalence * math.log(prevalence) + (1 - prevalence) * math.log(1 - prevalence)
    return 1 - math.exp(2 * log_null)


def _for_shrinkage(parameters: int, r_squared: float, shrinkage: float) -> float:
    return parameters / ((shrinkage - 1) * math.log(1 - r_squared / shrinkage))


def minimum_sample_size(prevalence: float, parameters: int, r_squared: float) -> dict:
    """Each criterion's minimum number of patients and the largest of them.

    Args:
        prevalence: the share of positives expected in the population.
        parameters: the model's candidate predictor parameters.
        r_squared: its anticipated Cox-Snell R-squared (see :func:`cox_snell_from_c`).
    """
    largest = max_cox_snell(prevalence)
    optimism_shrinkage = r_squared / (r_squared + OPTIMISM * largest)
    criteria = {
        "shrinkage": _for_shrinkage(parameters, r_squared, SHRINKAGE),
        "optimism": _for_shrinkage(parameters, r_squared, optimism_shrinkage),
        "overall_risk": (stats.norm.ppf(0.975) / MARGIN) ** 2 * prevalence * (1 - prevalence),
    }
    needed = {name: math.ceil(value) for name, value in criteria.items()}
    total = max(needed.values())
    return {"criteria": needed, "patients": total, "events": math.ceil(total * prevalence),
            "events_per_parameter": round(total * prevalence / parameters, 2),
            "prevalence": prevalence, "parameters": parameters, "r_squared": round(r_squared, 4),
            "max_r_squared": round(largest, 4)}
