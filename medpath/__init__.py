"""MedPath core: from a clinical trial's spreadsheet exports to validated data, analyses and figures.

This package never imports streamlit; the dashboard (``dashboard.py``, ``pages/``) is a thin layer on top.
"""

__version__ = "0.1.0"
