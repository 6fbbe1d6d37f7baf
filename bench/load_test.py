"""A short, bounded load test of the dashboard on loopback (not part of the test suite).

Starts ``streamlit run dashboard.py`` in its own subprocess on a free 127.0.0.1 port, then drives N simulated
sessions (default 20), each its own browser context in one headless Debian Chromium, with asyncio Playwright.
Each session

1. opens the app (the sample study's Overview) and is timed until the key metrics have rendered
   (the "Enrolled" metric shows the sample's 5 and the script run has finished);
2. opens the Data page from the sidebar, puts its own small workbook (3 patients, ids ``S<k>-1..3``, so every
   session's upload is distinct: no cache hit across sessions) into the real file input, and is timed from
   the upload until its findings have rendered (its file is the data source, "No problems found", run finished).

Then the same sessions run against ``bench/bare_app.py`` (a bare Streamlit app with the same navigation, widgets and
numbers of charts and tables, no MedPath code; its upload shows the file's name and reads nothing) on a server of
its own, and the report gives the ratio of the median page times (goal of issue 28: within 1.3x) and of the
servers' CPU (process trees, during the sessions); ``--no-bare`` skips it.

The server runs with ``--server.fileWatcherType=none`` (as a deployed server should; ``--watch`` keeps the
watcher). Sessions run in batches of ``--batch`` at once (default: all N together). The server's RSS (VmRSS of the
streamlit process and all its descendants, from /proc) is sampled every 100 ms throughout.

    PYTHONPATH=tests python bench/load_test.py                       # 20 sessions at once
    PYTHONPATH=tests python bench/load_test.py --sessions 20 --batch 5
    PYTHONPATH=tests python bench/load_test.py --markdown bench/load_results.md   # also write the report

(in the project's virtualenv; ``PYTHONPATH=tests`` for the test suite's ``browser_support`` and ``workbooks``).

Needs /usr/bin/chromium and the ``playwright`` Python package (Playwright's own browser download is not used).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import page_settle as ps  # bench/ is this script's directory
from browser_support import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, free_port, healthy
from workbooks import study_bytes

ROOT = Path(__file__).resolve().parent.parent

STEP_TIMEOUT_MS = 180_000
MAIN = '[data-testid="stMainBlockContainer"]'


# --- inputs -------------------------------------------------------------------------------------------------

# --- the server and its memory ------------------------------------------------------------------------------


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


class MemorySampler(threading.Thread):
    """VmRSS of a process tree every ``interval`` s; keeps the peak and the series."""

    def __init__(self, pid: int, interval: float = 0.1, exclude: int | None = None):
        super().__init__(daemon=True)
        self.pid, self.interval, self.exclude = pid, interval, exclude
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        tree, tree_at = [], -1.0
        while not self._halt.is_set():
            now = time.monotonic()
            if now - tree_at > 1.0:  # re-walk /proc once a second (cheap enough, catches new children)
                tree, tree_at = ps.descendants(self.pid), now
                if self.exclude is not None:  # e.g. the client's tree without the server's
                    tree = sorted(set(tree) - set(ps.descendants(self.exclude)) - {os.getpid()})
            self.samples.append((now - start, sum(ps.rss_bytes(p) // 1024 for p in tree)))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    @property
    def peak_mib(self) -> float:
        return max(kib for _, kib in self.samples) / 1024


BARE_APP = Path(__file__).resolve().parent / "bare_app.py"
#: Goal of issue 28 for 20 sessions at once: the median page time within this of the bare app's.
GOAL = 1.3


class Server:
    def __init__(self, watch: bool = False, script: str = "dashboard.py"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
        env |= {"PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                script,
                f"--server.port={self.port}",
                "--server.address=127.0.0.1",
                "--server.headless=true",
                *([] if watch else ["--server.fileWatcherType=none"]),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not healthy(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                self.log.seek(0)
                raise RuntimeError(f"streamlit did not start:\n{self.log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.25)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- one simulated session ----------------------------------------------------------------------------------


@dataclass
class Session:
    index: int
    overview_s: float | None = None
    upload_s: float | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    step: str = "start"


IDLE = """() => { const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]'); }"""
ENROLLED_IS = """n => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
    m.innerText.includes('Enrolled') && m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim() === n)"""


