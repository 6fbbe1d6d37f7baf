"""Side-by-side benchmark of issue 7 (not part of the test suite).

    python bench/bench.py            # writes bench/results.md

Generates (in a temporary folder, deleted afterwards) a workbook with a 50,000-row visits sheet and a
5,000-row screening sheet, then measures in one run:

1. medpath's load + validate (``medpath.study.load_study``) against a plain
   ``pandas.read_excel(engine="openpyxl")`` of the same two sheets (goal: medpath <= 0.35x);
2. the full summary (``medpath.summary.summarise``) of that study;
3. the exact Wilcoxon signed-rank test with ties at n = 50 (goal: < 50 ms, median of repeats);
4. peak memory: the peak RSS of a fresh process doing only the load + validate, and tracemalloc's
   peak of the Python heap during it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCREENING_ROWS = 5_000
VISITS_PER_PATIENT = 10
REPEATS = 3


def make_workbook(path: Path) -> None:
    """5,000 screened candidates; each has 10 visits (baseline, months 1..9): 50,000 visit rows."""
    from openpyxl import Workbook

    rng = random.Random(7)
    workbook = Workbook(write_only=True)
    screening = workbook.create_sheet("screening")
    screening.append(["patient_id", "sex", "age", "bmd_tscore", "autoimmune_disease", "osteoporosis_related_disease",
                      "osteoporosis_drugs", "immunosuppressant", "anticoagulant", "corticosteroid",
                      "paralysis_after_surgery", "hbsag", "hiv", "cmv", "rubella", "toxoplasma", "consent", "enrolled"])
    visits = workbook.create_sheet("visits")
    visits.append(["patient_id", "visit", "bmd_tscore", "vas", "bmd_g_cm2", "rom_deg", "qol"])
    for i in range(1, SCREENING_ROWS + 1):
        pid = f"MSC-{i:05d}"
        screening.append([pid, rng.choice("MF"), rng.randint(18, 70), round(rng.uniform(-4.5, -1.0), 1),
                          *(rng.choice(["no", "no", "no", "yes"]) for _ in range(7)),
                          *(rng.choice(["negative"] * 9 + ["positive"]) for _ in range(5)),
                          rng.choice(["signed", "signed", "declined", "pending"]), rng.choice(["yes", "no"])])
        t, vas = rng.uniform(-4.0, -2.5), rng.randint(4, 9)
        for month in range(VISITS_PER_PATIENT):
            visits.append([pid, "baseline" if month == 0 else f"month {month}", round(t + 0.03 * month, 2),
                           max(0, vas - month // 2), round(rng.uniform(0.6, 1.0), 3), rng.randint(20, 90),
                           rng.randint(30, 90)])
    workbook.save(path)


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def child_load(path: str) -> None:
    """Run in a fresh process: load + validate once, print peak RSS and tracemalloc's peak."""
    from medpath.study import load_study

    data = Path(path).read_bytes()
    tracemalloc.start()
    study = load_study([(Path(path).name, data)])
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    try:  # Linux: this process's own high-water mark (ru_maxrss also counts the parent's peak at spawn)
        status = Path("/proc/self/status").read_text()
        rss = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024
    except (OSError, StopIteration, ValueError):
        pass
    print(json.dumps({"rss": rss, "traced_peak": traced_peak, "visits": len(study.visits),
                      "screening": len(study.screening), "findings": len(study.findings)}))


