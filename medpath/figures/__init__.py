"""Pure plotly figure builders; each returns a ``plotly.graph_objects.Figure``."""
