"""Stage 6 of the reading pipeline: canonical rows per table (``validation``, visits placed by ``visit_places``),
and the questions about which rows count (``row_questions``)."""
