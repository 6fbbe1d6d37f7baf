"""Server deployment files and the effective Streamlit configuration (issues 8 and 18, break 9).

Docker is not available on the CI machine, so the Dockerfile and compose.yaml are parsed and checked here
instead of built; `docker compose build` is the check where Docker exists. The health check script is run
for real against a server under a base URL path.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import yaml
from conftest import ROOT

DOCKER_INSTRUCTIONS = {
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
}


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1] if " " in line else "") for line in lines]


def _service() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["medpath"]


def test_dockerfile_parses_and_uses_the_pinned_base_a_non_root_user_and_exec_forms():
    steps = _instructions()
    assert all(word in DOCKER_INSTRUCTIONS for word, _ in steps), steps
    (arg, default), (word, base) = steps[0][1].split("=", 1), steps[1]
    assert (
        steps[0][0] == "ARG"
        and arg == "PYTHON_IMAGE"
        and re.match(r"python:3\.\d+-slim(@sha256:[0-9a-f]{64})?$", default)
    )
    assert word == "FROM" and base == "${PYTHON_IMAGE}"
    users = [i for i, (word, _) in enumerate(steps) if word == "USER"]
    assert users and steps[users[-1]][1] not in ("root", "0")
    cmd_index = max(i for i, (word, _) in enumerate(steps) if word == "CMD")
    assert users[-1] < cmd_index
    json.loads([args for word, args in steps if word == "CMD"][-1])  # exec form


def test_application_files_belong_to_root_not_to_the_runtime_user():
    steps = _instructions()
    copies = [args for word, args in steps if word in ("COPY", "ADD")]
    assert copies and not any("--chown" in args or "--chmod" in args for args in copies), copies
    last_user = max(i for i, (word, _) in enumerate(steps) if word == "USER")
    assert all(i < last_user for i, (word, _) in enumerate(steps) if word in ("COPY", "ADD", "RUN"))


def test_dockerfile_installs_exactly_the_locked_runtime_packages_and_copies_what_exists():
    steps = _instructions()
    runs = [args for word, args in steps if word == "RUN"]
    assert any(re.search(r"pip install --no-deps -r requirements\.lock\b", run) for run in runs), runs
    assert not any("requirements.txt" in run or "requirements-test" in run for run in runs)
    assert not any(re.search(r"pip install(?!.*--no-deps)", run) for run in runs), "every pip install uses --no-deps"
    for word, args in steps:
        if word == "COPY":
            sources = [a for a in args.split() if not a.startswith("--")][:-1]
            assert all((ROOT / s).exists() for s in sources), sources


def test_the_health_check_is_the_script_that_follows_the_base_path():
    (health,) = [args for word, args in _instructions() if word == "HEALTHCHECK"]
    assert json.loads(health.split("CMD", 1)[1]) == ["python", "/app/deploy/healthcheck.py"]


def test_compose_publishes_on_loopback_only_and_drops_privileges():
    service = _service()
    assert service["ports"] == ["127.0.0.1:8501:8501"]
    assert service["cap_drop"] == ["ALL"] and "no-new-privileges:true" in service["security_opt"]
    assert isinstance(service["pids_limit"], int) and 0 < service["pids_limit"] <= 1024
    assert service["read_only"] is True and service["mem_limit"]
    assert service["environment"]["MEDPATH_REQUIRE_LOGIN"] == "1"
    assert service["secrets"][0]["target"] == "/app/.streamlit/secrets.toml"
    tmp = [t for t in service["tmpfs"] if t.startswith("/tmp")]
    assert tmp and "size=" in tmp[0] and "noexec" in tmp[0]


def test_compose_requires_a_base_image_pinned_by_the_administrator():
    image = _service()["build"]["args"]["PYTHON_IMAGE"]
    assert image.startswith("${MEDPATH_PYTHON_IMAGE:?"), image  # compose refuses to build without it


def test_effective_streamlit_configuration_is_hardened():
    """Reads the configuration Streamlit itself resolves from .streamlit/config.toml in the repo."""
    code = (
        "import json; from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(json.dumps({k: config.get_option(k) for k in ['server.enableXsrfProtection', 'server.enableCORS',"
        " 'server.maxUploadSize', 'browser.gatherUsageStats', 'client.showErrorDetails', 'server.address']}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert options == {
        "server.enableXsrfProtection": True,
        "server.enableCORS": True,
        "server.maxUploadSize": 25,
        "browser.gatherUsageStats": False,
        "client.showErrorDetails": "none",
        "server.address": "127.0.0.1",  # a PI's laptop: not every network interface
    }


def _healthcheck(env: dict[str, str]) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")} | env
    return subprocess.run([sys.executable, "deploy/healthcheck.py"], cwd=ROOT, env=clean, timeout=60).returncode


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_health_check_follows_the_base_url_path():
    from browser_support import free_port, streamlit_server

    port = free_port()
    env = {"STREAMLIT_SERVER_PORT": str(port), "STREAMLIT_SERVER_BASE_URL_PATH": "medpath"}
    with streamlit_server(env=env, port=port, base_path="medpath") as url:
        assert url.endswith("/medpath")
        assert _healthcheck(env) == 0
        # what the old check asked for (the health endpoint at the root) is not there under a base path
        assert _status(f"http://127.0.0.1:{port}/_stcore/health") != 200
        assert _healthcheck({"STREAMLIT_SERVER_PORT": str(port)}) == 1  # the wrong path is unhealthy
    assert _healthcheck(env) == 1  # server gone
