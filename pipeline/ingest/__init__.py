"""Ingest: from a cohort folder to validated, loaded patients or reasons for exclusion.

``labels`` parses ``labels.csv``, ``naming`` finds each sequence's file, ``validation``
loads and checks the images. ``cohort`` ties them together, one patient at a time.
"""
