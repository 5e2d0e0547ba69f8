"""What a full and a quick run measure: mesh sizes (cells per side) and run lengths."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Plan:
    """Sizes of one benchmark run (cells per side of the unit square / cube)."""

    mode: str
    iterative_2d: tuple[int, ...]  # 1 and 2 ranks
    direct_2d: tuple[int, ...]  # MUMPS LU, 1 rank
    iterative_3d: tuple[int, ...]  # 1 and 2 ranks
    direct_3d: tuple[int, ...]  # MUMPS LU, 1 rank, one measured step (minutes at 5e5 DOFs)
    fipy_2d: tuple[int, ...]  # odd, so that the centre is a cell centre
    rosenbrock_2d: tuple[int, ...] = ()  # scheme "auto" (Rosenbrock) with the floor, iterative, 1 rank
    rosenbrock_direct_2d: tuple[int, ...] = ()  # the same scheme with MUMPS LU
    rosenbrock_3d: tuple[int, ...] = ()  # scheme "auto" with the floor, iterative, 1 rank
    rosenbrock_parallel: tuple[tuple[int, int], ...] = ()  # (dim, n): "auto", iterative, 1 and 2 ranks
    adaptive: dict = field(default_factory=dict)
    time_to_solution: dict = field(default_factory=dict)
    time_to_solution_3d: dict = field(default_factory=dict)
    gradient_cost: dict = field(default_factory=dict)  # adjoint gradient vs forward run (cases/gradient_cost.py)
    fit_recovery: dict = field(default_factory=dict)  # chi, d from noisy observations (cases/fit_recovery.py)
    adaptive_mesh: dict = field(default_factory=dict)  # uniform fine x fine vs base x base adapted
    repeated: tuple[tuple[int, int], ...] = ()  # (dim, n): backward Euler measured twice, the faster kept
    timeout: float = 600.0  # seconds per case


FULL = Plan(
    mode="full",
    # 2 (n+1)^2 unknowns: 1.0e4, 4.0e4, 1.3e5, 5.0e5, 1.0e6, 2.0e6
    iterative_2d=(70, 140, 250, 500, 708, 1000),
    # LU at 2.0e6 is skipped: above ~1e6 unknowns its factorisation alone would take minutes
    direct_2d=(70, 140, 250, 500, 708),
    # 2 (n+1)^3 unknowns: 9.8e3, 7.2e4, 5.0e5
    iterative_3d=(16, 32, 62),
    direct_3d=(62,),
    # 2 n^2 unknowns: 1.0e4, 4.0e4, 1.3e5, 5.0e5
    fipy_2d=(71, 141, 251, 501),
    rosenbrock_2d=(250, 500, 708),
    rosenbrock_direct_2d=(250, 500, 708),
    rosenbrock_3d=(62,),  # 5.0e5 DOFs
    rosenbrock_parallel=((2, 1000), (3, 62)),  # 2.0e6 and 5.0e5 DOFs
    repeated=((2, 708), (2, 1000), (3, 62)),  # speedup_vs_lu, parallel_efficiency[_3d]
    # plateaus form by t ~ 5 and coarsen until t ~ 40; a long quiet phase follows (see README)
    adaptive={
        "cells": (32, 16),
        "end": 100.0,
        "ladder": (200, 400, 800, 1600, 3200),
        "reference_steps": 12800,
        "rtol": 1e-5,
        "atol": 1e-5,
    },
    # 5.0e5 DOFs; backward Euler + MUMPS at 10, 20, 40 steps
    time_to_solution={"n": 500, "end": 1.0, "ladder": (10, 20, 40), "reference_steps": 100, "hand_solver": "direct"},
    # 5.0e5 DOFs; backward Euler with the iterative preset at 10, 20, 40 steps: MUMPS takes minutes a
    # step here, the summary prices the steps with its Newton iteration from direct_3d
    time_to_solution_3d={
        "n": 62,
        "end": 1.0,
        "ladder": (10, 20, 40),
        "reference_steps": 100,
        "hand_solver": "iterative",
    },
    # 2.0e4 DOFs, 20 steps; MUMPS in the forward Newton and in the adjoint
    gradient_cost={"n": 100, "steps": 20, "repeats": 3},
    fit_recovery={"size": 0.04},  # the tissue section of demos/keller_segel.toml
    # 3.3e4 uniform DOFs; the peak is ~50x the background at t = 0.4 (blow-up at ~0.53)
    adaptive_mesh={"fine": 128, "base": 16, "end": 0.4},
)

QUICK = Plan(
    mode="quick",
    iterative_2d=(20, 40, 80),
    direct_2d=(20, 40, 80),
    iterative_3d=(6, 12),
    direct_3d=(12,),
    fipy_2d=(21, 41, 81),
    rosenbrock_2d=(40, 80),
    rosenbrock_direct_2d=(40, 80),
    rosenbrock_3d=(12,),
    rosenbrock_parallel=((2, 80), (3, 12)),
    repeated=((3, 12),),
    adaptive={
        "cells": (16, 8),
        "end": 10.0,
        "ladder": (50, 100, 200, 400),
        "reference_steps": 1600,
        "rtol": 1e-4,
        "atol": 1e-4,
    },
    time_to_solution={"n": 32, "end": 1.0, "ladder": (10, 20, 40), "reference_steps": 100, "hand_solver": "direct"},
    time_to_solution_3d={"n": 12, "end": 1.0, "ladder": (10, 20), "reference_steps": 100, "hand_solver": "iterative"},
    gradient_cost={"n": 24, "steps": 20, "repeats": 2},
    fit_recovery={"size": 0.08},
    adaptive_mesh={"fine": 32, "base": 8, "end": 0.3},
    timeout=120.0,
)
