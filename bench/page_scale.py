"""Every page of the dashboard at the size of a large study, in headless Chromium, against a bare Streamlit app of
the same size in the same run (issue 28, "A large study in the browser"); not part of the test suite.

    python bench/page_scale.py                                   # 5, 100, 1,000, 5,000 patients; 3 rounds
    python bench/page_scale.py --sizes 5,100 --repeats 1         # a dry run (about 2 minutes)
    python bench/page_scale.py --repeats 2 --repeats-for 5000=1 --markdown bench/results.md \\
        --title "Before issue 28's summary views"                # append the tables as a section

At each size N (5 = the bundled sample's workbook, ``data/sample/medpath_sample_study.xlsx``; else a valid workbook
of N patients x 4 visits made by ``bench.make_workbook`` with the secondary outcomes, an adverse-event sheet of 0-4
events per patient and a disposition sheet), each round opens a new session of each app (its own browser context)
on the Data page, puts the workbook into the uploader's file input, then opens every page from the sidebar, in the
order Overview, Eligibility, Trajectories, Outcomes, Secondary outcomes, Safety, Data, as a user reading the study
does (a page opened by its address would be a new session without the upload). Measured, each from the input
until settled:

- the upload: from setting the file on the uploader;
- a page: from the click on its sidebar link;
- Trajectories' one interaction the issue names: remove the last patient from the "Patients" picker (Backspace in
  its input, as ``page_settle.py``).

Settled: ``page_settle.SETTLED`` (script run over, after a run for the upload and the interaction: for the upload, a run
seen or the header's "Your files live only in this browser tab" drawn by it, since the bare app's run can be too short
to be drawn as running at all; the page's h1; nothing stale; every plotly chart's SVG and every visible table's canvas
drawn), with the page's charts and tables as many as it shows at this size: the numbers change with the size and the
code, so instead of fixed numbers the condition must hold for ``QUIET_MS`` with the same numbers of charts and tables,
and the time is when it first held (the quiet stretch is not counted; checked every ``POLL_MS`` on a timer). Then, in
the settled page: the DOM elements (``document.querySelectorAll('*').length`` of the main document; plotly's SVG
elements are in it, the tables' cells are drawn on canvases), the page's scroll height (``scrollHeight`` of Streamlit's
scrolling ``stMain`` in a 1366 x 768 window), the renderer's memory: VmRSS (``/proc/<pid>/status``) of the tab's
renderer process (each app has its own Chromium and each round's context its own renderer: the largest renderer of the
app's browser that is not Chromium's WebUI),
and the page's JavaScript heap (CDP ``Performance.getMetrics`` JSHeapUsedSize). Server CPU: user + system time of
the server's process tree (``streamlit`` and, for the dashboard, the uploads' reader fork server and its workers)
from /proc during the view, as ``page_settle.cpu_seconds``. The two apps are driven step by step alternately, the
order flipping each round; the tables show medians over the rounds and the ratio of the medians. One unmeasured
round at the first size warms both servers (imports, caches); the bare app, restarted at each size, gets one
unmeasured round of its own at every other size.

The bare app (``bench/bare_app.py`` with ``BARE_PATIENTS=N``): a bare Streamlit app with the same navigation,
widgets and numbers of charts and tables as the dashboard, no MedPath code, whose content stays small and fixed at
any size: where the dashboard draws one mark or row per patient, it draws the median and quartiles by visit; its
counts are N's; its picker offers N patient ids with 5 chosen; its uploader takes the same file and reads nothing.
So the ratio is the dashboard against the floor of a Streamlit page that shows a study of N patients by summary,
not against an app drawing every patient (which would be as slow as the dashboard, and hide the cost of drawing
every patient), nor against an app reading the workbook with pandas (which would add the read to the floor).
That third app runs too, for the upload only (the same bare app with ``BARE_READ=1``: its uploader reads every sheet
with ``pandas.read_excel``, its own server and Chromium, in the same alternation): the upload is then also given
against the floor of an app that reads the file, and that floor against the bare app's.
At 5 patients the bare app is exactly ``page_settle.py``'s.

Reuses ``bench/page_settle.py`` (settle definition, servers, CPU from /proc, the interaction); needs Debian's
``/usr/bin/chromium`` and the ``playwright`` package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import page_settle as ps  # bench/ is this script's directory

from bench import APPENDED, SAMPLE, make_workbook

ROOT = ps.ROOT
SIZES = (5, 100, 1_000, 5_000)
REPEATS = 3
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = int(os.environ.get("PAGE_SCALE_TIMEOUT_S", "300")) * 1000  # one view (5,000 patients: tens of s)
QUIET_MS = 500
#: How often the settle condition is checked, in ms, on a timer (a page with nothing left to draw gets no
#: animation frames to check it at)
POLL_MS = 16
VERBOSE = bool(os.environ.get("PAGE_SCALE_VERBOSE"))
#: After the upload (on the Data page), every page from the sidebar; Data last, opened from another page.
ORDER = ("Overview", "Eligibility", "Trajectories", "Outcomes", "Secondary outcomes", "Safety", "Data")
PAGES = {view.title: view for view in ps.PAGES}
UPLOAD = "upload (file set on the uploader)"
REMOVE = "Trajectories: remove a patient (multiselect)"
#: What both apps' page header says once a study is uploaded (not before: the sample is shown), drawn by the
#: upload's run; the upload is settled after it even when that run was too short to be drawn as running.
UPLOADED = "Your files live only in this browser tab"

#: page_settle.SETTLED with the charts and tables the page shows, holding for ``quiet`` ms with the same numbers of
#: charts and tables; returns the ms it has held (so the caller subtracts them), else false.
SETTLED_QUIET = (
    """(args) => {
    const settled = (%s)({...args, charts: 0, tables: 0});
    const now = performance.now();
    const q = window.__scaleQuiet || (window.__scaleQuiet = {since: null, key: null});
    if (!settled) { q.since = null; return false; }
    const key = ['stPlotlyChart', 'stDataFrame', 'stTable']
        .map(t => document.querySelectorAll(`[data-testid="${t}"]`).length).join();
    if (q.since === null || q.key !== key) { q.since = now; q.key = key; }
    return now - q.since >= args.quiet ? now - q.since : false;
}"""
    % ps.SETTLED
)

SHAPE = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return {
        elements: document.querySelectorAll('*').length,
        height: Math.max(document.documentElement.scrollHeight, main ? main.scrollHeight : 0),
        charts: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
        tables: document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stTable"]').length,
    };
}"""


