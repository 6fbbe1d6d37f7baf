"""The package: one list of dependencies, the lock for the Docker image, the sample data as package data, and
a wheel that works from any directory once installed."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement

from medpath.study import SAMPLE_DIR

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SAMPLE_FILES = {
    "medpath_sample_study.xlsx",
    "medpath_sample_screening.csv",
    "medpath_sample_visits.csv",
    "template.xlsx",
}


def _runtime_requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    return [Requirement(line) for line in (*project["dependencies"], *project["optional-dependencies"]["app"])]


def test_requirements_txt_is_generated_from_pyproject():
    render = runpy.run_path(str(ROOT / "scripts" / "sync_requirements.py"))["render"]
    assert (ROOT / "requirements.txt").read_text(encoding="utf-8") == render(), (
        "requirements.txt is stale: run python scripts/sync_requirements.py"
    )


def test_requirements_txt_is_the_core_and_the_app_extra():
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    names = [Requirement(line).name.lower() for line in lines]
    assert names[:7] == ["pandas", "numpy", "scipy", "statsmodels", "plotly", "openpyxl", "python-calamine"]
    assert {"olefile", "pyyaml"} <= set(
        names[7:-3]
    )  # legacy .xls records; mapping profiles (medpath.pipeline.map.mapping)
    assert names[-3:] == ["streamlit", "authlib", "httpx"]  # httpx: st.login's client (Authlib's starlette app)


def test_lock_pins_every_runtime_requirement_within_its_range_with_hashes():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for line in text.splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(" ")[0].split("==")
            pins[name.lower()] = version
    for requirement in _runtime_requirements():
        name = requirement.name.lower()
        assert name in pins, f"{name} is not in requirements.lock: run bash scripts/lock.sh"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} not in {requirement.specifier}"
    assert text.count("--hash=sha256:") >= len(pins)
    assert "streamlit" in pins and "pytest" not in pins and "ruff" not in pins  # runtime only


def test_core_does_not_depend_on_the_dashboard():
    core = {Requirement(line).name.lower() for line in PYPROJECT["project"]["dependencies"]}
    assert not core & {"streamlit", "authlib", "httpx", "pytest"}
    assert PYPROJECT["project"]["scripts"] == {"medpath": "medpath.cli:main"}


def test_sample_data_is_package_data_and_visible_in_data_sample():
    assert {p.name for p in SAMPLE_DIR.iterdir()} >= SAMPLE_FILES
    assert Path(str(SAMPLE_DIR)) == ROOT / "medpath" / "sample"
    data_sample = ROOT / "data" / "sample"  # the client's layout: a link to the package's folder
    assert data_sample.resolve() == (ROOT / "medpath" / "sample").resolve()
    assert {p.name for p in data_sample.iterdir()} >= SAMPLE_FILES


def _copy_of_the_source(target: Path) -> Path:
    """The files git would give a fresh clone (no .venv, caches or build output), symlinks kept as links."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target / name)
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.mark.slow
def test_wheel_installs_and_runs_from_any_directory(tmp_path):
    """``pip install .`` of a copy of the repository into a fresh virtualenv gives a ``medpath`` command that
    finds the bundled sample and template from another directory (the dependencies are taken from this
    environment's site-packages, so nothing is downloaded but the build backend)."""
    source = _copy_of_the_source(tmp_path / "src")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("medpath-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {f"medpath/sample/{name}" for name in SAMPLE_FILES} <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "data/", "pages/", "scripts/", "bench/"))], names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # this environment's packages (pandas, ...) without its .pth files, so no editable medpath leaks in
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "outer.pth").write_text("\n".join(sorted(outer)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        timeout=600,
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run(
        [python, "-c", "import medpath; print(medpath.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    result = subprocess.run(
        [venv / "bin" / "medpath", "summary", "--sample", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["study"]["synthetic"] is True and summary["patients"] == 5
    template = subprocess.run(
        [python, "-c", "from medpath.study import SAMPLE_DIR; print(len((SAMPLE_DIR / 'template.xlsx').read_bytes()))"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(template) == (ROOT / "medpath" / "sample" / "template.xlsx").stat().st_size
