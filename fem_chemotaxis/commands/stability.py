"""``fem-chemotaxis stability CONFIG.toml``: predict patterns on the config's mesh before simulating.

The homogeneous steady state of the config's model is found by Newton's method, starting
from the mean of the ``[initial]`` values over the mesh (species without reactions, such as
the cells of Keller-Segel, keep that mean: their mass is conserved), or from ``--guess``.
The first ``--modes`` no-flux Laplacian eigenpairs of the mesh are computed with SLEPc, and
the dispersion relation is evaluated for each. Writes ``stability.json``,
``growth_rates.png`` and ``fastest_mode.png`` into the output directory.
"""

from __future__ import annotations

import argparse
import math
import time as wallclock
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command

if TYPE_CHECKING:
    from fem_chemotaxis.analysis.stability import StabilityReport
    from fem_chemotaxis.config.run_config import RunConfig
    from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
    from fem_chemotaxis.model.model import Model

__all__ = ["main", "parse_bracket", "parse_guess", "register"]

_EPILOG = """\
examples:
  fem-chemotaxis stability demos/stability_keller_segel.toml
  fem-chemotaxis stability run.toml --modes 40 --guess u=2,s=2
  mpiexec -n 2 fem-chemotaxis stability run.toml --parameter chi --bracket 0.1,10 -o results/onset

The analysis assumes no-flux boundaries and parameters that are the same everywhere: a config
with [[boundary]] conditions or [subdomains] is refused. mu_k are the eigenvalues of -Lap
(mu_k = (k pi / L)^2 on an interval of length L); a mode is unstable when the largest real
part of the eigenvalues of J - mu_k M(u*) is positive. --parameter/--bracket find the value
of a model parameter at which the first mode turns unstable (bisection; the stability must
differ at the two ends)."""

#: Points of the continuous dispersion curve drawn in growth_rates.png.
_CURVE_POINTS = 600


#: The line of ``fem-chemotaxis --help`` and the start of ``fem-chemotaxis stability --help``.
HELP = (
    "linear stability of the homogeneous steady state on the config's mesh: unstable modes, "
    "growth rates, critical parameter"
)
DESCRIPTION = "Predict which Laplacian modes of the mesh grow about the homogeneous steady state."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `stability` parser."""
    parser = add_command(subparsers, "stability", main, HELP, DESCRIPTION, _EPILOG)
    parser.add_argument("config", help="TOML run configuration (its [mesh], [model] and [initial])")
    parser.add_argument(
        "--modes",
        type=int,
        default=20,
        metavar="K",
        help="number of non-constant Laplacian modes to compute (default 20)",
    )
    parser.add_argument(
        "--guess",
        metavar="S=V,...",
        help="Newton's start for the steady state, e.g. u=1,s=1 (default: the mean of [initial] over the mesh)",
    )
    parser.add_argument("--parameter", metavar="NAME", help="model parameter whose critical value to find")
    parser.add_argument("--bracket", metavar="LOW,HIGH", help="interval of --parameter to search, e.g. 0.1,10")
    parser.add_argument(
        "--output", "-o", metavar="DIR", help="output directory (default: results/<config name>-stability)"
    )


def parse_guess(text: str, species: list[str]) -> dict[str, float]:
    """``"u=1,s=0.5"`` as {species: value}.

    Raises:
        ValueError: for an item that is not SPECIES=NUMBER, or an unknown species.
    """
    guess = {}
    for item in text.split(","):
        name, sep, value = (part.strip() for part in item.partition("="))
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name or not math.isfinite(number):
            raise ValueError(f"--guess item '{item.strip()}' is not SPECIES=NUMBER (e.g. --guess u=1,s=1)")
        if name not in species:
            raise ValueError(f"--guess: '{name}' is not a species of the model; its species: {', '.join(species)}")
        guess[name] = number
    return guess


def parse_bracket(text: str) -> tuple[float, float]:
    """``"0.1,10"`` as (0.1, 10.0).

    Raises:
        ValueError: unless the text is two finite numbers low < high.
    """
    parts = text.split(",")
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        low = high = math.nan
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"--bracket '{text}' must be two numbers LOW,HIGH with LOW < HIGH (e.g. 0.1,10)")
    return low, high


def _initial_means(config: RunConfig, mesh: TaggedMesh) -> dict[str, float]:
    """The mean over the mesh of every species' initial value (interpolated in P1)."""
    import dolfinx.fem
    import ufl

    from fem_chemotaxis.io.seed import RunField, read_densities
    from fem_chemotaxis.mesh.transfer import transfer

    domain = mesh.mesh
    field = dolfinx.fem.Function(dolfinx.fem.functionspace(domain, ("Lagrange", 1)))
    integral = dolfinx.fem.form(field * ufl.dx)
    one = dolfinx.fem.Constant(domain, dolfinx.default_scalar_type(1.0))
    area = domain.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(one * ufl.dx)), op=MPI.SUM)
    previous = read_densities({n: v for n, v in config.initial.items() if isinstance(v, RunField)}, domain.comm)
    means = {}
    for name, expr in config.initial.items():
        if name in previous:
            transfer(previous[name], field, f"[initial] {name}")
        else:
            assert not isinstance(expr, RunField)  # the previous runs' fields are read above
            field.interpolate(expr.at_points(config.model.parameters, 0.0))
        means[name] = domain.comm.allreduce(dolfinx.fem.assemble_scalar(integral), op=MPI.SUM) / area
    return means


