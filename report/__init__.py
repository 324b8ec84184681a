"""The results report: ``report.qmd`` (the one source) and its renderer, ``render.py``."""