async def run_session(browser, url: str, session: Session, path: Path) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        started = time.monotonic()
        session.step = "overview"
        await page.goto(url)
        await page.wait_for_function(ENROLLED_IS, arg="5", polling=50)
        await page.wait_for_function(IDLE, polling=50)
        session.overview_s = time.monotonic() - started

        session.step = "open Data page"
        await page.locator('[data-testid="stSidebarNav"] a', has_text="Data").first.click()
        await page.wait_for_selector(f'{MAIN} h1:has-text("Data")')
        await page.wait_for_function(IDLE, polling=50)
        started = time.monotonic()
        session.step = "upload"
        # The study's uploader (the Data page has another, for a protocol of one's own).
        uploader = page.locator('[data-testid="stFileUploader"]', has_text="workbook").locator("input[type=file]")
        await uploader.set_input_files(str(path))
        await page.wait_for_selector(f'{MAIN} :text("Data: {path.name}")')
        await page.wait_for_selector(f'{MAIN} :text("No problems found")')
        await page.wait_for_function(IDLE, polling=50)
        session.upload_s = time.monotonic() - started
        # Under load, still only this session's study (a cheap isolation check, not a proof).
        html = await page.content()
        others = [f"S{k:02d}-" for k in range(100) if k != session.index and f"S{k:02d}-" in html]
        if others:
            session.notes.append(f"sees other sessions' ids {others}")
    except Exception as exc:
        session.error = f"{type(exc).__name__} at step '{session.step}': {str(exc).splitlines()[0][:120]}"
        try:  # what the page showed when it gave up
            shown = await page.locator(MAIN).inner_text(timeout=5_000)
            state = await page.evaluate(
                "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state')"
            )
            session.error += f" [script state {state}; page: {' '.join(shown.split())[:160]!r}]"
        except Exception:
            pass
    finally:
        await context.close()


async def run_all(
    url: str, n: int, batch: int, directory: Path, prefix: str = "S"
) -> tuple[list[Session], list[tuple[int, float]]]:
    from playwright.async_api import async_playwright

    sessions = [Session(k) for k in range(n)]
    paths = []
    for k in range(n):
        paths.append(directory / f"{prefix.lower()}{k:02d}.xlsx")
        paths[-1].write_bytes(study_bytes(f"{prefix}{k:02d}-"))
    walls = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for first in range(0, n, batch):
                group = sessions[first : first + batch]
                started = time.monotonic()
                await asyncio.gather(*(run_session(browser, url, s, paths[s.index]) for s in group))
                walls.append((len(group), time.monotonic() - started))
        finally:
            await browser.close()
    return sessions, walls


# --- report -------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    import streamlit

    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or "?",
    )
    mem_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    try:
        os_name = next(
            line.split("=", 1)[1].strip().strip('"')
            for line in open("/etc/os-release")
            if line.startswith("PRETTY_NAME=")
        )
    except (OSError, StopIteration):
        os_name = platform.platform()
    from importlib.metadata import version

    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "OS": f"{os_name}, Linux {platform.release()}",
        "Python": platform.python_version(),
        "Streamlit": streamlit.__version__,
        "Playwright (Python)": version("playwright"),
        "Browser": chromium,
    }


def summary(values: list[float]) -> str:
    if not values:
        return "—"
    return f"median {statistics.median(values):.2f} s, worst {max(values):.2f} s, best {min(values):.2f} s"


