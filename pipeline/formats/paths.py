"""Where every stage reads and writes, relative to the repository root.

The same names are declared in ``dvc.yaml``; the dashboard and the report import them
from here instead of spelling paths again.
"""

from pathlib import Path

DATA = Path("data")
LABELS = DATA / "labels.csv"
DATA_EXTERNAL = Path("data_external")  # the optional external cohort; its README keeps it there
PARAMS = Path("params.yaml")
DVC_LOCK = Path("dvc.lock")

OUTPUTS = Path("outputs")
MANIFEST = OUTPUTS / "manifest.csv"
PREPROCESSED = OUTPUTS / "preprocessed"
APPLIED = PREPROCESSED / "applied.json"
# DICOM series converted to NIfTI, a file per series content. Not a DVC output: a cache the
# prepare stage keeps between runs (DVC would warn of it as empty for every NIfTI cohort).
DICOM_CACHE = OUTPUTS / "dicom"

TRAIN = OUTPUTS / "train"
TRAIN_MODEL = TRAIN / "model.pt"
TRAIN_PREDICTIONS = TRAIN / "predictions.csv"
TRAIN_LIVE = TRAIN / "dvclive"

LOOCV = OUTPUTS / "loocv"
LOOCV_PREDICTIONS = LOOCV / "predictions.csv"
LOOCV_FOLDS = LOOCV / "folds"
LOOCV_INDEX = LOOCV / "folds.csv"

FINAL = OUTPUTS / "final"
FINAL_MODEL = FINAL / "model.pt"
FINAL_LIVE = FINAL / "dvclive"
MODEL_CARD = FINAL / "model_card.md"

EXTERNAL = OUTPUTS / "external"
EXTERNAL_MANIFEST = EXTERNAL / "manifest.csv"
EXTERNAL_PREDICTIONS = EXTERNAL / "predictions.csv"

SCORES = Path("predictions.csv")  # `python -m pipeline.predict`'s default output, in the working directory

BASELINES = OUTPUTS / "baselines"
BASELINE_PREDICTIONS = BASELINES / "predictions.csv"
BASELINE_PERMUTATIONS = BASELINES / "permutations.csv"

POWER = OUTPUTS / "power"
POWER_TABLE = POWER / "power.csv"
POWER_COHORTS = POWER / "cohorts"
POWER_FOLDS = POWER / "folds"
POWER_COHORT_TABLE = POWER / "cohort.csv"  # the spike-in study on the cohort in data/
SPIKE_IN = POWER / "spikein"
SPIKE_IN_COHORTS = SPIKE_IN / "cohorts"
SPIKE_IN_FOLDS = SPIKE_IN / "folds"

LEARNING_CURVE = OUTPUTS / "learning_curve"
LEARNING_CURVE_POINTS = LEARNING_CURVE / "points.csv"
LEARNING_CURVE_FOLDS = LEARNING_CURVE / "folds"

METRICS = Path("metrics")
HOLDOUT_METRICS = METRICS / "holdout.json"
RESUBSTITUTION_METRICS = METRICS / "resubstitution.json"
LOOCV_METRICS = METRICS / "loocv.json"
BASELINE_METRICS = METRICS / "baselines.json"
POWER_METRICS = METRICS / "power.json"
POWER_COHORT_METRICS = METRICS / "power_cohort.json"
LEARNING_CURVE_METRICS = METRICS / "learning_curve.json"
HEADLINE_METRICS = METRICS / "headline.json"
EXTERNAL_METRICS = METRICS / "external.json"

PLOTS = OUTPUTS / "plots"  # ROC points for `dvc plots show` (dvc.yaml's plots), DVC their only reader
ROC_HOLDOUT = PLOTS / "roc_holdout.csv"
ROC_LOOCV = PLOTS / "roc_loocv.csv"
ROC_RADIOMICS = PLOTS / "roc_radiomics.csv"

REPORT_SOURCE = Path("report") / "report.qmd"
REPORT_HTML = Path("report") / "report.html"
REPORT_CHECKLIST = Path("report") / "checklist.csv"  # the TRIPOD+AI items, where each is answered

