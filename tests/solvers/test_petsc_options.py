"""[solver.petsc] accepts solver tuning only: viewers, monitors, logs, option files,
debuggers and code loading are refused with exit 2 naming the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tomllib

from fem_chemotaxis.config.run_config import ConfigError, parse_config
from fem_chemotaxis.solvers.flow import FLOW_AUTO_DIRECT_LIMIT, flow_preset_options
from fem_chemotaxis.solvers.nonlinear import preset_options
from fem_chemotaxis.solvers.petsc_options import petsc_option_problem
from tests.conftest import run_cli
from tests.unit.test_config_limits import VALID

TUNING = {
    "snes_rtol": 1e-10,
    "snes_max_it": 50,
    "snes_linesearch_type": "basic",
    "ksp_type": "gmres",
    "ksp_gmres_restart": 100,
    "pc_type": "fieldsplit",
    "pc_fieldsplit_type": "multiplicative",
    "fieldsplit_u_pc_type": "gamg",
    "fieldsplit_log_u_pc_gamg_threshold": 0.02,
    "fieldsplit_flow_fieldsplit_0_pc_hypre_boomeramg_coarsen_type": "HMIS",
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_2_pc_type": "sor",
    "sub_pc_factor_levels": 1,
    "pc_factor_mat_solver_type": "mumps",
    "mat_mumps_icntl_14": 50,
    "-ksp_rtol": 1e-6,
    "snes_lag_preconditioner": 25,
    "ksp_error_if_not_converged": True,
    "pc_hypre_type": "boomeramg",
    "fieldsplit_u_pc_hypre_boomeramg_relax_type_all": "symmetric-SOR/Jacobi",
    "pc_hypre_boomeramg_relax_type_coarse": "l1scaled-SOR/Jacobi",
}

REFUSED = {
    # viewers and monitors (files anywhere, windows, sockets)
    "ksp_view": "ascii:/tmp/x",
    "snes_monitor": "ascii:/some/path",
    "ksp_monitor": True,
    "snes_converged_reason": True,
    "ksp_view_mat": "binary:m.dat",
    "fieldsplit_u_ksp_monitor": True,
    "snes_linesearch_monitor": True,
    "ksp_monitor_true_residual": "draw",
    "pc_mg_log": True,
    "ksp_plot_eigenvalues": True,
    "snes_test_jacobian": True,
    "mat_view": "ascii:/etc/passwd",
    # logging, option files, debuggers, help, memory dumps and other global options
    "log_view": "ascii:/tmp/log.txt",
    "log_trace": "/tmp/trace",
    "options_file": "/tmp/opts",
    "start_in_debugger": "gdb",
    "on_error_attach_debugger": True,
    "help": True,
    "malloc_dump": True,
    "info": "/tmp/info",
    "options_monitor": True,
    "PETSC_OPTIONS": "-help",
    "viewer_binary_filename": "x",
    "draw_pause": 1,
    "skip_petscrc": True,
    # code loading and malformed names or values
    "pc_python_type": "mymodule.PC",
    "snes_type python": "x",
    "ksp-type": "gmres",
}
REFUSED_VALUES = {
    "pc_type": "python",
    "snes_type": "shell",
    "ksp_type": "gmres -options_file /tmp/x",
    "mat_mumps_icntl_4": "../../x",
    "pc_gamg_threshold": "ascii:/tmp/x",
    "pc_hypre_boomeramg_relax_type_down": "/tmp/SOR/Jacobi",
    "pc_hypre_boomeramg_relax_type_up": "../SOR/Jacobi",
    "pc_hypre_boomeramg_relax_type_all": "SOR/Jacobi/x",
}


def _preset_options() -> dict:
    options = {}
    for preset in ("direct", "iterative"):
        for tdim in (2, 3):
            options |= preset_options(preset, ["u", "log_s"], 10**6, tdim)
        for null_space in (True, False):
            options |= flow_preset_options(preset, ["u"], 10**6, null_space)
            options |= flow_preset_options(preset, [], 10**6, null_space)
    return options


@pytest.mark.parametrize("key, value", sorted({**_preset_options(), **TUNING}.items(), key=str))
def test_tuning_options_and_the_presets_own_options_are_allowed(key, value):
    assert petsc_option_problem(key, value) is None


@pytest.mark.parametrize("key, value", sorted(REFUSED.items()) + sorted(REFUSED_VALUES.items()))
def test_other_options_are_refused_naming_the_key(key, value, tmp_path):
    data = tomllib.loads(VALID)
    data["solver"] = {"petsc": {key: value}}
    with pytest.raises(ConfigError) as err:
        parse_config(data, source="case.toml", base_dir=tmp_path)
    assert f"[solver.petsc] {key} = {value!r}" in str(err.value)


@pytest.mark.serial
def test_cli_refuses_a_viewer_and_writes_no_file(tmp_path):
    """The issue's example: ksp_view = "ascii:FILE" would have written FILE; exit 2, nothing written."""
    target = tmp_path / "written_by_petsc.txt"
    config = tmp_path / "viewer.toml"
    config.write_text(VALID + f'\n[solver.petsc]\nksp_view = "ascii:{target}"\n')
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "[solver.petsc] ksp_view" in result.stderr and result.stderr.count("\n") == 1
    assert not target.exists() and not out.exists()


def test_a_run_leaves_environment_and_global_options_untouched(tmp_path, comm):
    """Allowed options live under the solver's own prefix and are removed after the first
    solve; a config has no way to set PETSC_OPTIONS or any other environment variable."""
    import adios4dolfinx  # noqa: F401  (its import sets ADIOS2_ALWAYS_USE_MPI=1; not the config's doing)

    from petsc4py import PETSc

    from fem_chemotaxis.config import ConfigDocument
    from fem_chemotaxis.runner import run

    environment = dict(os.environ)
    before = set(PETSc.Options().getAll())
    data = tomllib.loads(VALID)
    data["solver"] = {"petsc": {"snes_rtol": 1e-9, "ksp_type": "preonly"}}
    out = comm.bcast(tmp_path if comm.rank == 0 else None) / "run"
    summary = run(ConfigDocument(data, "case.toml", str(tmp_path)), out, comm=comm)
    assert summary["status"] == "completed"
    assert set(PETSc.Options().getAll()) == before
    assert dict(os.environ) == environment
    assert Path(out, "summary.json").is_file()


def test_auto_picks_the_direct_flow_solver_below_its_dimension_limit():
    """Flow systems: MUMPS (kept LU) below FLOW_AUTO_DIRECT_LIMIT of the mesh's dimension (8e5
    DOFs in 2-D, 2e5 in 3-D, measured in bench/README.md), the field split from there on; a 2-D
    system of 6e5 DOFs (at 8.2e5 25 s a step iteratively, 7 s directly) is direct, and so is a
    3-D one of 1.5e5 (at 2.1e5 DOFs 38 s a step iteratively, 6-8 s directly)."""
    for tdim, limit in FLOW_AUTO_DIRECT_LIMIT.items():
        assert flow_preset_options("auto", ["n", "c"], limit - 1, True, tdim)["pc_type"] == "lu"
        assert flow_preset_options("auto", ["n", "c"], limit, True, tdim)["pc_type"] == "fieldsplit"
    assert flow_preset_options("auto", ["n", "c"], 600_000, True, 2)["pc_type"] == "lu"
    assert flow_preset_options("auto", ["n", "c"], 150_000, True, 3)["pc_type"] == "lu"
    assert flow_preset_options("auto", ["n", "c"], 200_000, True, 3)["pc_type"] == "fieldsplit"
