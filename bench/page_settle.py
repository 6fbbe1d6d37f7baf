"""Page settle and interaction latency of the dashboard on its bundled 5-patient sample against a bare Streamlit
app with the same widgets (``bench/bare_app.py``), in headless Chromium, side by side in one run (issue 17,
item 5: within 1.5x the bare app). Section 8 of ``bench/bench.py``; alone it prints the markdown table::

    python bench/page_settle.py                      # about 2 minutes on 2 cores
    python bench/page_settle.py --app-dir /tmp/wt     # the dashboard of another checkout (e.g. a worktree)

Both apps are served by ``streamlit run`` (same Python, same Streamlit, started from the app directory so the
same ``.streamlit/config.toml`` applies) on free 127.0.0.1 ports and driven by Debian's Chromium
(``/usr/bin/chromium``) through Playwright's sync API, one browser context per app. After one unmeasured
pass over everything (imports, caches, the browser's HTTP cache), each view is measured ``REPEATS`` times,
MedPath and bare alternated view by view (the order flipping each round); the table shows medians.

- A page view: ``page.goto(<app>/<url path>)`` (a new session) until settled.
- An interaction: from the input event until settled again after the rerun it caused: remove the last
  patient from the Trajectories multiselect (Backspace in its input), then "Show: Change from baseline"
  (radio); on Outcomes, "Direction tested" set to its second option, the protocol direction (selectbox).

Settled (one definition, both apps; checked in the page at every animation frame): the script run has ended
(``stApp`` has ``data-test-script-state="notRunning"``; for an interaction, after a run was seen to start),
the page's h1 is its title, no element is marked stale, the page's plotly charts and tables are all there
(as many as the dashboard shows for the sample), every plotly chart has drawn its SVG and every visible table
its canvas. Server CPU: user + system time of the ``streamlit`` process (/proc/<pid>/stat) spent during the
view, median of the same repeats.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BARE_APP = BENCH / "bare_app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 900}
REPEATS = 3
GOAL = 1.5  # issue 17: within 1.5x the bare Streamlit app
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Page:
    title: str  # in the sidebar
    path: str  # URL path ("" = the default page)
    heading: str  # its h1
    charts: int  # plotly charts the dashboard shows for the sample (bare_app.py shows as many)
    tables: int  # st.dataframe grids, likewise


PAGES = (
    Page("Overview", "", "MedPath — NCT04501354", 2, 2),
    Page("Data", "data", "Data", 0, 3),
    Page("Eligibility", "eligibility", "Eligibility", 2, 5),
    Page("Trajectories", "trajectories", "Trajectories", 2, 5),
    Page("Outcomes", "outcomes", "Outcomes", 2, 8),
    Page("Secondary outcomes", "secondary", "Secondary outcomes", 4, 14),
    Page("Safety", "safety", "Safety", 1, 3),
)

SETTLED = """({heading, charts, tables, afterRun, shows}) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testScriptState !== 'notRunning') return false;
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    // a run seen since the action (ARM), or the page showing a text only that run can have drawn: a run short
    // enough can go from "notRunning" to "notRunning" without the state ever being drawn as running
    if (afterRun && !window.__benchSawRun && !(shows && main && main.textContent.includes(shows))) return false;
    const h1 = main && main.querySelector('h1');
    if (!h1 || !h1.textContent.includes(heading)) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    // an element whose code is still loading (the first chart of a tab waits for plotly.js) shows a skeleton
    if (document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stSkeleton"]')) return false;
    const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    if (plots.length < charts || !plots.every(p => p.querySelector('.main-svg'))) return false;
    const grids = [...document.querySelectorAll('[data-testid="stDataFrame"]')];
    return grids.length >= tables && grids.every(g => !g.checkVisibility() || g.querySelector('canvas'));
}"""

STATE = """() => ({
    state: document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState,
    h1: document.querySelector('[data-testid="stMainBlockContainer"] h1')?.textContent,
    stale: document.querySelectorAll('[data-stale="true"]').length,
    skeletons: document.querySelectorAll('[data-testid="stMainBlockContainer"] [data-testid="stSkeleton"]').length,
    charts: [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(p => !!p.querySelector('.main-svg')),
    tables: [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(g => !!g.querySelector('canvas')),
    sawRun: window.__benchSawRun,
    url: location.href,
})"""

# Before an interaction: note any change of the script state away from "notRunning" (a rerun started), even
# one that is over before the observer's callback runs (its old value then says so).
ARM = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__benchSawRun = false;
    if (window.__benchObserver) window.__benchObserver.disconnect();
    window.__benchObserver = new MutationObserver(records => {
        if (app.dataset.testScriptState !== 'notRunning'
            || records.some(r => r.oldValue && r.oldValue !== 'notRunning')) window.__benchSawRun = true;
    });
    window.__benchObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state'],
                                         attributeOldValue: true});
}"""


# --- the servers ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ppids() -> dict[int, int]:
    """Every live process's parent, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return parents


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for child, parent in _ppids().items():
        children.setdefault(parent, []).append(child)
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(children.get(tree[-1], []))
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process tree: ``cpu_seconds`` of each live process, plus the time
    of its children already waited for (cutime + cstime: the reader's finished workers)."""
    total = 0.0
    for p in descendants(pid):
        try:
            total += cpu_seconds(p)
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def rss_bytes(pid: int) -> int:
    """The resident memory of a process (VmRSS, /proc/<pid>/status) in bytes; 0 for a process that has ended."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Server:
    url: str
    pid: int
    log: Callable[[], str]  # the tail of its output


@contextmanager
def streamlit_server(
    script: Path, app_dir: Path, timeout: float = 90.0, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """``streamlit run script`` from ``app_dir`` (its .streamlit/config.toml applies, its packages import first)
    on a free 127.0.0.1 port, in a clean environment (no STREAMLIT_* or MEDPATH_* of the caller; ``env``: variables
    added, e.g. ``BARE_PATIENTS`` for ``bare_app.py``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "MEDPATH_"))}
    environment |= {"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(app_dir), **(env or {})}
    command = [sys.executable, "-m", "streamlit", "run", str(script), f"--server.port={port}"]
    command += ["--server.address=127.0.0.1", "--server.headless=true", "--browser.gatherUsageStats=false"]
    with tempfile.TemporaryFile() as log:

        def tail() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")[-3000:]

        process = subprocess.Popen(command, cwd=app_dir, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{script.name} did not start at {url} (exit {process.poll()}):\n{tail()}")
                time.sleep(0.25)
            yield Server(url, process.pid, tail)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- the views -----------------------------------------------------------------------------------------------


@dataclass
class App:
    name: str
    server: Server
    page: object  # playwright Page
    errors: list[str] = field(default_factory=list)


def _settle(app: App, view: Page, after_run: bool) -> None:
    args = {"heading": view.heading, "charts": view.charts, "tables": view.tables, "afterRun": after_run}
    try:
        app.page.wait_for_function(SETTLED, arg=args, timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    except Exception as error:  # say which app, view and state
        state = app.page.evaluate(STATE)  # type: ignore[attr-defined]
        raise RuntimeError(f"{app.name} {view.title} did not settle: {state}\n{app.server.log()}") from error


def _timed(app: App, view: Page, action: Callable[[], None], after_run: bool) -> tuple[float, float]:
    """(wall seconds until settled, server CPU seconds meanwhile) of ``action``."""
    if after_run:
        app.page.evaluate(ARM)  # type: ignore[attr-defined]
    cpu = cpu_seconds(app.server.pid)
    start = time.perf_counter()
    action()
    _settle(app, view, after_run)
    return time.perf_counter() - start, cpu_seconds(app.server.pid) - cpu


def _open(app: App, view: Page) -> Callable[[], None]:
    return lambda: app.page.goto(f"{app.server.url}/{view.path}", wait_until="commit")  # type: ignore[attr-defined]


def _interactions(app: App, view: Page) -> list[tuple[str, Callable[[], None], Callable[[], None]]]:
    """(name, preparation (not timed), the input that causes the rerun (timed)) for this page."""
    page = app.page
    if view.title == "Trajectories":
        patients = page.locator('[data-testid="stMultiSelect"]', has_text="Patients").locator("input")  # type: ignore[attr-defined]
        show = page.locator('[data-testid="stRadio"] label', has_text="Change from baseline")  # type: ignore[attr-defined]
        return [
            ("Trajectories: remove a patient (multiselect)", patients.click, lambda: page.keyboard.press("Backspace")),  # type: ignore[attr-defined]
            ("Trajectories: Show change from baseline (radio)", lambda: page.keyboard.press("Escape"), show.click),  # type: ignore[attr-defined]
        ]
    if view.title == "Outcomes":
        select = page.locator('[data-testid="stSelectbox"]', has_text="Direction tested")  # type: ignore[attr-defined]
        # The second option, the protocol's direction (its label names the protocol's outcomes).
        option = page.get_by_role("option").nth(1)  # type: ignore[attr-defined]

        def open_options() -> None:
            select.click()
            option.wait_for()

        return [("Outcomes: Direction tested (selectbox)", open_options, option.click)]
    return []


def _count(app: App) -> tuple[int, int]:
    return app.page.evaluate(  # type: ignore[attr-defined]
        """() => ['stPlotlyChart', 'stDataFrame'].map(t => document.querySelectorAll(`[data-testid="${t}"]`).length)"""
    )


def visit(app: App, view: Page, record: dict[str, list[tuple[float, float]]] | None) -> None:
    """Open ``view`` and make its interactions, timing each (into ``record`` unless None: a warm-up)."""
    seconds = _timed(app, view, _open(app, view), after_run=False)
    if record is None:  # the warm-up checks that both apps show what the dashboard shows for the sample
        counts = tuple(_count(app))
        if counts != (view.charts, view.tables):
            app.errors.append(
                f"{view.title}: {counts[0]} charts, {counts[1]} tables (expected {view.charts}, {view.tables})"
            )
    else:
        record.setdefault(f"page: {view.title}", []).append(seconds)
    for name, prepare, act in _interactions(app, view):
        prepare()
        seconds = _timed(app, view, act, after_run=True)
        if record is not None:
            record.setdefault(name, []).append(seconds)


def measure(app_dir: Path = ROOT, repeats: int = REPEATS, log: Callable[[str], None] = print) -> dict:
    """Both servers and one headless Chromium; every view of ``PAGES`` (and its interactions) on both apps,
    alternated, ``repeats`` times after a warm-up. Returns medians per view and app."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} not found (Debian's chromium; Playwright's own browser is not used)")
    started = time.perf_counter()
    with (
        streamlit_server(app_dir / "dashboard.py", app_dir) as real_server,
        streamlit_server(BARE_APP, app_dir) as bare_server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            apps = []
            for name, server in (("MedPath", real_server), ("bare", bare_server)):
                page = browser.new_context(
                    viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]}
                ).new_page()
                page.set_default_timeout(TIMEOUT_MS)
                apps.append(App(name, server, page))
            records: dict[str, dict[str, list[tuple[float, float]]]] = {app.name: {} for app in apps}
            for round_ in range(repeats + 1):
                for view in PAGES:
                    for app in apps if round_ % 2 else apps[::-1]:
                        visit(app, view, records[app.name] if round_ else None)
                log(f"page settle: round {round_} of {repeats} done ({time.perf_counter() - started:.0f} s)")
        finally:
            browser.close()
    return {
        "views": list(records["MedPath"]),
        "median": {
            name: {view: tuple(statistics.median(s[i] for s in runs) for i in (0, 1)) for view, runs in rec.items()}
            for name, rec in records.items()
        },
        "errors": [f"{app.name}: {e}" for app in apps for e in app.errors],
        "repeats": repeats,
        "seconds": time.perf_counter() - started,
    }


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def table_lines(results: dict) -> list[str]:
    """The markdown table (and its notes) of ``measure``'s results."""
    real, bare = results["median"]["MedPath"], results["median"]["bare"]
    lines = [
        "| view | MedPath settle (server CPU) | bare Streamlit settle (server CPU) | ratio wall (CPU) | goal | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    misses = []
    for view in results["views"]:
        (r_s, r_cpu), (b_s, b_cpu) = real[view], bare[view]
        ratio = r_s / b_s
        if ratio > GOAL:
            misses.append(view)
        cpu_ratio = f"{r_cpu / b_cpu:.1f}x" if b_cpu > 0 else "—"
        lines.append(
            f"| {view} | {r_s * 1000:,.0f} ms ({r_cpu * 1000:,.0f} ms) | {b_s * 1000:,.0f} ms ({b_cpu * 1000:,.0f} ms) "
            f"| **{ratio:.2f}x** ({cpu_ratio}) | <= {GOAL}x | {_met(ratio <= GOAL)} |"
        )
    lines += [
        "",
        f"Medians of {results['repeats']} rounds after one warm-up round, {results['seconds']:.0f} s in all. "
        + (f"Over {GOAL}x: {', '.join(misses)}." if misses else f"Every view within {GOAL}x."),
    ]
    if results["errors"]:
        lines += ["", "Not like for like: " + "; ".join(results["errors"]) + "."]
    return lines


def section_lines(results: dict, number: int) -> list[str]:
    """The section of bench/results.md."""
    return [
        f"## {number}. Page settle and interaction latency in headless Chromium: the dashboard on the sample vs a "
        "bare Streamlit app",
        "",
        "`bench/page_settle.py`: the dashboard on its bundled 5-patient sample and `bench/bare_app.py` (the same "
        "navigation, widgets, and numbers of plotly charts and tables, from a fixed synthetic table; no MedPath "
        "code) served side by side by `streamlit run`, driven by headless Chromium (Playwright), alternated view "
        "by view. A page: from `goto(<url path>)` (a new session) until settled; an interaction: from the input "
        "until settled after its rerun. Settled: script run over (`data-test-script-state=notRunning`, after a "
        "run for an interaction), the page's h1, nothing stale, every chart's SVG and every visible table's "
        "canvas drawn. Server CPU: user + system time of the `streamlit` process during the view. Goal (issue 17): "
        f"within {GOAL}x the bare app.",
        "",
        *table_lines(results),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--app-dir", type=Path, default=ROOT, help="directory holding dashboard.py (default: %(default)s)"
    )
    parser.add_argument("--repeats", type=int, default=REPEATS, help="measured rounds (default: %(default)s)")
    args = parser.parse_args()
    results = measure(args.app_dir.resolve(), args.repeats, log=lambda m: print(m, file=sys.stderr, flush=True))
    print("\n".join(table_lines(results)))


if __name__ == "__main__":
    main()