# --- processes -----------------------------------------------------------------------------------------------


def _cmdline(pid: int) -> str:
    """The command line, arguments joined by spaces (Chromium's child processes write theirs as one string)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").replace("\0", " ")
    except OSError:
        return ""


def browser_processes() -> set[int]:
    """The main processes of the Chromium browsers this process has launched (through Playwright's driver)."""
    return {
        p
        for p in ps.descendants(os.getpid())
        if (line := _cmdline(p)).split(" ", 1)[0].endswith("/chromium") and "--type=" not in line
    }


def renderer_rss(browser_pid: int) -> int:
    """VmRSS of the tab's renderer: of the browser's renderer processes, the largest that is not Chromium's own
    WebUI (``--top-chrome-webui``); beside the tab's sits a small spare renderer (about 75 MB)."""
    sizes = [
        ps.rss_bytes(p)
        for p in ps.descendants(browser_pid)
        if "--type=renderer" in (line := _cmdline(p)) and "--top-chrome-webui" not in line
    ]
    return max(sizes, default=0)


# --- one app in one round ------------------------------------------------------------------------------------


@dataclass
class Measure:
    seconds: float
    cpu: float
    elements: int = 0
    height: int = 0
    renderer: int = 0
    heap: float = 0.0
    server_rss: int = 0


@dataclass
class Driver:
    """One app: its server, its own Chromium, and the current round's context and page."""

    name: str
    server: ps.Server
    browser: object  # playwright Browser
    browser_pid: int
    page: object = None
    context: object = None
    cdp: object = None
    records: dict[tuple[int, str], list[Measure]] = field(default_factory=dict)
    shapes: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)  # charts, tables
    errors: list[str] = field(default_factory=list)

    def open_session(self) -> None:
        self.context = self.browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        self.page = self.context.new_page()  # type: ignore[attr-defined]
        self.page.set_default_timeout(TIMEOUT_MS)  # type: ignore[attr-defined]
        self.cdp = self.context.new_cdp_session(self.page)  # type: ignore[attr-defined]
        self.cdp.send("Performance.enable")  # type: ignore[attr-defined]
        self.page.goto(f"{self.server.url}/data", wait_until="commit")  # type: ignore[attr-defined]
        self._settle("the Data page, first opened", "Data", after_run=False)

    def close_session(self) -> None:
        if self.context is not None:
            self.context.close()  # type: ignore[attr-defined]
        self.context = self.page = self.cdp = None

    def _settle(self, view: str, heading: str, after_run: bool, shows: str = "") -> float:
        """Waits until ``view`` is settled; returns the ms the page had already been settled (the quiet stretch)."""
        args = {"heading": heading, "charts": 0, "tables": 0, "afterRun": after_run, "shows": shows, "quiet": QUIET_MS}
        try:
            handle = self.page.wait_for_function(  # type: ignore[attr-defined]
                SETTLED_QUIET, arg=args, timeout=TIMEOUT_MS, polling=POLL_MS
            )
        except Exception as error:
            state = self.page.evaluate(ps.STATE)  # type: ignore[attr-defined]
            raise RuntimeError(f"{self.name} {view} did not settle: {state}\n{self.server.log()}") from error
        return float(handle.json_value())

    def timed(
        self, size: int, name: str, heading: str, action: Callable[[], None], after_run: bool, shows: str = ""
    ) -> None:
        page = self.page
        page.evaluate("() => { window.__scaleQuiet = null; }")  # type: ignore[attr-defined]
        if after_run:
            page.evaluate(ps.ARM)  # type: ignore[attr-defined]
        if VERBOSE:
            print(f"  {self.name}, {size:,} patients, {name} ...", file=sys.stderr, flush=True)
        cpu = ps.tree_cpu_seconds(self.server.pid)
        start = time.perf_counter()
        action()
        quiet_ms = self._settle(name, heading, after_run, shows)
        seconds = time.perf_counter() - start - quiet_ms / 1000
        cpu = ps.tree_cpu_seconds(self.server.pid) - cpu
        shape = page.evaluate(SHAPE)  # type: ignore[attr-defined]
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}  # type: ignore[attr-defined]
        measure = Measure(
            seconds,
            cpu,
            shape["elements"],
            shape["height"],
            renderer_rss(self.browser_pid),
            metrics.get("JSHeapUsedSize", 0.0),
            sum(ps.rss_bytes(p) for p in ps.descendants(self.server.pid)),
        )
        self.records.setdefault((size, name), []).append(measure)
        if VERBOSE:
            print(f"  {self.name}, {size:,} patients, {name}: {measure}", file=sys.stderr, flush=True)
        self.shapes[(size, name)] = (shape["charts"], shape["tables"])

    def upload(self, size: int, book: Path) -> None:
        # The study's uploader (the Data page has another, for a protocol of one's own).
        uploader = self.page.locator('[data-testid="stFileUploader"]', has_text="workbook").locator("input[type=file]")  # type: ignore[attr-defined]
        set_file = partial(uploader.set_input_files, str(book))
        self.timed(size, UPLOAD, "Data", set_file, after_run=True, shows=UPLOADED)

    def open_page(self, size: int, title: str) -> None:
        view = PAGES[title]
        link = self.page.locator(f'[data-testid="stSidebarNav"] a[href$="/{view.path}"]').first  # type: ignore[attr-defined]
        self.timed(size, f"page: {title}", view.heading, link.click, after_run=False)

    def remove_patient(self, size: int) -> None:
        app = ps.App(self.name, self.server, self.page)
        name, prepare, act = ps._interactions(app, PAGES["Trajectories"])[0]  # remove the last chosen patient
        assert name == REMOVE, name
        prepare()
        self.timed(size, REMOVE, "Trajectories", act, after_run=True)
        self.page.keyboard.press("Escape")  # type: ignore[attr-defined]


