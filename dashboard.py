"""MedPath dashboard: ``streamlit run dashboard.py``. Thin: the sign-in gate, then navigation; pages live
in ``pages/``. The gate runs before navigation: a visitor it does not admit gets its sign-in (or
configuration error) page as the only page, so no page script runs for them
(``pages.session.sign_in_gate``; the rules are in ``medpath.access``)."""

from medpath.pipeline.guard.fork_server import READER_MODULE, fork_server

fork_server(
    READER_MODULE
)  # the uploads' reader (medpath.pipeline.guard.disposable_reader): its server starts with the app

import streamlit as st  # noqa: E402  (after the reader's fork server, which imports on the other core meanwhile)

from pages.session import sign_in_gate  # noqa: E402
from pages.warm_start import warm_start  # noqa: E402

warm_start()  # once per server: the long-lived objects out of the collector's walk after every run

# An emoji icon is drawn by the browser; a ":material/…:" page icon would be fetched from fonts.gstatic.com.
st.set_page_config(page_title="MedPath", page_icon="📈", layout="wide")

locked = sign_in_gate()
if locked is not None:
    navigation = st.navigation([st.Page(locked, title="Sign in", url_path="sign-in")], position="hidden")
else:
    navigation = st.navigation(
        [
            st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
            st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
            st.Page("pages/eligibility.py", title="Eligibility", icon=":material/filter_alt:"),
            st.Page("pages/trajectories.py", title="Trajectories", icon=":material/show_chart:"),
            st.Page("pages/outcomes.py", title="Outcomes", icon=":material/analytics:"),
            st.Page("pages/secondary.py", title="Secondary outcomes", icon=":material/stacked_line_chart:"),
            st.Page("pages/safety.py", title="Safety", icon=":material/health_and_safety:"),
        ]
    )
navigation.run()
