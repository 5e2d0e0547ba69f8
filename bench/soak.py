"""Soak test of the end of a run: many short 2-rank runs under load, bounded in time.

    python bench/soak.py [--runs 30] [--ranks 2] [--load 2] [--budget 1200] [--hang-after 60]

Each run is ``mpiexec -n RANKS fem-chemotaxis run`` of a small Keller-Segel config (8x8
cells, 4 steps, checkpoints, VTX output and pictures as usual) while LOAD busy processes compete for
the cores.  For every run it records the wall time, the exit code, and the *tail*: the time
from the last write of summary.json (status "completed", after the pictures) to the exit of
mpiexec, which is all finalisation (ADIOS2 and PETSc objects, MPI_Finalize, atexit).  A run
whose tail exceeds HANG_AFTER seconds is a hang: it is recorded, its processes are killed,
and the soak goes on.  Stops after RUNS runs or BUDGET seconds, and writes a JSON report.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [8, 8]
[model]
name = "keller-segel"
[model.parameters]
chi = 1.0
[initial]
u = "1 + 0.1*cos(pi*x)"
s = "1"
[time]
t_end = 0.2
dt = 0.05
[output]
interval = 0.1
pictures = true
"""


def busy(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    """Burn a core until told to stop."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x = (x * 7 + 1) % 1_000_003


def completed_at(out: Path) -> float | None:
    """The (wall-clock) time of the last write of summary.json, if it says "completed"."""
    try:
        path = out / "summary.json"
        written = path.stat().st_mtime
        if json.loads(path.read_text())["status"] == "completed":
            return written
    except (OSError, ValueError, KeyError):
        pass
    return None


def one_run(index: int, ranks: int, hang_after: float, work: Path) -> dict:
    """Run once; returns its record (exit code, wall time, tail, hang)."""
    config = work / f"soak{index}.toml"
    config.write_text(CONFIG)
    out = work / f"run{index}"
    command = [
        "mpiexec",
        "-n",
        str(ranks),
        sys.executable,
        "-m",
        "fem_chemotaxis.cli",
        "run",
        str(config),
        "--output",
        str(out),
        "-q",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_COMM", "PMI", "PMIX"))}
    start = time.time()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    while process.poll() is None:
        done = completed_at(out)
        if (done is not None and time.time() - done > hang_after) or time.time() - start > 10 * hang_after:
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    _, stderr = process.communicate()
    end = time.time()
    done = completed_at(out)
    record = {
        "run": index,
        "exit_code": process.returncode,
        "wall_time": end - start,
        "tail": None if done is None else end - done,
        "completed": done is not None,
    }
    record["hang"] = done is not None and record["tail"] > hang_after
    if process.returncode != 0:
        record["stderr"] = stderr.strip().splitlines()[-5:]
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--load", type=int, default=2, help="busy processes competing for the cores")
    parser.add_argument("--budget", type=float, default=1200.0, help="seconds for the whole soak")
    parser.add_argument("--hang-after", type=float, default=60.0, help="tail (s) that counts as a hang")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / f"soak-{time.strftime('%Y-%m-%d')}.json",
    )
    args = parser.parse_args()

    stop = multiprocessing.Event()
    load = [multiprocessing.Process(target=busy, args=(stop,), daemon=True) for _ in range(args.load)]
    for p in load:
        p.start()
    records, start = [], time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="fem-chemotaxis-soak-") as work:
            for index in range(args.runs):
                if time.monotonic() - start > args.budget:
                    break
                records.append(one_run(index, args.ranks, args.hang_after, Path(work)))
                r = records[-1]
                tail = "-" if r["tail"] is None else f"{r['tail']:.2f} s"
                print(
                    f"[soak] run {index + 1}/{args.runs}: exit {r['exit_code']}, {r['wall_time']:.1f} s, "
                    f"tail {tail}{'  HANG' if r['hang'] else ''}",
                    flush=True,
                )
    finally:
        stop.set()
        for p in load:
            p.join(timeout=5)
    tails = [r["tail"] for r in records if r["tail"] is not None]
    report = {
        "runs": len(records),
        "ranks": args.ranks,
        "load_processes": args.load,
        "hang_after": args.hang_after,
        "hangs": sum(r["hang"] for r in records),
        "failed": sum(r["exit_code"] != 0 for r in records),
        "tail_median": statistics.median(tails) if tails else None,
        "tail_max": max(tails, default=None),
        "wall_time": time.monotonic() - start,
        "records": records,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"[soak] {report['runs']} runs, {report['hangs']} hangs, {report['failed']} failed; tail median "
        f"{report['tail_median'] or 0:.2f} s, max {report['tail_max'] or 0:.2f} s -> {args.output}"
    )
    sys.exit(1 if report["hangs"] or report["failed"] else 0)


if __name__ == "__main__":
    main()
