"""Ingest: from a cohort folder to validated, loaded patients or reasons for exclusion.

``layouts`` decides how the folder is laid out: ``cohort`` reads the plain layout
(``labels`` parses ``labels.csv``, ``naming`` finds each sequence's file, ``dicom`` adds the
DICOM series under a patient folder: ``dicom_series`` finds them, ``dicom_match`` tells
which sequence each holds, ``dicom_convert`` converts them), ``bids`` a BIDS dataset.
Either way ``patient`` loads and checks the files (``validation``, ``header``), one patient
at a time.
"""