def _bands(x: np.ndarray, inside: np.ndarray) -> list[tuple[float, float]]:
    """The intervals of `x` (sorted) over which `inside` holds."""
    bands, start = [], None
    for xi, flag in zip(x, inside):
        if flag and start is None:
            start = float(xi)
        elif not flag and start is not None:
            bands.append((start, float(xi)))
            start = None
    if start is not None:
        bands.append((start, float(x[-1])))
    return bands


def _largest_real_part(rates: np.ndarray) -> float:
    """The largest real part of some growth rates (NaN if there are none)."""
    return float(rates[0].real) if rates.size else math.nan


def _save_growth_rates_png(report: StabilityReport, model: Model, path: Path, title: str) -> None:
    """Growth rate against mu_k: the mesh's modes, the continuous relation, the unstable band."""
    from matplotlib.figure import Figure

    from fem_chemotaxis.analysis.dispersion import growth_rates
    from fem_chemotaxis.analysis.stability import NEUTRAL_TOLERANCE

    mus = np.array([m.mu for m in report.modes])
    rates = np.array([m.growth_rate for m in report.modes])
    unstable = np.array([m.unstable for m in report.modes])
    curve_mu = np.linspace(0.0, 1.05 * mus.max(), _CURVE_POINTS)
    state = report.steady_state
    curve = np.array([_largest_real_part(growth_rates(model, state, mu)) for mu in curve_mu])
    band = curve > NEUTRAL_TOLERANCE * max(1.0, float(np.nanmax(np.abs(curve), initial=0.0)))

    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    axes = figure.subplots()
    axes.axhline(0.0, color="black", linewidth=0.8)
    for i, (a, b) in enumerate(_bands(curve_mu, band)):
        axes.axvspan(a, b, color="tab:red", alpha=0.12, label="unstable band" if i == 0 else None)
    axes.plot(
        curve_mu, curve, color="tab:blue", linewidth=1.2, label=r"dispersion relation $\max\,\mathrm{Re}\,\lambda(\mu)$"
    )
    for chosen, colour, label in ((~unstable, "tab:gray", "stable"), (unstable, "tab:red", "unstable")):
        if chosen.any():
            axes.plot(mus[chosen], rates[chosen], "o", color=colour, label=f"{label} mesh modes")
    fastest = report.fastest_mode
    if fastest is not None and fastest.unstable:
        axes.plot(
            [fastest.mu],
            [fastest.growth_rate],
            "*",
            color="black",
            markersize=14,
            label=f"fastest: k = {fastest.index}, rate {fastest.growth_rate:.3g}",
        )
    axes.set_xlabel(r"Laplacian eigenvalue $\mu_k$   ($-\Delta\varphi_k = \mu_k\,\varphi_k$, no flux)")
    axes.set_ylabel(r"growth rate $\max\,\mathrm{Re}\,\lambda$")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    figure.savefig(path)


