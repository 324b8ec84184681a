"""Ingest: from a cohort folder to validated, loaded patients or reasons for exclusion.

``layouts`` decides how the folder is laid out: ``cohort`` reads the plain layout
(``labels`` parses ``labels.csv``, ``naming`` finds each sequence's file), ``bids`` a BIDS
dataset. Either way ``patient`` loads and checks the files (``validation``, ``header``),
one patient at a time.
"""
