"""The TRIPOD+AI checklist filled from the run: for each item, where the report answers it, or
what the authors must add.

Items and topics follow the TRIPOD+AI checklist (Collins GS, Moons KGM, Dhiman P, et al.
TRIPOD+AI statement: updated guidance for reporting clinical prediction models that use
regression or machine learning methods. BMJ 2024;385:e078378, Table 1): its 27 items, with
the sub-items that table numbers separately. The topics are shortened; the published wording
is the one to report against. CLAIM 2024 is not included: its item list could not be checked
here against the published one.
"""

from __future__ import annotations

import pandas as pd

CHECKLIST = "TRIPOD+AI"
COLUMNS = ["checklist", "item", "topic", "status", "where"]

# status: "report" (answered where named), "partly" (the report gives what the run knows;
# the authors complete it), "authors" (only the authors can say), "not applicable".
ITEMS = [
    ("1", "Title: a prediction model study, its population, outcome and approach", "authors", "the manuscript's title"),
    ("2", "Abstract (TRIPOD+AI for Abstracts)", "authors", "the manuscript's abstract"),
    ("3a", "Background: healthcare context, rationale, existing models", "authors", "introduction"),
    ("3b", "Background: target population, place in the care pathway, intended users", "authors", "introduction"),
    ("3c", "Background: known health inequalities between groups", "authors", "introduction"),
    ("4", "Objectives: development, evaluation or both", "partly", "#summary"),
    ("5a", "Data: sources, and how representative they are", "partly", "#cohort"),
    ("5b", "Data: dates of accrual and follow-up", "authors", "the cohort's dates"),
    ("6a", "Participants: setting, number and location of centres", "authors", "the clinical setting and centres"),
    ("6b", "Participants: eligibility criteria", "partly", "#cohort"),
    ("6c", "Participants: treatments received", "authors", "treatments before imaging"),
    ("7", "Data preparation and quality checks", "report", "#methods"),
    ("8a", "Outcome: definition, how and when assessed", "partly", "#cohort"),
    ("8b", "Outcome: qualifications and demographics of the assessors", "authors", "who graded infiltration"),
    ("8c", "Outcome: blinding of its assessment", "authors", "whether graders saw the images or predictions"),
    ("9a", "Predictors: choice of the initial predictors", "report", "#methods"),
    ("9b", "Predictors: definition, measurement and timing", "partly", "#methods"),
    ("9c", "Predictors: qualifications of those who measured them", "authors", "who drew or checked the brainstem masks; scanner protocols"),
    ("10", "Sample size, and how it was arrived at", "report", "#how-many-patients"),
    ("11", "Missing data and how they were handled", "report", "#cohort"),
    ("12a", "How the data were used for development and evaluation", "report", "#methods"),
    ("12b", "How predictors were handled in the analyses", "report", "#methods"),
    ("12c", "Model type, building, hyperparameter tuning, internal validation", "report", "#methods"),
    ("12d", "Heterogeneity between clusters (centres)", "authors", "analysis by centre, if any"),
    ("12e", "Performance measures, with rationale", "report", "#calibration"),
    ("12f", "Model updating, if done", "not applicable", "no updating"),
    ("12g", "How predictions were calculated (evaluation)", "report", "#methods"),
    ("13", "Class imbalance: methods and rationale", "partly", "#methods"),
    ("14", "Fairness: approaches and rationale", "authors", "subgroup performance by sex, age, site"),
    ("15", "Model output, and any threshold and its rationale", "report", "#results"),
    ("16", "Differences between development and evaluation data", "partly", "#external-validation"),
    ("17", "Ethical approval, and consent", "authors", "ethics committee, approval number, consent"),
    ("18a", "Open science: funding", "authors", "funding"),
    ("18b", "Open science: conflicts of interest", "authors", "conflicts of interest"),
    ("18c", "Open science: protocol", "authors", "where the protocol can be read"),
    ("18d", "Open science: registration", "authors", "registration, or that there was none"),
    ("18e", "Open science: data sharing", "authors", "whether and how the images can be shared"),
    ("18f", "Open science: code sharing", "report", "#reproducibility"),
    ("19", "Patient and public involvement", "authors", "patient and public involvement"),
    ("20a", "Participants: flow through the study, with outcome numbers", "report", "#cohort"),
    ("20b", "Participants: characteristics, overall and by group", "partly", "#cohort"),
    ("20c", "Participants: development and evaluation data compared", "partly", "#external-validation"),
    ("21", "Model development: participants and outcome events in each analysis", "report", "#results"),
    ("22", "Model specification: enough detail to use it", "partly", "#reproducibility"),
    ("23a", "Model performance with confidence intervals", "report", "#results"),
    ("23b", "Performance in subgroups (heterogeneity)", "authors", "subgroup results"),
    ("24", "Model updating results", "not applicable", "no updating"),
    ("25", "Interpretation, including fairness", "partly", "#summary"),
    ("26", "Limitations: non-representative data, sample size, overfitting", "partly", "#how-many-patients"),
    ("27a", "Usability: handling of poor or missing input when the model is used", "partly", "#cohort"),
    ("27b", "Usability: user interaction and expertise needed", "authors", "who would use it, and how"),
    ("27c", "Usability: next steps in research", "authors", "future research"),
]


def checklist_table(external_validation: bool = False) -> pd.DataFrame:
    """One row per TRIPOD+AI item: ``checklist, item, topic, status, where``.

    ``where`` is a link into the report (``#section``) or what the authors must add. The
    comparison of development and evaluation data is the report's only with an external
    cohort.
    """
    rows = []
    for item, topic, status, where in ITEMS:
        if where == "#external-validation" and not external_validation:
            status, where = "authors", "no external cohort in this run: say so, or add one (data_external/)"
        rows.append({"checklist": CHECKLIST, "item": item, "topic": topic, "status": status,
                     "where": where})
    return pd.DataFrame(rows, columns=COLUMNS)
