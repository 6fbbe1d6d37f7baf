"""Stage 3 of the reading pipeline: the layouts study teams keep -> one raw table per table kind (``layouts``;
adverse-event and disposition sheets: ``extra_tables``)."""
