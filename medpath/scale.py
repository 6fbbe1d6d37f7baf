"""How a view changes with the size of a study: at most ``SUMMARY_ABOVE`` patients every patient is drawn (the
pilot's pages stay as they are); above it, the charts and tables that grow with patients show a summary first
(medians and quartiles, counts by group) and individuals only on request."""

#: Above this many patients a view that grows with patients shows its summary first.
SUMMARY_ABOVE = 30


def summary_first(n_patients: int) -> bool:
    """True when a view of ``n_patients`` patients leads with its summary instead of one mark per patient."""
    return n_patients > SUMMARY_ABOVE
