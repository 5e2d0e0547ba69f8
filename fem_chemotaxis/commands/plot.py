"""``fem-chemotaxis plot RUN_DIR``: pictures of a run directory, finished or still running.

Species fields are read back from the checkpoint (on any number of MPI ranks, each picture
gathered to the rank that draws it: the ranks draw in turn), the time series from
``summary.json``.  Animations are written with
imageio: GIF always, MP4 only where an encoder (``imageio-ffmpeg``) is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command, add_verbosity

__all__ = ["main", "plot", "register"]

_EPILOG = """\
examples:
  fem-chemotaxis plot results/ks                      # final state + time series
  fem-chemotaxis plot results/ks --times 0,7.5,15     # chosen output times
  fem-chemotaxis plot results/ks --times all --gif    # every output time, and an animation
  mpiexec -n 4 fem-chemotaxis plot results/big --gif  # large meshes: read in parallel
  fem-chemotaxis plot results/vessel --view slices    # 3-D: centre slices instead of the cut corner

Writes into RUN_DIR (or --output): species-t<time>.png (all species side by side),
mass.png, min.png, max.png, and animation.gif / animation.mp4. Works while the run is still
going: it shows the output times checkpointed so far."""


#: The line of ``fem-chemotaxis --help`` and the start of ``fem-chemotaxis plot --help``.
HELP = "draw the species and time series of a run directory (also while it runs)"
DESCRIPTION = "Draw pictures of a run from its checkpoint and summary.json."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `plot` parser."""
    parser = add_command(subparsers, "plot", main, HELP, DESCRIPTION, _EPILOG)
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by `fem-chemotaxis run`")
    parser.add_argument(
        "--times",
        default="last",
        help="output times to draw: comma-separated values (the nearest output time is "
        "used), 'all', or 'last' (default)",
    )
    parser.add_argument(
        "--view",
        default="clip",
        help="how 3-D fields are shown: 'clip' (default: the corner nearest the viewer cut "
        "away), 'slices' (three orthogonal planes through the centre) or 'surface'",
    )
    parser.add_argument("--gif", action="store_true", help="also write animation.gif of all output times")
    parser.add_argument(
        "--mp4",
        action="store_true",
        help="also write animation.mp4 (needs imageio-ffmpeg; skipped with a warning otherwise)",
    )
    parser.add_argument("--fps", type=float, default=4.0, help="frames per second of animations (default 4)")
    parser.add_argument("--output", "-o", metavar="DIR", help="directory for the pictures (default: RUN_DIR)")
    add_verbosity(parser)


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Draw the requested pictures; exit code 2 if the run directory cannot be read."""
    from fem_chemotaxis.commands import EXIT_BAD_INPUT
    from fem_chemotaxis.io.checkpoint import CheckpointError
    from fem_chemotaxis.io.console import configure_logging

    configure_logging(args.verbosity, comm)
    try:
        plot(
            Path(args.run_dir),
            args.times,
            Path(args.output or args.run_dir),
            comm,
            gif=args.gif,
            mp4=args.mp4,
            fps=args.fps,
            view=args.view,
        )
    except (ValueError, CheckpointError) as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    return 0


def plot(
    run_dir: Path,
    times: str,
    out: Path,
    comm: MPI.Comm,
    *,
    gif: bool = False,
    mp4: bool = False,
    fps: float = 4.0,
    view: str = "clip",
) -> list[Path]:
    """Write the pictures described in the module doc; returns their paths.

    ``view`` is how 3-D fields are drawn (one of ``VIEWS_3D``; ignored in 2-D).
    """
    from fem_chemotaxis.io.console import LOGGER_NAME
    from fem_chemotaxis.outputs import time_series_pictures
    from fem_chemotaxis.runner import StoredRun
    from fem_chemotaxis.viz import VIEWS_3D, SpeciesPictures

    if view not in VIEWS_3D:
        raise ValueError(f"--view: '{view}' is not one of: {', '.join(VIEWS_3D)}")
    log = logging.getLogger(LOGGER_NAME)
    stored = StoredRun(run_dir, comm)
    summary, available = stored.summary, stored.times
    chosen = stored.select_times(times)
    if comm.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    comm.Barrier()
    title = summary["model"] if summary else None

    def draw(times: Sequence[float], paths: Sequence[Path]) -> None:
        """The species at each time, the ranks drawing in turn (at most one picture's fields each held)."""
        pictures = SpeciesPictures(comm)
        for time, path in zip(times, paths):
            pictures.add(list(stored.load(time).values()), path, time=time, title=title, view=view)
            if pictures.full:
                pictures.draw()
        pictures.draw()
        comm.Barrier()  # every picture is written

    species = {time: out / f"species-t{time:.6g}.png" for time in chosen}
    draw(list(species), list(species.values()))
    written = list(species.values())
    for path in written:
        log.info(f"  wrote {path}")
    if summary and summary["records"]:
        written += time_series_pictures(summary["records"], out, comm, first_rank=len(chosen))
        comm.Barrier()
        log.info(f"  wrote {out / 'mass.png'}, min.png, max.png")

    encoders = [("gif", gif, True), ("mp4", mp4, importlib.util.find_spec("imageio_ffmpeg") is not None)]
    wanted = [kind for kind, asked, available_here in encoders if asked and available_here]
    if mp4 and "mp4" not in wanted:
        log.warning("fem-chemotaxis: no MP4 encoder (pip install imageio-ffmpeg); animation.mp4 skipped")
    if wanted:
        frames_dir = Path(tempfile.mkdtemp(dir=out, prefix=".frames-")) if comm.rank == 0 else None
        frames_dir = comm.bcast(frames_dir, root=0)
        # a time drawn above is that picture; the others are drawn into frames_dir
        frames = [species.get(time, frames_dir / f"{k:05d}.png") for k, time in enumerate(available)]
        draw([t for t in available if t not in species], [f for t, f in zip(available, frames) if t not in species])
        if comm.rank == 0:
            written += _animate(frames, out, wanted, fps)
            shutil.rmtree(frames_dir)
            log.info(f"  wrote animation of {len(frames)} output times: " + ", ".join(f"animation.{k}" for k in wanted))
    return written


def _animate(frames: Sequence[Path], out: Path, kinds: Sequence[str], fps: float) -> list[Path]:
    """Animations of the PNG frames (rank 0), written to a temporary name and then renamed."""
    import imageio.v3 as iio

    images = [iio.imread(frame) for frame in frames]
    written = []
    for kind in kinds:
        path = out / f"animation.{kind}"
        tmp = out / f".animation.tmp.{kind}"
        if kind == "gif":
            iio.imwrite(tmp, images, extension=".gif", duration=1000.0 / fps, loop=0)
        else:
            iio.imwrite(tmp, images, extension=".mp4", fps=fps)
        os.replace(tmp, path)
        written.append(path)
    return written