def _machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        ram_text = f"{ram:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        ram_text = "unknown"
    versions = {}
    for package in ("pandas", "numpy", "python-calamine", "openpyxl", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {"CPU": cpu, "cores": str(os.cpu_count()), "RAM": ram_text,
            "OS": f"{platform.system()} {platform.release()}", "Python": platform.python_version(),
            **versions}


def main() -> None:
    import numpy as np
    import pandas as pd

    from medpath.stats import wilcoxon_signed_rank
    from medpath.study import load_study
    from medpath.summary import summarise

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench_study.xlsx"
        start = time.perf_counter()
        make_workbook(path)
        made = time.perf_counter() - start
        data = path.read_bytes()
        print(f"workbook: {len(data) / 2**20:.1f} MiB, written in {made:.1f} s", flush=True)

        medpath_runs, pandas_runs = [], []
        for _ in range(REPEATS):  # alternated, so that a busy moment on the machine hits both alike
            seconds, study = _median_time(lambda: load_study([(path.name, data)]), 1)
            medpath_runs.append(seconds)
            seconds, frames = _median_time(
                lambda: pd.read_excel(path, sheet_name=["visits", "screening"], engine="openpyxl"), 1)
            pandas_runs.append(seconds)
        medpath_s, pandas_s = statistics.median(medpath_runs), statistics.median(pandas_runs)
        print(f"medpath load + validate: {medpath_s:.2f} s; pandas.read_excel(openpyxl): {pandas_s:.2f} s", flush=True)
        assert len(study.visits) == len(frames["visits"]) == SCREENING_ROWS * VISITS_PER_PATIENT
        assert len(study.screening) == len(frames["screening"]) == SCREENING_ROWS
        assert study.errors == (), study.errors[:3]

        summary_s, summary = _median_time(lambda: summarise(study), 1)
        print(f"summary: {summary_s:.2f} s", flush=True)

        child = subprocess.run([sys.executable, __file__, "--child-load", str(path)], capture_output=True, text=True,
                               check=True, cwd=ROOT)
        memory = json.loads(child.stdout.strip().splitlines()[-1])

    rng = np.random.default_rng(50)
    before = np.round(rng.normal(-3.0, 0.5, 50), 1)
    after = before + np.round(rng.normal(0.2, 0.3, 50), 1)  # rounded to 0.1: many tied |d|, some zeros
    differences = after - before
    wilcoxon_runs = []
    result = None
    for _ in range(21):
        start = time.perf_counter()
        result = wilcoxon_signed_rank(before, after)
        wilcoxon_runs.append(time.perf_counter() - start)
    wilcoxon_s = statistics.median(wilcoxon_runs)
    ties = len(differences) - len(np.unique(np.abs(np.round(differences, 6))))
    print(f"Wilcoxon exact n=50: {wilcoxon_s * 1000:.2f} ms ({result.method})", flush=True)

    ratio = medpath_s / pandas_s
    machine = _machine()
    lines = [
        "# MedPath benchmark (issue 7)",
        "",
        f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} with `python bench/bench.py`; "
        f"each time is the median of {REPEATS} runs (the summary: one run; Wilcoxon: 21).",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in machine.items()),
        "",
        "## Data",
        "",
        f"One generated .xlsx ({len(data) / 2**20:.1f} MiB): sheet `visits` with "
        f"{SCREENING_ROWS * VISITS_PER_PATIENT:,} rows x 7 columns, sheet `screening` with {SCREENING_ROWS:,} rows x "
        "18 columns; every row valid (0 findings).",
        "",
        "## Results",
        "",
        "| measurement | time | goal | met |",
        "| --- | --- | --- | --- |",
        f"| medpath load + validate (`load_study`) | {medpath_s:.2f} s | | |",
        f"| `pandas.read_excel(engine=\"openpyxl\")`, same two sheets | {pandas_s:.2f} s | | |",
        f"| ratio medpath / pandas | **{ratio:.2f}x** | <= 0.35x | {'yes' if ratio <= 0.35 else 'no'} |",
        f"| full summary (`summarise`: eligibility funnel + primary outcomes) | {summary_s:.2f} s | | |",
        f"| exact Wilcoxon signed-rank, n = 50, {ties} tied \\|d\\| values, "
        f"{int((differences == 0).sum())} zeros (method: {result.method}) | {wilcoxon_s * 1000:.2f} ms | < 50 ms | "
        f"{'yes' if wilcoxon_s < 0.05 else 'no'} |",
        "",
        "## Peak memory of load + validate",
        "",
        f"- peak RSS of a fresh process that imports medpath, reads the file and runs `load_study` once: "
        f"**{memory['rss'] / 2**20:,.0f} MiB** (includes the interpreter, pandas and the file's bytes)",
        f"- tracemalloc peak of the Python heap during `load_study`: {memory['traced_peak'] / 2**20:,.0f} MiB "
        "(calamine's Rust allocations are not traced)",
        "",
        "Note: load + validate includes the guards (the zip parts are inflated once to check their real size and "
        "scan the sheets' XML), reading with python-calamine, and parsing every cell with findings and provenance.",
        "",
        "## Load test (issue 8)",
        "",
        "20 concurrent browser sessions against one server on loopback: `python bench/load_test.py --markdown "
        "bench/load_results.md` writes [load_results.md](load_results.md) (median and worst page time, server memory).",
    ]
    (ROOT / "bench" / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child-load":
        child_load(sys.argv[2])
    else:
        main()
