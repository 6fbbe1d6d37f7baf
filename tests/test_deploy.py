"""Server deployment files and the effective Streamlit configuration (issue 8).

Docker is not available on the CI machine, so the Dockerfile is parsed and checked here instead of
built; `docker build .` is the check where Docker exists.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml

from conftest import ROOT

DOCKER_INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
                       "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_parses_and_uses_a_slim_base_a_non_root_user_and_a_healthcheck():
    steps = _instructions()
    assert all(word in DOCKER_INSTRUCTIONS for word, _ in steps), steps
    assert steps[0][0] == "FROM" and re.match(r"python:3\.\d+-slim$", steps[0][1])
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    cmd_index = max(i for i, (word, _) in enumerate(steps) if word == "CMD")
    assert max(i for i, (word, _) in enumerate(steps) if word == "USER") < cmd_index
    (health,) = [args for word, args in steps if word == "HEALTHCHECK"]
    assert "/_stcore/health" in health
    json.loads([args for word, args in steps if word == "CMD"][-1])  # exec form


def test_dockerfile_installs_only_runtime_requirements_and_copies_what_exists():
    steps = _instructions()
    runs = " ".join(args for word, args in steps if word in ("RUN", "COPY"))
    assert "requirements.txt" in runs and "requirements-test" not in runs
    for word, args in steps:
        if word == "COPY":
            sources = [a for a in args.split() if not a.startswith("--")][:-1]
            assert all((ROOT / s).exists() for s in sources), sources


def test_compose_file_starts_the_image_with_server_settings():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service = compose["services"]["medpath"]
    assert service["build"] == "." and "8501:8501" in service["ports"]
    assert service["environment"]["MEDPATH_REQUIRE_LOGIN"] == "1"
    assert service["read_only"] is True
    assert compose["secrets"]["streamlit_secrets"]["file"]


def test_effective_streamlit_configuration_is_hardened():
    """Reads the configuration Streamlit itself resolves from .streamlit/config.toml in the repo."""
    code = ("import json; from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(json.dumps({k: config.get_option(k) for k in ['server.enableXsrfProtection', 'server.enableCORS',"
            " 'server.maxUploadSize', 'browser.gatherUsageStats', 'client.showErrorDetails']}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert options == {"server.enableXsrfProtection": True, "server.enableCORS": True, "server.maxUploadSize": 25,
                       "browser.gatherUsageStats": False, "client.showErrorDetails": "none"}
