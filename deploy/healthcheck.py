"""Docker HEALTHCHECK for MedPath: GET Streamlit's ``/_stcore/health`` on the port and under the
``server.baseUrlPath`` the server itself uses. Both are read the way ``streamlit run`` reads them
(``.streamlit/config.toml`` in the working directory, then ``STREAMLIT_SERVER_PORT`` /
``STREAMLIT_SERVER_BASE_URL_PATH`` in the environment), so a base path set for the reverse proxy is
followed. Exit 0 when healthy, 1 otherwise."""

from __future__ import annotations

import os
import re
import sys
import urllib.request


def _option(name: str) -> str:
    """A server option as ``streamlit run`` resolves it: a non-empty STREAMLIT_* environment variable
    (the CLI reads those), else the config files."""
    value = os.environ.get("STREAMLIT_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).replace(".", "_").upper())
    if value:
        return value
    from streamlit import config

    config.get_config_options()
    return str(config.get_option(name) or "")


def health_url() -> str:
    base = _option("server.baseUrlPath").strip("/")
    return f"http://127.0.0.1:{_option('server.port')}/{base + '/' if base else ''}_stcore/health"


def main() -> int:
    try:
        with urllib.request.urlopen(health_url(), timeout=4) as response:
            return 0 if response.status == 200 and response.read().strip() == b"ok" else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