def bare_run(args: argparse.Namespace, batch: int) -> tuple[list[float], float, int]:
    """The same sessions against ``bench/bare_app.py`` (the sample's size: its Overview shows Enrolled 5, its upload
    shows the file's name and "No problems found"): the page times, the server's CPU during the sessions and the
    number of failed sessions."""
    server = Server(watch=args.watch, script=str(BARE_APP))
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as tmp:
            if args.warmup:
                asyncio.run(run_all(server.url, 1, 1, Path(tmp), prefix="W"))
            before = ps.tree_cpu_seconds(server.process.pid)
            sessions, _ = asyncio.run(run_all(server.url, args.sessions, batch, Path(tmp)))
            cpu_s = ps.tree_cpu_seconds(server.process.pid) - before
    finally:
        server.stop()
    pages = [t for s in sessions for t in (s.overview_s, s.upload_s) if t is not None]
    return pages, cpu_s, sum(1 for s in sessions if s.error)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--batch", type=int, default=None, help="sessions at once (default: all)")
    parser.add_argument(
        "--warmup",
        action="store_true",
        help="run one unmeasured session first (imports and the sample's cache are then warm)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="keep Streamlit's source file watcher on (default: off, as on a server; with it on, an "
        "edit of medpath/ during the run unloads modules other sessions are importing)",
    )
    parser.add_argument("--server-log", type=Path, help="save the server's output (tracebacks included) here")
    parser.add_argument("--markdown", type=Path, help="append a markdown section with the results to this file")
    parser.add_argument(
        "--no-bare",
        action="store_true",
        help="skip the same sessions against bench/bare_app.py (run after the dashboard's; the ratios of the median "
        f"page time and of the server CPU, goal: median page within {GOAL}x)",
    )
    args = parser.parse_args()
    batch = args.batch or args.sessions

    total_started = time.monotonic()
    server = Server(watch=args.watch)
    try:
        time.sleep(1.0)
        idle_mib = sum(ps.rss_bytes(p) // 1024 for p in ps.descendants(server.process.pid)) / 1024
        cpu_before = ps.cpu_seconds(server.process.pid)
        if args.warmup:
            with tempfile.TemporaryDirectory() as tmp:
                warm, _ = asyncio.run(run_all(server.url, 1, 1, Path(tmp), prefix="W"))
            if warm[0].error:
                raise RuntimeError(f"warm-up session failed: {warm[0].error}")
            idle_mib = sum(ps.rss_bytes(p) // 1024 for p in ps.descendants(server.process.pid)) / 1024
        sampler = MemorySampler(server.process.pid)
        client = MemorySampler(os.getpid(), exclude=server.process.pid)
        sampler.start()
        client.start()
        busy_before, total_before = machine_busy()
        tree_cpu_before = ps.tree_cpu_seconds(server.process.pid)
        with tempfile.TemporaryDirectory() as tmp:
            run_started = time.monotonic()
            sessions, walls = asyncio.run(run_all(server.url, args.sessions, batch, Path(tmp)))
            run_s = time.monotonic() - run_started
        tree_cpu_s = ps.tree_cpu_seconds(server.process.pid) - tree_cpu_before
        time.sleep(0.5)
        sampler.stop()
        client.stop()
        cpu_s = ps.cpu_seconds(server.process.pid) - cpu_before
        busy_after, total_after = machine_busy()
        machine_busy_s, machine_total_s = busy_after - busy_before, total_after - total_before
        end_mib = sampler.samples[-1][1] / 1024
    finally:
        server.stop()
        if args.server_log:
            server.log.seek(0)
            args.server_log.write_bytes(server.log.read())

    failed = [s for s in sessions if s.error]
    overview = [s.overview_s for s in sessions if s.overview_s is not None]
    upload = [s.upload_s for s in sessions if s.upload_s is not None]
    lines = [
        f"### {args.sessions} sessions{', file watcher ON' if args.watch else ''}, {'all at once' if batch >= args.sessions else f'in batches of {batch}'}, "
        f"{'warm server (one unmeasured session first)' if args.warmup else 'cold server (first script run included)'}",
        "",
        f"- Completed: {args.sessions - len(failed)} of {args.sessions} sessions"
        + (f"; failures: {'; '.join(f'#{s.index}: {s.error}' for s in failed)}" if failed else ""),
        f"- Sample Overview until key metrics render: {summary(overview)}",
        f"- Upload on the Data page until findings render: {summary(upload)}",
        f"- All page times together ({len(overview) + len(upload)}): {summary(overview + upload)}",
        f"- Server RSS (streamlit + children, sampled every 100 ms, {len(sampler.samples)} samples): "
        f"idle before the run {idle_mib:.0f} MiB, peak {sampler.peak_mib:.0f} MiB, at the end {end_mib:.0f} MiB",
        f"- Client side (Playwright driver + headless Chromium, all contexts) peak RSS {client.peak_mib:.0f} MiB "
        f"(summed per process, so shared pages count more than once)",
        f"- Server CPU time during the run: {cpu_s:.1f} s over {run_s:.1f} s wall "
        f"({cpu_s / run_s:.0%} of one core); whole machine {machine_busy_s:.1f} of {machine_total_s:.1f} CPU-s busy "
        f"({machine_busy_s / machine_total_s:.0%} of all {os.cpu_count()} cores), so the client (Chromium) used "
        f"about {machine_busy_s - cpu_s:.1f} CPU-s",
        f"- Batch wall times: {', '.join(f'{n} sessions {w:.1f} s' for n, w in walls)}; "
        f"whole script incl. server start {time.monotonic() - total_started:.1f} s",
    ]
    if any(s.notes for s in sessions):
        lines.append(f"- ISOLATION PROBLEM: {[(s.index, s.notes) for s in sessions if s.notes]}")
    if not args.no_bare:
        bare_pages, bare_cpu_s, bare_failed = bare_run(args, batch)
        pages = overview + upload
        if pages and bare_pages:
            ratio = statistics.median(pages) / statistics.median(bare_pages)
            lines.append(
                f"- Against the bare app (`bench/bare_app.py`, the same {args.sessions} sessions"
                f"{' and warm-up' if args.warmup else ''} on its own server, run after): median page time "
                f"{statistics.median(pages):.2f} s vs {statistics.median(bare_pages):.2f} s, **{ratio:.2f}x** (goal "
                f"<= {GOAL}x: {'met' if ratio <= GOAL else '**not met**'}); server CPU (process tree, during the "
                f"sessions) {tree_cpu_s:.1f} s vs {bare_cpu_s:.1f} s, **{tree_cpu_s / max(bare_cpu_s, 0.01):.2f}x**"
                + (f"; bare sessions failed: {bare_failed}" if bare_failed else "")
            )
    lines += ["", "| session | overview (s) | upload (s) |", "|---:|---:|---:|"]
    lines += [
        f"| {s.index} | {'—' if s.overview_s is None else f'{s.overview_s:.2f}'} | "
        f"{'—' if s.upload_s is None else f'{s.upload_s:.2f}'} |"
        for s in sessions
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    print(dict(machine()), dt.datetime.now().isoformat(timespec="seconds"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
