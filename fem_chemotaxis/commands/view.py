"""``fem-chemotaxis view RUN_DIR``: a self-contained HTML viewer of a run, for any browser.

The species at every output time are drawn with ``plot`` (so 3-D runs get its clip, slices or
surface view), and an ``index.html`` beside the pictures shows them with a time slider and a
play button, above the time series of mass, minimum and maximum.  The page is static (no
server code, nothing loaded from elsewhere), so it works from a copied directory or over SSH
port forwarding with any static file server.  ``index.html#<k>`` opens output time number k.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command, add_verbosity

__all__ = ["main", "register", "write_page"]

_EPILOG = """\
examples:
  fem-chemotaxis view results/ks                      # -> results/ks/view/index.html
  fem-chemotaxis view results/vessel --view slices    # 3-D: centre slices

On a remote machine: serve the directory and forward the port, then open
http://localhost:8000 in the local browser:
  python3 -m http.server --directory results/ks/view 8000      # on the remote machine
  ssh -L 8000:localhost:8000 REMOTE                              # on your machine"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:1em}} #field{{max-width:100%}} .series img{{width:32%}}
#controls{{display:flex;gap:1em;align-items:center}} #slider{{flex:1}}</style></head>
<body><h1>{title}</h1>
<div id="controls"><button id="play">play</button>
<input id="slider" type="range" min="0" max="{last}" value="{last}" aria-label="output time">
<span>t = <output id="time"></output></span></div>
<img id="field" alt="species at the chosen output time">
<div class="series">{series}</div>
<script>
const frames = {frames};
const slider = document.getElementById('slider'), img = document.getElementById('field');
function show(k) {{
  k = Math.max(0, Math.min(frames.length - 1, k));
  slider.value = k; img.src = frames[k][1];
  document.getElementById('time').value = frames[k][0];
  document.body.dataset.frame = k;
}}
slider.oninput = () => show(+slider.value);
let timer = null;
document.getElementById('play').onclick = () => {{
  if (timer) {{ clearInterval(timer); timer = null; return; }}
  timer = setInterval(() => show((+slider.value + 1) % frames.length), 500);
}};
const fromHash = parseInt(location.hash.slice(1));
show(Number.isNaN(fromHash) ? frames.length - 1 : fromHash);
</script></body></html>
"""


#: The line of ``fem-chemotaxis --help`` and the start of ``fem-chemotaxis view --help``.
HELP = "an HTML page of a run (species with a time slider, time series) for a browser"
DESCRIPTION = "Write a static HTML viewer of a run directory: every output time, a slider, the time series."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `view` parser."""
    parser = add_command(subparsers, "view", main, HELP, DESCRIPTION, _EPILOG)
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by `fem-chemotaxis run`")
    parser.add_argument("--view", default="clip", help="3-D fields: 'clip' (default), 'slices' or 'surface'")
    parser.add_argument("--output", "-o", metavar="DIR", help="directory of the page (default: RUN_DIR/view)")
    add_verbosity(parser)


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Draw every output time and write index.html; exit code 2 if the run cannot be read."""
    from fem_chemotaxis.commands import EXIT_BAD_INPUT
    from fem_chemotaxis.commands.plot import plot
    from fem_chemotaxis.io.checkpoint import CheckpointError, read_metadata
    from fem_chemotaxis.io.console import configure_logging

    configure_logging(args.verbosity, comm)
    run_dir = Path(args.run_dir)
    out = Path(args.output) if args.output else run_dir / "view"
    try:
        times = read_metadata(run_dir, comm)["times"]
        written = plot(run_dir, "all", out, comm, view=args.view)
    except (ValueError, CheckpointError) as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    if comm.rank == 0:
        frames = [(f"{t:.6g}", f"species-t{t:.6g}.png") for t in times]
        series = [p.name for p in written if not p.name.startswith("species-")]
        write_page(out / "index.html", run_dir.resolve().name, frames, series)
        print(f"fem-chemotaxis: wrote {out / 'index.html'} ({len(frames)} output times)", flush=True)
    return 0


def write_page(path: Path, title: str, frames: list[tuple[str, str]], series: list[str]) -> None:
    """The viewer page: `frames` are (time label, picture file) pairs, `series` picture files."""
    images = "".join(f'<img src="{html.escape(name)}" alt="{html.escape(name)}">' for name in series)
    path.write_text(
        _PAGE.format(title=html.escape(title), last=len(frames) - 1, frames=json.dumps(frames), series=images)
    )
