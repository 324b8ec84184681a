"""Readers and writers of every file the stages hand to each other, one of each per format.

Stages, the dashboard and the report all go through this package: ``atomic`` (atomic
writes, JSON, digests), ``tables`` (the CSV and JSON formats), ``volumes`` (preprocessed
patients as tensors). Their names are re-exported here, so callers write ``formats.read_manifest``; ``paths``
says where each file lives.
"""

from pipeline.formats.atomic import (
                                     atomic_path,
                                     file_digest,
                                     read_json,
                                     remove_leftovers,
                                     write_csv,
                                     write_json,
                                     write_text,
)
from pipeline.formats.tables import (
                                     COHORT_POWER_COLUMNS,
                                     FOLD_INDEX_COLUMNS,
                                     LEARNING_POINT_COLUMNS,
                                     MANIFEST_COLUMNS,
                                     POWER_COLUMNS,
                                     PREDICTION_COLUMNS,
                                     ROC_COLUMNS,
                                     SCORE_COLUMNS,
                                     cohort,
                                     included_patients,
                                     read_applied,
                                     read_checklist,
                                     read_cohort_power_table,
                                     read_fold_histories,
                                     read_fold_index,
                                     read_history,
                                     read_learning_points,
                                     read_manifest,
                                     read_metrics,
                                     read_permutations,
                                     read_power_table,
                                     read_predictions,
                                     read_scores,
                                     write_applied,
                                     write_checklist,
                                     write_cohort_power_table,
                                     write_fold_index,
                                     write_learning_points,
                                     write_manifest,
                                     write_metrics,
                                     write_permutations,
                                     write_power_table,
                                     write_predictions,
                                     write_roc_points,
                                     write_scores,
)
from pipeline.formats.volumes import (
                                     PreprocessedPatient,
                                     full_volume_path,
                                     mask_channel_count,
                                     mask_channels,
                                     patient_path,
                                     read_model,
                                     read_patient,
                                     save_torch,
                                     write_patient,
)

__all__ = ["COHORT_POWER_COLUMNS", "FOLD_INDEX_COLUMNS", "LEARNING_POINT_COLUMNS", "MANIFEST_COLUMNS",
           "POWER_COLUMNS", "PREDICTION_COLUMNS", "PreprocessedPatient", "ROC_COLUMNS",
           "SCORE_COLUMNS", "atomic_path", "cohort", "file_digest", "full_volume_path",
           "included_patients", "mask_channel_count", "mask_channels", "patient_path",
           "read_applied", "read_checklist", "read_cohort_power_table", "read_fold_histories",
           "read_fold_index", "read_history", "read_json", "read_learning_points",
           "read_manifest", "read_metrics", "read_model", "read_patient", "read_permutations",
           "read_power_table", "read_predictions", "read_scores", "remove_leftovers",
           "save_torch", "write_applied", "write_checklist", "write_cohort_power_table",
           "write_csv", "write_fold_index", "write_json", "write_learning_points",
           "write_manifest", "write_metrics", "write_patient", "write_permutations",
           "write_power_table", "write_predictions", "write_roc_points", "write_scores",
           "write_text"]
