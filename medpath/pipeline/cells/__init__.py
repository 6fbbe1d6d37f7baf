"""Stage 5 of the reading pipeline: one cell -> its field's value or a finding (``values``: numbers, units, yes/no,
sex, visit labels; ``cells``: whole columns at once, and cell findings grouped)."""
