"""Stage 2 of the reading pipeline: file bytes -> raw tables with their Excel row numbers (``reading``)."""