def _checked_inputs(args: argparse.Namespace, config: Any) -> tuple[dict[str, float], Any, Path]:
    """The command-line options and config checked: (guess, bracket, output directory)."""
    model = config.model
    if config.boundary_conditions:
        where = ", ".join(str(name) for bc in config.boundary_conditions for name in bc.on)
        raise ValueError(
            f"{config.source}: the stability analysis assumes no-flux boundaries, but the "
            f"config has [[boundary]] conditions on {where}"
        )
    if config.subdomain_parameters:
        subdomain = next(iter(config.subdomain_parameters))
        raise ValueError(
            f"{config.source}: the stability analysis needs parameters that are the same "
            f"everywhere, but the config has [subdomains.{subdomain}]"
        )
    if args.modes < 1:
        raise ValueError(f"--modes must be a positive integer, got {args.modes}")
    user_guess = parse_guess(args.guess, model.species_names) if args.guess else {}
    if (args.parameter is None) != (args.bracket is None):
        raise ValueError("--parameter and --bracket go together (e.g. --parameter chi --bracket 0.1,10)")
    bracket = parse_bracket(args.bracket) if args.bracket else None
    if args.parameter is not None and args.parameter not in model.parameters:
        raise ValueError(
            f"--parameter '{args.parameter}' is not a parameter of model '{model.name}'; "
            f"its parameters: {', '.join(model.parameters)}"
        )
    out = Path(args.output) if args.output else Path("results") / f"{Path(config.source).stem}-stability"
    if out.exists() and not out.is_dir():
        raise ValueError(f"--output '{out}' exists and is not a directory")
    return user_guess, bracket, out


def _print_summary(
    model: Any, mesh: Any, degree: int, dofs: int, n_modes: int, ranks: int, report: Any, onset: Any
) -> None:
    """The report table and the critical value, if one was sought (rank 0)."""
    print(
        f"fem-chemotaxis stability: model '{model.name}' on {mesh.source}, P{degree} "
        f"({dofs} dofs), {n_modes} modes, {ranks} MPI rank(s)"
    )
    print(report.table())
    if onset is not None:
        side = "above" if onset.unstable_above else "below"
        low, high = onset.bracket
        print(
            f"critical {onset.parameter} = {onset.value:.10g} (unstable {side} it, first in mode "
            f"k = {onset.mode}, mu_k = {onset.mu:.6g}; bracket [{low:g}, {high:g}])"
        )


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Analyse the config and write stability.json and the pictures."""
    from fem_chemotaxis.analysis.dispersion import homogeneous_steady_state
    from fem_chemotaxis.analysis.laplace_eigen import neumann_modes
    from fem_chemotaxis.analysis.stability import critical_value, stability_report
    from fem_chemotaxis.config import load_config
    from fem_chemotaxis.io.atomic import write_json_atomic
    from fem_chemotaxis.viz import save_species_png

    start = wallclock.perf_counter()
    config = load_config(args.config)
    model = config.model
    user_guess, bracket, out = _checked_inputs(args, config)

    mesh = config.mesh.build(comm)
    guess = {**_initial_means(config, mesh), **user_guess}
    state = homogeneous_steady_state(model, guess)
    degree = max(sp.degree for sp in model.species)
    modes = neumann_modes(mesh, args.modes, degree=degree)
    report = stability_report(model, state, modes.eigenvalues)
    onset = None
    if bracket is not None:
        onset = critical_value(model, args.parameter, bracket, modes.eigenvalues, state)

    if comm.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    comm.Barrier()
    fastest = report.fastest_mode
    assert fastest is not None
    phi = modes.functions[fastest.index - 1]
    kind = "fastest-growing" if fastest.unstable else "least stable"
    title = f"{kind} mode k = {fastest.index}: mu_k = {fastest.mu:.4g}, rate {fastest.growth_rate:.4g}"
    save_species_png([phi], out / "fastest_mode.png", title=title)
    dofs = phi.function_space.dofmap.index_map.size_global
    result: dict[str, Any] = {
        "config_file": config.source,
        "mesh": mesh.source,
        "degree": degree,
        "dofs_per_species": dofs,
        "mpi_ranks": comm.size,
        "guess": guess,
        **report.to_dict(),
        "critical": None if onset is None else onset.to_dict(),
    }
    if comm.rank == 0:
        _save_growth_rates_png(
            report,
            model,
            out / "growth_rates.png",
            f"{model.name} on {mesh.source}: {len(report.unstable_modes)} of {len(report.modes)} modes unstable",
        )
        result["wall_time"] = wallclock.perf_counter() - start
        write_json_atomic(out / "stability.json", result)
        _print_summary(model, mesh, degree, dofs, args.modes, comm.size, report, onset)
        print(f"wrote {out / 'stability.json'}, growth_rates.png, fastest_mode.png in {result['wall_time']:.1f} s")
    return 0
