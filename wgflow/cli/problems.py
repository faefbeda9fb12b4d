"""The jobs of the command line: the built-in problem of ``wgflow demo``, the problems of
``wgflow run``, and the exact references each is compared with."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .. import exact, flows
from ..density import Density
from ..errors import WgflowError, check_exponent, check_integer, check_positive
from ..gaussian import Gaussian, bures_distance
from ..grid import Grid
from ..solvers import methods_for
from ..trackers import functional_from_name, make_trackers

# -- the demo's built-in problem: a 2-D Gaussian mixture driven back by eq. (11) ------
DEMO_WEIGHTS = (0.3, 0.45, 0.25)
DEMO_MEANS = ((-1.0, -0.5), (0.4, 0.7), (1.2, -0.6))
DEMO_COVS = (
    ((0.15, 0.05), (0.05, 0.08)),
    ((0.06, 0.0), (0.0, 0.2)),
    ((0.2, -0.08), (-0.08, 0.1)),
)
DEMO_BOUNDS = ((-4.0, 4.0), (-4.0, 4.0))
DEMO_N = 128
DEMO_N_QUICK = 64
#: Forward diffusion time of the data; the demo drives them back for 0.8 of it.
DEMO_T = 0.1
DEMO_T_END = 0.8 * DEMO_T
DEMO_DT = 2e-3
DEMO_ENTROPIES = ("shannon", "renyi:2", "tsallis:2")
DEMO_TRACK = (*DEMO_ENTROPIES, "mass", "w2")
#: Stored times of the demo, in units of T (each one costs an exact W2 with POT).
DEMO_OUTPUTS = (0.0, 0.25, 0.5, 0.65, 0.8)
#: Part of the box shown in the demo's snapshots (the mixture stays well inside it).
DEMO_VIEW = ((-2.5, 2.5), (-2.0, 2.0))

#: Flows of ``wgflow run --flow``.
RUN_FLOWS = ("heat", "porous-medium", "fokker-planck")


def _run_flow(name: str, m: float, center: np.ndarray) -> flows.Flow:
    """The flow of ``wgflow run --flow name``: porous medium of exponent ``m``, Fokker-Planck
    with the quadratic potential ``|x - center|^2 / 2`` (equilibrium ``N(center, I)``)."""
    if name == "heat":
        return flows.Heat()
    if name == "porous-medium":
        return flows.PorousMedium(m)
    return flows.FokkerPlanck(lambda *x: 0.5 * sum((xi - c) ** 2 for xi, c in zip(x, center)))


#: The registered solvers that run each flow of ``wgflow run --flow``.
RUN_FLOW_METHODS = {name: methods_for(_run_flow(name, 2.0, np.zeros(1))) for name in RUN_FLOWS}
#: Methods of ``wgflow run --method``: those that run some flow of ``--flow``, each once.
RUN_METHODS = tuple(dict.fromkeys(m for methods in RUN_FLOW_METHODS.values() for m in methods))
#: Initial densities of ``wgflow run --initial``.
RUN_INITIALS = ("gaussian", "barenblatt")
#: Potentials of ``wgflow run --potential``.
RUN_POTENTIALS = ("quadratic",)
RUN_DEFAULT_TRACK = ("shannon", "renyi:2", "tsallis:2", "mass")

#: The exact value of a tracker at time ``t``.
Reference = Callable[[float], float]

#: Flows of ``wgflow run`` that keep a Gaussian start Gaussian: the exact solution in words
#: and its covariance at time t from the initial one (the box walls are neglected).
GAUSSIAN_FLOWS: dict[str, tuple[str, Callable[[np.ndarray, float], np.ndarray]]] = {
    "heat": ("N(centre, (variance + 2 t) I)", lambda cov, t: cov + 2.0 * t * np.eye(len(cov))),
    "fokker-planck": (
        "Ornstein-Uhlenbeck N(centre, e^-2t S + (1 - e^-2t) I)",
        lambda cov, t: math.exp(-2.0 * t) * cov + (1.0 - math.exp(-2.0 * t)) * np.eye(len(cov)),
    ),
}


@dataclass
class Problem:
    """Everything a run needs: what to solve, how, and what to compare with.

    Attributes
    ----------
    title : str
        One line naming the problem (printed and used as the picture's title).
    flow : Flow
        The equation, e.g. ``wg.flows.Heat()``.
    rho0 : Density
        Initial density.
    t_end, dt : float
        Final time and time step of :func:`wgflow.solve`.
    method : str
        Solver method (``"jko"``).
    track : tuple of str
        Tracker names recorded along the trajectory.
    options : dict
        Solver options passed to :func:`wgflow.solve` (e.g. ``gamma``).
    t_eval : sequence of float, optional
        Times at which densities are stored (default: ten evenly spaced).
    exact : callable, optional
        ``exact(t)`` is the exact solution at time ``t`` (a Density on the same grid);
        when given, every stored density is compared with it (relative L1 error).
    exact_tracked : dict of str to callable
        ``exact_tracked[name](t)`` is the exact value of tracker ``name`` at time ``t``.
    description : list of str
        Lines printed before the run (the setup in words).
    view : list of (lo, hi), optional
        Part of the box shown in the picture's snapshots (default the whole box).
    """

    title: str
    flow: flows.Flow
    rho0: Density
    t_end: float
    dt: float
    method: str = "jko"
    track: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    t_eval: Sequence[float] | None = None
    exact: Callable[[float], Density] | None = None
    exact_tracked: dict[str, Reference] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    view: list[tuple[float, float]] | None = None


def _entropy_references(
    track: Sequence[str], entropy: Callable[[str, tuple[float, ...], float], float]
) -> dict[str, Reference]:
    """The references of the entropy trackers among ``track`` (valid tracker names):
    ``entropy(kind, orders, t)`` with ``kind`` ``"shannon"``, ``"renyi"`` or ``"tsallis"``
    and ``orders`` empty or the order ``(a,)``."""
    references: dict[str, Reference] = {}
    for name in track:
        kind, _, order = name.partition(":")
        if kind in ("shannon", "renyi", "tsallis"):
            orders = (float(order),) if order else ()
            references[name] = partial(entropy, kind, orders)
    return references


def _gaussian_references(
    gaussian_at: Callable[[float], Gaussian], track: Sequence[str]
) -> dict[str, Reference]:
    """Exact tracker values along a Gaussian trajectory ``gaussian_at(t)``: the closed-form
    entropies and the Bures-Wasserstein distance to the start."""
    references = _entropy_references(
        track, lambda kind, orders, t: getattr(gaussian_at(t), f"{kind}_entropy")(*orders)
    )
    if "w2" in track:
        references["w2"] = lambda t: bures_distance(gaussian_at(0.0), gaussian_at(t))
    return references


def demo_problem(quick: bool = False) -> Problem:
    """The built-in job of ``wgflow demo``: the backward heat equation (eq. (11)) by JKO.

    Well-prepared data: the mixture of three anisotropic Gaussians ``DEMO_WEIGHTS``,
    ``DEMO_MEANS``, ``DEMO_COVS`` diffused by the heat flow to ``T = 0.1`` (exact, component
    by component) on ``[-4, 4]^2`` (128^2 cells, 64^2 with ``quick``), then driven back
    by ``wg.flows.BackwardHeat()`` with the semi-implicit JKO scheme for ``0.8 T``
    (``dt = 2e-3``, default regularisation), compared with the exact mixture
    ``heat_gaussian_mixture(grid, ..., T - t)`` and its entropies (by quadrature at the cell
    centres, spectrally accurate for a smooth density that vanishes at the walls); W2 to the
    start by POT.

    Parameters
    ----------
    quick : bool
        Use the coarser 64^2 grid.

    Returns
    -------
    Problem
    """
    n = DEMO_N_QUICK if quick else DEMO_N
    grid = Grid(bounds=DEMO_BOUNDS, shape=(n, n))

    def exact_at(t: float) -> Density:
        return exact.heat_gaussian_mixture(grid, DEMO_WEIGHTS, DEMO_MEANS, DEMO_COVS, DEMO_T - t)

    def quadrature(name: str) -> Reference:
        """The entropy ``name`` of the exact density, by quadrature."""
        functional = functional_from_name(name)
        return lambda t: functional(exact_at(t))

    return Problem(
        title=f"backward heat equation (11) from a diffused 2-D Gaussian mixture, {n}x{n} "
        "grid, JKO",
        flow=flows.BackwardHeat(),
        rho0=exact_at(0.0),
        t_end=DEMO_T_END,
        dt=DEMO_DT,
        method="jko",
        track=DEMO_TRACK,
        t_eval=[DEMO_T * k for k in DEMO_OUTPUTS],
        exact=exact_at,
        exact_tracked={name: quadrature(name) for name in DEMO_ENTROPIES},
        description=[
            "equation   d_t rho = -Lap rho (backward heat, eq. 11), the Wasserstein gradient "
            "flow that decreases H",
            f"data       3 anisotropic Gaussians diffused to T = {DEMO_T:g} on "
            f"{[list(b) for b in DEMO_BOUNDS]}, {n}x{n} cells",
            f"solver     semi-implicit JKO (POT kernels), back for {DEMO_T_END:g} = 0.8 T, "
            f"dt = {DEMO_DT:g}",
            "exact      the mixture diffused to T - t, its entropies by quadrature",
        ],
        view=list(DEMO_VIEW),
    )


def _check_options(args: argparse.Namespace) -> str:
    """Check the values of the options of ``wgflow run`` and that each applies to the chosen
    flow and initial density; return the name of the initial density."""
    a, b = args.bounds
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise WgflowError(f"--bounds A B needs finite numbers A < B, got {a:g} {b:g}")
    check_integer("--n", args.n, 2)
    if args.outputs is not None:
        check_integer("--outputs", args.outputs)
    for option, value in (("--t-end", args.t_end), ("--dt", args.dt), ("--gamma", args.gamma),
                          ("--variance", args.variance), ("--t0", args.t0), ("--C", args.C)):
        if value is not None:
            check_positive(option, value)
    if args.dt > args.t_end:
        raise WgflowError(f"--dt {args.dt:g} is larger than --t-end {args.t_end:g}")
    initial = args.initial or ("barenblatt" if args.flow == "porous-medium" else "gaussian")
    if args.m is not None and args.flow != "porous-medium" and initial != "barenblatt":
        raise WgflowError("--m is used only by --flow porous-medium and --initial barenblatt")
    if args.potential is not None and args.flow != "fokker-planck":
        raise WgflowError("--potential applies to --flow fokker-planck only")
    for option, value in (("--t0", args.t0), ("--C", args.C)):
        if value is not None and initial != "barenblatt":
            raise WgflowError(f"{option} applies to --initial barenblatt only")
    if args.variance is not None and initial != "gaussian":
        raise WgflowError("--variance applies to --initial gaussian only")
    return initial


def run_problem(args: argparse.Namespace) -> Problem:
    """Turn the options of ``wgflow run`` (see :func:`wgflow.cli.build_parser`) into a
    :class:`Problem`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of ``wgflow run``.

    Returns
    -------
    Problem

    Raises
    ------
    WgflowError
        If an option has a bad value or does not apply to the chosen flow and initial
        density; the message names the option.
    """
    initial = _check_options(args)
    a, b = args.bounds
    m = 2.0 if args.m is None else check_exponent("--m", args.m)
    t0 = 0.01 if args.t0 is None else args.t0
    C = 0.01 if args.C is None else args.C
    variance = 0.01 if args.variance is None else args.variance

    d = args.dim
    grid = Grid(bounds=[(a, b)] * d, shape=(args.n,) * d)
    center = np.full(d, 0.5 * (a + b))
    flow = _run_flow(args.flow, m, center)
    accepted = methods_for(flow)
    if args.method not in accepted:
        raise WgflowError(
            f"--method {args.method} does not run --flow {args.flow}; accepted: "
            f"{', '.join(accepted)}"
        )
    if initial == "gaussian":
        rho0 = exact.heat_gaussian(grid, center, variance * np.eye(d), 0.0)
        start = f"N(centre, {variance:g} I)"
    else:
        rho0 = exact.barenblatt(grid, m, t0, C, center=center)
        if rho0.mass <= 0:
            raise WgflowError(
                f"the Barenblatt profile at t0 = {t0:g} with C = {C:g} falls between the cell "
                "centres (zero mass on the grid): raise --n, --C or --t0"
            )
        start = f"Barenblatt(m = {m:g}, C = {C:g}) at t0 = {t0:g}"
    make_trackers(args.track, rho0, flow.energy)  # raises naming an unknown tracker

    exact_solution: Callable[[float], Density] | None = None
    exact_tracked: dict[str, Reference] = {}
    if initial == "gaussian" and args.flow in GAUSSIAN_FLOWS:
        exact_note, evolve = GAUSSIAN_FLOWS[args.flow]
        cov = variance * np.eye(d)
        exact_solution = lambda t: exact.heat_gaussian(grid, center, evolve(cov, t), 0.0)  # noqa: E731
        exact_tracked = _gaussian_references(lambda t: Gaussian(center, evolve(cov, t)), args.track)
    elif initial == "gaussian":
        exact_note = "none known (porous medium from a Gaussian)"
    elif args.flow == "porous-medium":
        exact_note = f"Barenblatt at t0 + t = {t0:g} + t"
        exact_solution = lambda t: exact.barenblatt(grid, m, t0 + t, C, center=center)  # noqa: E731
        exact_tracked = _entropy_references(
            args.track,
            lambda kind, orders, t: getattr(exact, f"barenblatt_{kind}_entropy")(
                d, m, t0 + t, C, *orders),
        )
    else:
        exact_note = "none known (Barenblatt start outside the porous-medium flow)"

    options = {} if args.gamma is None else {"gamma": args.gamma}
    t_eval = None if args.outputs is None else np.linspace(0, args.t_end, args.outputs + 1).tolist()
    return Problem(
        title=f"{flow.name} flow in {d}-D, {'x'.join([str(args.n)] * d)} cells, {args.method}",
        flow=flow,
        rho0=rho0,
        t_end=args.t_end,
        dt=args.dt,
        method=args.method,
        track=tuple(args.track),
        options=options,
        t_eval=t_eval,
        exact=exact_solution,
        exact_tracked=exact_tracked,
        description=[
            f"equation   {flow.equation}",
            f"initial    {start} on [{a:g}, {b:g}]^{d}, {args.n} cells per axis",
            f"solver     {args.method}, t_end = {args.t_end:g}, dt = {args.dt:g}"
            + (f", gamma = {args.gamma:g}" if args.gamma is not None else ""),
            f"exact      {exact_note}",
        ],
    )