# --- the run -------------------------------------------------------------------------------------------------


def _round(
    drivers: list[Driver],
    size: int,
    book: Path,
    pages: tuple[str, ...],
    flip: bool,
    upload_only: tuple[Driver, ...] = (),
) -> None:
    """One new session of each app: upload, then every page (and the interaction), the apps alternated step by
    step, in the order ``drivers`` (reversed when ``flip``); the apps of ``upload_only`` take the upload only."""
    order = [*drivers, *upload_only][:: -1 if flip else 1]
    upload_only_ids = {id(driver) for driver in upload_only}
    steps: list[Callable[[Driver], None]] = [lambda d: d.open_session(), lambda d: d.upload(size, book)]
    for title in pages:
        steps.append(partial(Driver.open_page, size=size, title=title))
        if title == "Trajectories":
            steps.append(lambda d: d.remove_patient(size))
    try:
        for number, step in enumerate(steps):
            for driver in order:
                if number < 2 or id(driver) not in upload_only_ids:
                    step(driver)
    finally:
        for driver in order:
            driver.close_session()


def _discard(drivers: list[Driver], size: int) -> None:
    for driver in drivers:
        for key in [k for k in driver.records if k[0] == size]:
            del driver.records[key]


def measure(
    app_dir: Path = ROOT,
    sizes: tuple[int, ...] = SIZES,
    repeats: int = REPEATS,
    repeats_for: dict[int, int] | None = None,
    pages: tuple[str, ...] = ORDER,
    log: Callable[[str], None] = print,
) -> dict:
    """Every size: the workbook, a bare server of that size, ``repeats`` (or ``repeats_for[size]``) rounds."""
    from playwright.sync_api import sync_playwright

    if not ps.CHROMIUM.exists():
        raise RuntimeError(f"{ps.CHROMIUM} not found (Debian's chromium; Playwright's own browser is not used)")
    started = time.perf_counter()
    bare_records: dict[tuple[int, str], list[Measure]] = {}
    reader_records: dict[tuple[int, str], list[Measure]] = {}
    errors: list[str] = []
    rounds: dict[int, int] = {}
    seconds: dict[int, float] = {}
    books: dict[int, tuple[str, int]] = {}
    with (
        tempfile.TemporaryDirectory() as folder,
        ps.streamlit_server(app_dir / "dashboard.py", app_dir) as real_server,
        sync_playwright() as playwright,
    ):
        browsers = []
        for _ in range(3):  # one Chromium per app: its renderers are that app's alone
            before = browser_processes()
            browser = playwright.chromium.launch(executable_path=str(ps.CHROMIUM), args=ps.CHROMIUM_ARGS, headless=True)
            (pid,) = browser_processes() - before
            browsers.append((browser, pid))
        real = Driver("MedPath", real_server, *browsers[0])
        try:
            for index, size in enumerate(sizes):
                size_started = time.perf_counter()
                if size == 5:
                    book = SAMPLE
                else:
                    book = Path(folder) / f"study_{size}_patients.xlsx"
                    make_workbook(book, size, adverse_events=True, secondary=True, disposition=True)
                books[size] = (book.name, book.stat().st_size)
                with (
                    ps.streamlit_server(ps.BARE_APP, app_dir, env={"BARE_PATIENTS": str(size)}) as bare_server,
                    ps.streamlit_server(
                        ps.BARE_APP, app_dir, env={"BARE_PATIENTS": str(size), "BARE_READ": "1"}
                    ) as reader_server,
                ):
                    bare = Driver("bare", bare_server, *browsers[1])
                    reader = Driver("bare, reading", reader_server, *browsers[2])
                    if index == 0:  # warm every server (imports, caches, the browsers' HTTP caches)
                        _round([real, bare], size, book, pages, flip=False, upload_only=(reader,))
                        _discard([real, bare, reader], size)
                    else:  # new bare servers: warm them alone
                        _round([bare], size, book, pages, flip=False, upload_only=(reader,))
                        _discard([bare, reader], size)
                    log(f"page scale: {size:,} patients warmed ({time.perf_counter() - started:.0f} s)")
                    rounds[size] = (repeats_for or {}).get(size, repeats)
                    for round_ in range(rounds[size]):
                        try:
                            _round([real, bare], size, book, pages, flip=bool(round_ % 2), upload_only=(reader,))
                        except Exception as error:  # a view that did not settle: say so, go on with the next round
                            errors.append(f"{size:,} patients, round {round_ + 1}: {str(error).splitlines()[0][:300]}")
                            log(errors[-1])
                        log(
                            f"page scale: {size:,} patients, round {round_ + 1} of {rounds[size]} done "
                            f"({time.perf_counter() - started:.0f} s)"
                        )
                reader_records.update(reader.records)
                bare_records.update(bare.records)
                for key, shape in real.shapes.items():
                    if key[0] == size and shape != bare.shapes.get(key):
                        other = bare.shapes.get(key, (0, 0))
                        errors.append(
                            f"{size:,} patients, {key[1]}: the dashboard {shape[0]} charts and {shape[1]} tables, "
                            f"the bare app {other[0]} and {other[1]}"
                        )
                seconds[size] = time.perf_counter() - size_started
        finally:
            for browser, _ in browsers:
                browser.close()
    return {
        "records": {"MedPath": real.records, "bare": bare_records, "bare, reading": reader_records},
        "sizes": sizes,
        "pages": pages,
        "rounds": rounds,
        "seconds": seconds,
        "books": books,
        "errors": errors,
        "total_seconds": time.perf_counter() - started,
    }


# --- the report ----------------------------------------------------------------------------------------------


def views(pages: tuple[str, ...]) -> list[str]:
    names = [UPLOAD]
    for title in pages:
        names.append(f"page: {title}")
        if title == "Trajectories":
            names.append(REMOVE)
    return names


def _median(runs: list[Measure], attribute: str) -> float:
    return statistics.median(getattr(m, attribute) for m in runs)


def _mb(value: float) -> str:
    return f"{value / 1e6:,.0f}"


def _reading_lines(results: dict, sizes: list[int]) -> list[str]:
    """The upload against the bare app that reads the workbook with pandas (``BARE_READ=1``): the floor of any app
    that reads the file, beside the floor of one that only receives it."""
    real, bare, reader = (results["records"].get(k, {}) for k in ("MedPath", "bare", "bare, reading"))
    sizes = [s for s in sizes if (s, UPLOAD) in real and (s, UPLOAD) in bare and (s, UPLOAD) in reader]
    if not sizes:
        return []
    lines = [
        "",
        "The upload against a bare app that also reads the workbook (`BARE_READ=1`: every sheet with "
        "`pandas.read_excel(engine='calamine')`, in the server), medians:",
        "",
        "| upload | MedPath | bare app, reading nothing | bare app, reading the workbook | MedPath / reading "
        "nothing | reading / reading nothing | MedPath / reading |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in sizes:
        r, b, d = (_median(x[size, UPLOAD], "seconds") for x in (real, bare, reader))
        lines.append(
            f"| {size:,} patients | {r * 1000:,.0f} ms | {b * 1000:,.0f} ms | {d * 1000:,.0f} ms | {r / b:.2f}x | "
            f"**{d / b:.2f}x** | {r / d:.2f}x |"
        )
    return lines


def table_lines(results: dict) -> list[str]:
    """A summary of the ratios (views x sizes), then one table per size."""
    real, bare = results["records"]["MedPath"], results["records"]["bare"]
    sizes = [s for s in results["sizes"] if any(k[0] == s for k in real)]
    names = views(results["pages"])

    def ratio(size: int, name: str) -> str:
        if (size, name) not in real or (size, name) not in bare:
            return "—"
        return f"{_median(real[size, name], 'seconds') / _median(bare[size, name], 'seconds'):.2f}x"

    lines = [
        "Settle time of the dashboard / the bare app (ratio of the medians):",
        "",
        "| view | " + " | ".join(f"{s:,} patients" for s in sizes) + " |",
        "| --- | " + " | ".join("---" for _ in sizes) + " |",
        *(f"| {name} | " + " | ".join(ratio(s, name) for s in sizes) + " |" for name in names),
        *_reading_lines(results, sizes),
    ]
    for size in sizes:
        book, size_bytes = results["books"][size]
        lines += [
            "",
            f"**{size:,} patients x 4 visits** (`{book}`, {size_bytes / 1e3:,.0f} kB; medians of "
            f"{results['rounds'][size]} round(s), {results['seconds'][size]:.0f} s for this size):",
            "",
            "| view | MedPath settle (server CPU) | bare settle (server CPU) | ratio wall (CPU) | DOM elements MedPath "
            "/ bare | scroll height MedPath / bare | renderer RSS MedPath / bare | JS heap MedPath / bare |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name in names:
            if (size, name) not in real or (size, name) not in bare:
                continue
            r, b = real[size, name], bare[size, name]
            r_s, b_s = _median(r, "seconds"), _median(b, "seconds")
            r_cpu, b_cpu = _median(r, "cpu"), _median(b, "cpu")
            cpu_ratio = f"{r_cpu / b_cpu:.1f}x" if b_cpu > 0 else "—"
            lines.append(
                f"| {name} | {r_s * 1000:,.0f} ms ({r_cpu * 1000:,.0f} ms) | {b_s * 1000:,.0f} ms "
                f"({b_cpu * 1000:,.0f} ms) | **{r_s / b_s:.2f}x** ({cpu_ratio}) | "
                f"{_median(r, 'elements'):,.0f} / {_median(b, 'elements'):,.0f} | "
                f"{_median(r, 'height'):,.0f} / {_median(b, 'height'):,.0f} px | "
                f"{_mb(_median(r, 'renderer'))} / {_mb(_median(b, 'renderer'))} MB | "
                f"{_mb(_median(r, 'heap'))} / {_mb(_median(b, 'heap'))} MB |"
            )
        server = max(m.server_rss for runs in (v for k, v in real.items() if k[0] == size) for m in runs)
        lines += ["", f"Dashboard server RSS (process tree) at most {_mb(server)} MB at the settled views."]
    lines += [
        "",
        f"{results['total_seconds'] / 60:.1f} minutes in all, server starts and workbooks included.",
    ]
    if results["errors"]:
        lines += ["", "Not like for like, or not measured: " + "; ".join(results["errors"]) + "."]
    return lines


def _commit(app_dir: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(app_dir), "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()[:100]
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def section_lines(results: dict, title: str, commit: str) -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    try:
        load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "?"
    import streamlit

    chromium = subprocess.run([str(ps.CHROMIUM), "--version"], capture_output=True, text=True).stdout.strip()
    return [
        f"## {title}",
        "",
        f"`bench/page_scale.py` (see its docstring), run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on the "
        f"dashboard at commit {commit}; {cpu}, {os.cpu_count()} cores, load average {load} at the end; Streamlit "
        f"{streamlit.__version__}, {chromium}, window 1366 x 768. Each round: a new session of each app, the "
        "workbook set on the Data page's uploader, then every page opened from the sidebar (Data last) and the "
        "Trajectories picker's last patient removed; the dashboard and the bare app (`bench/bare_app.py` with "
        "`BARE_PATIENTS=N`: same navigation, widgets and numbers of charts and tables, no MedPath code, content "
        "small and fixed: medians and quartiles by visit where the dashboard draws each patient) alternated step "
        "by step. Settled: `page_settle.SETTLED`, holding for 0.5 s with the same numbers of charts and tables "
        "(not counted). DOM elements: `document.querySelectorAll('*').length` of the main document. Scroll "
        "height: `stMain`'s. Renderer RSS: VmRSS (/proc) of the tab's renderer process (the app's own Chromium's "
        "largest renderer that is not its WebUI). JS heap: "
        "CDP `Performance.getMetrics` JSHeapUsedSize. Server CPU: user + system of the server's process tree.",
        "",
        *table_lines(results),
    ]


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(v.replace(",", "").replace("_", "")) for v in text.split(",") if v.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="directory holding dashboard.py (%(default)s)")
    parser.add_argument("--sizes", type=_sizes, default=SIZES, help="patients, comma-separated (5,100,1000,5000)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="measured rounds per size (%(default)s)")
    parser.add_argument(
        "--repeats-for",
        action="append",
        default=[],
        metavar="SIZE=N",
        help="measured rounds at one size, e.g. 5000=1 (repeatable)",
    )
    parser.add_argument(
        "--pages",
        default=",".join(ORDER),
        help="pages opened after the upload, in this order, comma-separated (default: all, %(default)s)",
    )
    parser.add_argument("--markdown", type=Path, help="append the tables to this file as a section")
    parser.add_argument("--title", default="Page settle at the size of a large study", help="the section's title")
    parser.add_argument(
        "--commit", help="the commit measured, as written in the section (default: git log of --app-dir)"
    )
    args = parser.parse_args()
    pages = tuple(p.strip() for p in args.pages.split(",") if p.strip())
    unknown = [p for p in pages if p not in PAGES]
    if unknown:
        parser.error(f"unknown page(s) {unknown}; pages: {', '.join(ORDER)}")
    repeats_for = {_sizes(k)[0]: int(v) for k, v in (item.split("=") for item in args.repeats_for)}
    app_dir = args.app_dir.resolve()
    results = measure(
        app_dir, args.sizes, args.repeats, repeats_for, pages, log=lambda m: print(m, file=sys.stderr, flush=True)
    )
    lines = section_lines(results, args.title, args.commit or _commit(app_dir))
    print("\n".join(lines))
    if args.markdown:  # after bench.py's marker, so that bench.py keeps the section when it writes the file again
        marked = args.markdown.exists() and APPENDED in args.markdown.read_text(encoding="utf-8")
        with args.markdown.open("a", encoding="utf-8") as f:
            f.write("\n" + ("" if marked else APPENDED + "\n\n") + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
