"""The jobs of the command line: the built-in problem of ``wgflow demo``, the problems of
``wgflow run`` (from a built-in initial density or from the user's data, read by
:mod:`wgflow.cli.inputs`), and the exact references each is compared with."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

import numpy as np

from .. import exact, flows
from ..density import Density
from ..errors import WgflowError, check_exponent, check_integer, check_positive
from ..gaussian import Gaussian, bures_distance
from ..grid import Grid
from ..solvers import methods_for
from ..trackers import functional_from_name, make_trackers
from . import inputs

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
#: Stored times of the demo, in units of T (each one costs a W2, about 0.1 s here).
DEMO_OUTPUTS = (0.0, 0.25, 0.5, 0.65, 0.8)
#: Part of the box shown in the demo's snapshots (the mixture stays well inside it).
DEMO_VIEW = ((-2.5, 2.5), (-2.0, 2.0))

# -- wgflow run -----------------------------------------------------------------------
#: Flows of ``wgflow run --flow``.
RUN_FLOWS = ("heat", "porous-medium", "fokker-planck", "backward-heat", "backward-porous-medium")
#: The flows of :data:`RUN_FLOWS` that run backward in time: they take ``--rtol``, and by
#: default run for half the time that brings the initial density to its singular point.
BACKWARD_FLOWS = ("backward-heat", "backward-porous-medium")
#: The flows of :data:`RUN_FLOWS` of exponent ``--m``.
POROUS_MEDIUM_FLOWS = ("porous-medium", "backward-porous-medium")
#: Steps of a backward run when ``--dt`` is not given (``dt = t_end / BACKWARD_STEPS``).
BACKWARD_STEPS = 40
#: ``--t-end`` and ``--dt`` of the forward flows when not given.
FORWARD_T_END, FORWARD_DT = 0.01, 1e-3
#: Default grid of the built-in initial densities (and cells per axis for the user's samples).
DEFAULT_N, DEFAULT_BOUNDS, DEFAULT_DIM = 128, (-1.0, 1.0), 1
#: Default parameters of the built-in initial densities.
DEFAULT_M, DEFAULT_VARIANCE, DEFAULT_T0, DEFAULT_C = 2.0, 0.01, 0.01, 0.01
ENTROPY_KINDS = ("shannon", "renyi", "tsallis")


def _run_flow(name: str, m: float, center: np.ndarray) -> flows.Flow:
    """The flow of ``wgflow run --flow name``: (backward) porous medium of exponent ``m``,
    Fokker-Planck with the quadratic potential ``|x - center|^2 / 2`` (equilibrium
    ``N(center, I)``)."""
    if name == "heat":
        return flows.Heat()
    if name == "backward-heat":
        return flows.BackwardHeat()
    if name == "porous-medium":
        return flows.PorousMedium(m)
    if name == "backward-porous-medium":
        return flows.BackwardPorousMedium(m)
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
    "backward-heat": (
        "N(centre, (variance - 2 t) I)", lambda cov, t: cov - 2.0 * t * np.eye(len(cov))
    ),
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
        Solver options passed to :func:`wgflow.solve` (e.g. ``gamma``, ``rtol``).
    t_eval : sequence of float, optional
        Times at which densities are stored (default: ten evenly spaced).
    exact : callable, optional
        ``exact(t)`` is the exact solution at time ``t`` (a Density on the same grid);
        when given, every stored density is compared with it (relative L1 error).
    exact_tracked : dict of str to callable
        ``exact_tracked[name](t)`` is the exact value of tracker ``name`` at time ``t``.
    exact_until : float
        The exact references exist for ``t < exact_until`` only (the singular time of a
        backward run; default ``inf``).
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
    exact_until: float = math.inf
    description: list[str] = field(default_factory=list)
    view: list[tuple[float, float]] | None = None

    def exact_at(self, t: float) -> Density | None:
        """The exact solution at time ``t``, or ``None`` where none is known."""
        if self.exact is None or t >= self.exact_until:
            return None
        return self.exact(t)

    def exact_value(self, name: str, t: float) -> float:
        """The exact value of tracker ``name`` at time ``t``, NaN where none is known."""
        reference = self.exact_tracked.get(name)
        if reference is None or t >= self.exact_until:
            return math.nan
        return reference(t)


def _entropy_references(
    track: Sequence[str], entropy: Callable[[str, tuple[float, ...], float], float]
) -> dict[str, Reference]:
    """The references of the entropy trackers among ``track`` (valid tracker names):
    ``entropy(kind, orders, t)`` with ``kind`` ``"shannon"``, ``"renyi"`` or ``"tsallis"``
    and ``orders`` empty or the order ``(a,)``."""
    references: dict[str, Reference] = {}
    for name in track:
        kind, _, order = name.partition(":")
        if kind in ENTROPY_KINDS:
            orders = (float(order),) if order else ()
            references[name] = partial(entropy, kind, orders)
    return references


def _quadrature_references(
    exact_at: Callable[[float], Density], track: Sequence[str]
) -> dict[str, Reference]:
    """The entropies among ``track`` of the exact density ``exact_at(t)``, by quadrature at
    the cell centres (spectrally accurate for a smooth density that vanishes at the walls or
    is even about them)."""

    def quadrature(name: str) -> Reference:
        functional = functional_from_name(name)
        return lambda t: functional(exact_at(t))

    return {name: quadrature(name) for name in track if name.partition(":")[0] in ENTROPY_KINDS}


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
    (``dt = 2e-3``, default regularisation, ``rtol = inf`` so that the run goes the whole
    way and shows its error estimate beside the exact error), compared with the exact mixture
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

    return Problem(
        title=f"backward heat equation (11) from a diffused 2-D Gaussian mixture, {n}x{n} "
        "grid, JKO",
        flow=flows.BackwardHeat(),
        rho0=exact_at(0.0),
        t_end=DEMO_T_END,
        dt=DEMO_DT,
        method="jko",
        track=DEMO_TRACK,
        options={"rtol": math.inf},
        t_eval=[DEMO_T * k for k in DEMO_OUTPUTS],
        exact=exact_at,
        exact_tracked=_quadrature_references(exact_at, DEMO_ENTROPIES),
        description=[
            "equation   d_t rho = -Lap rho (backward heat, eq. 11), the Wasserstein gradient "
            "flow that decreases H",
            f"data       3 anisotropic Gaussians diffused to T = {DEMO_T:g} on "
            f"{[list(b) for b in DEMO_BOUNDS]}, {n}x{n} cells",
            f"solver     semi-implicit JKO (POT kernels), back for {DEMO_T_END:g} = 0.8 T, "
            f"dt = {DEMO_DT:g}",
            "exact      the mixture diffused to T - t, its entropies by quadrature",
            "estimate   the error estimate of every backward run (a companion run); the demo "
            "runs with rtol = inf to show it beside the exact error over the whole 0.8 T (by "
            "default, rtol = 1e-2, a run stops where its estimate passes 1e-2)",
        ],
        view=list(DEMO_VIEW),
    )



# -- wgflow run: the options, the initial density, the exact references --------------
def _check_values(args: argparse.Namespace) -> None:
    """Check the ranges of the numerical options of ``wgflow run``."""
    if args.bounds is not None:
        a, b = args.bounds
        if not (math.isfinite(a) and math.isfinite(b) and a < b):
            raise WgflowError(f"--bounds A B needs finite numbers A < B, got {a:g} {b:g}")
    if args.n is not None:
        check_integer("--n", args.n, 2)
    if args.outputs is not None:
        check_integer("--outputs", args.outputs)
    for option, value in (("--t-end", args.t_end), ("--dt", args.dt), ("--gamma", args.gamma),
                          ("--variance", args.variance), ("--t0", args.t0), ("--C", args.C)):
        if value is not None:
            check_positive(option, value)
    if args.rtol is not None:
        check_positive("--rtol", args.rtol, allow_inf=True)


def _check_options(args: argparse.Namespace) -> str:
    """Check the values of the options of ``wgflow run`` and that each applies to the chosen
    flow and initial density; return the initial density: ``"gaussian"``, ``"barenblatt"``
    or ``"input"`` (the data of ``--input``)."""
    _check_values(args)
    porous = args.flow in POROUS_MEDIUM_FLOWS
    if args.input is not None:
        initial = "input"
    else:
        initial = args.initial or ("barenblatt" if porous else "gaussian")
    if args.m is not None and not porous and initial != "barenblatt":
        raise WgflowError(
            f"--m is used only by --flow {' or '.join(POROUS_MEDIUM_FLOWS)}, or --initial "
            "barenblatt"
        )
    if args.rtol is not None and args.flow not in BACKWARD_FLOWS:
        raise WgflowError(f"--rtol applies to --flow {' and '.join(BACKWARD_FLOWS)} only")
    if args.potential is not None and args.flow != "fokker-planck":
        raise WgflowError("--potential applies to --flow fokker-planck only")
    for option, value in (("--t0", args.t0), ("--C", args.C)):
        if value is not None and initial != "barenblatt":
            raise WgflowError(f"{option} applies to --initial barenblatt only")
    if args.variance is not None and initial != "gaussian":
        raise WgflowError("--variance applies to --initial gaussian only")
    if args.bandwidth is not None and initial != "input":
        raise WgflowError("--bandwidth applies to --input with samples only")
    return initial


@dataclass
class Start:
    """The initial density of ``wgflow run`` and what is known about it.

    Attributes
    ----------
    rho0 : Density
        The initial density, on the run's grid.
    text : str
        What it is, in words, with its box and cells.
    kind : str
        What it is, in a few words ("a Gaussian", "a kernel density estimate", ...).
    gaussian : Gaussian, optional
        A Gaussian start ``N(centre, VARIANCE I)``.
    barenblatt : (m, t0, C), optional
        A Barenblatt start: exponent, time and constant.
    kde : (samples, bandwidths), optional
        A kernel density estimate: the ``(k, d)`` samples and the bandwidth of each axis.
    """

    rho0: Density
    text: str
    kind: str
    gaussian: Gaussian | None = None
    barenblatt: tuple[float, float, float] | None = None
    kde: tuple[np.ndarray, np.ndarray] | None = None


def _centre(grid: Grid) -> np.ndarray:
    """The centre of the grid's box."""
    return np.array([0.5 * (lo + hi) for lo, hi in grid.bounds])


def _box_text(grid: Grid) -> str:
    """``on [a, b]^d, n cells per axis`` (each axis listed when they differ)."""
    if len(set(grid.bounds)) == 1:
        (a, b), *_ = grid.bounds
        box = f"[{a:g}, {b:g}]^{grid.ndim}"
    else:
        box = " x ".join(f"[{a:g}, {b:g}]" for a, b in grid.bounds)
    if len(set(grid.shape)) == 1:
        return f"on {box}, {grid.shape[0]} cells per axis"
    return f"on {box}, {'x'.join(map(str, grid.shape))} cells"


def _start(args: argparse.Namespace, initial: str, m: float) -> Start:
    """The initial density of ``wgflow run`` (``initial`` from :func:`_check_options`)."""
    if initial != "input":
        return _builtin_start(args, initial, m)
    data = inputs.read_input(args.input)
    if isinstance(data, Density):
        return _density_start(args, data)
    return _samples_start(args, data)


def _builtin_start(args: argparse.Namespace, initial: str, m: float) -> Start:
    """A Gaussian or Barenblatt profile at the centre of the box ``[A, B]^dim``."""
    d = DEFAULT_DIM if args.dim is None else args.dim
    n = DEFAULT_N if args.n is None else args.n
    a, b = DEFAULT_BOUNDS if args.bounds is None else args.bounds
    grid = Grid(bounds=[(a, b)] * d, shape=(n,) * d)
    center = _centre(grid)
    if initial == "gaussian":
        variance = DEFAULT_VARIANCE if args.variance is None else args.variance
        gaussian = Gaussian(center, variance * np.eye(d))
        values = exact.heat_gaussian(grid, center, gaussian.cov, 0.0).values
        # N(c, v I) is the heat flow of the point mass at c at age v/2, where the backward
        # heat flow ends (wgflow.solve stops a run there)
        return Start(Density(grid, values, age=variance / 2.0),
                     f"N(centre, {variance:g} I) {_box_text(grid)}", "a Gaussian",
                     gaussian=gaussian)
    t0 = DEFAULT_T0 if args.t0 is None else args.t0
    C = DEFAULT_C if args.C is None else args.C
    rho0 = exact.barenblatt(grid, m, t0, C, center=center)
    if rho0.mass <= 0:
        raise WgflowError(
            f"the Barenblatt profile at t0 = {t0:g} with C = {C:g} falls between the cell "
            "centres (zero mass on the grid): raise --n, --C or --t0"
        )
    return Start(rho0, f"Barenblatt(m = {m:g}, C = {C:g}) at t0 = {t0:g} {_box_text(grid)}",
                 "a Barenblatt profile", barenblatt=(m, t0, C))


def _check_dim(args: argparse.Namespace, d: int, what: str) -> None:
    """Raise if ``--dim`` is given and is not the dimension ``d`` of the data."""
    if args.dim is not None and args.dim != d:
        raise WgflowError(
            f"--dim {args.dim} does not match --input {args.input}, whose {what} {d}-D; "
            f"accepted: --dim {d}, or no --dim"
        )


def _samples_start(args: argparse.Namespace, samples: np.ndarray) -> Start:
    """The kernel density estimate (or histogram) of ``samples`` on a box that holds them."""
    k, d = samples.shape
    _check_dim(args, d, "points are")
    bandwidth = inputs.DEFAULT_BANDWIDTH if args.bandwidth is None else args.bandwidth
    bandwidths = inputs.sample_bandwidths(samples, bandwidth)
    if args.bounds is None:
        box = inputs.sample_box(samples, bandwidths)
    else:
        box = [tuple(args.bounds)] * d
    grid = Grid(bounds=box, shape=(DEFAULT_N if args.n is None else args.n,) * d)
    try:
        rho0 = Density.from_samples(
            grid, samples, bandwidth=0 if bandwidths is None else bandwidths
        )
    except WgflowError as exc:  # samples outside --bounds
        raise WgflowError(
            f"--input {args.input}: {exc}; accepted: --bounds A B that hold every sample, or no "
            "--bounds (a box around the data)"
        ) from None
    if bandwidths is None:
        return Start(rho0, f"histogram of {k} points of {args.input} {_box_text(grid)}",
                     "a histogram")
    widths = " ".join(f"{b:.4g}" for b in bandwidths)
    rule = f", {bandwidth}" if isinstance(bandwidth, str) else ""
    return Start(
        rho0,
        f"kernel density estimate of {k} points of {args.input} (bandwidth {widths}{rule}; "
        f"age {rho0.age:.4g}) {_box_text(grid)}",
        "a kernel density estimate",
        kde=(samples, bandwidths),
    )


def _density_start(args: argparse.Namespace, rho: Density) -> Start:
    """The final density of a saved result, on its own grid."""
    _check_dim(args, rho.grid.ndim, "density is")
    given = [option for option, value in (("--n", args.n), ("--bounds", args.bounds),
                                          ("--bandwidth", args.bandwidth)) if value is not None]
    if given:
        raise WgflowError(
            f"{', '.join(given)} does not apply to --input {args.input}: a saved density keeps "
            f"its grid ({'x'.join(map(str, rho.grid.shape))} cells on {rho.grid.bounds}) and "
            "its values"
        )
    age = "no age" if rho.age is None else f"age {rho.age:.4g}"
    return Start(rho, f"the final density of {args.input} ({age}) {_box_text(rho.grid)}",
                 "a saved density")


@dataclass
class _Exact:
    """The exact solution of a run, in words (``note``), as densities (``solution(t)``)
    and tracker values (``tracked[name](t)``)."""

    note: str
    solution: Callable[[float], Density] | None = None
    tracked: dict[str, Reference] = field(default_factory=dict)


def _exact(flow: str, start: Start, track: Sequence[str]) -> _Exact:
    """The exact solution of ``flow`` (a name of :data:`RUN_FLOWS`) from ``start``, where
    one is known: a Gaussian under the heat flows and the Fokker-Planck flow, a Barenblatt
    profile under the porous-medium flows (at ``t0 + t`` forward, ``t0 - t`` backward), a
    kernel density estimate under the heat flows (bandwidths ``sqrt(b^2 + 2t)`` forward,
    ``sqrt(b^2 - 2t)`` backward, :func:`wgflow.exact.kde`)."""
    grid = start.rho0.grid
    sign, op = (-1.0, "-") if flow in BACKWARD_FLOWS else (1.0, "+")
    if start.gaussian is not None and flow in GAUSSIAN_FLOWS:
        note, evolve = GAUSSIAN_FLOWS[flow]
        mean, cov = start.gaussian.mean, start.gaussian.cov

        def gaussian_at(t: float) -> Gaussian:
            return Gaussian(mean, evolve(cov, t))

        return _Exact(note, lambda t: exact.heat_gaussian(grid, mean, evolve(cov, t), 0.0),
                      _gaussian_references(gaussian_at, track))
    if start.barenblatt is not None and flow in POROUS_MEDIUM_FLOWS:
        m, t0, C = start.barenblatt
        center, d = _centre(grid), grid.ndim
        return _Exact(
            f"Barenblatt at t0 {op} t = {t0:g} {op} t",
            lambda t: exact.barenblatt(grid, m, t0 + sign * t, C, center=center),
            _entropy_references(
                track,
                lambda kind, orders, t: getattr(exact, f"barenblatt_{kind}_entropy")(
                    d, m, t0 + sign * t, C, *orders),
            ),
        )
    if start.kde is not None and flow in ("heat", "backward-heat"):
        samples, bandwidths = start.kde

        @cache
        def kde_at(t: float) -> Density:
            return exact.kde(grid, samples, bandwidths, sign * t)

        return _Exact(f"the kernel density estimate with bandwidths sqrt(b^2 {op} 2 t)",
                      kde_at, _quadrature_references(kde_at, track))
    return _Exact(f"none known for the {flow} flow from {start.kind}")


def _singular_time(flow: flows.Flow, start: Start) -> float | None:
    """When a backward flow brings the initial density to a singular point: its age under
    the backward heat flow (eq. (11)), ``t0`` for a Barenblatt profile under the backward
    porous-medium flow; ``None`` where none is known (and for the forward flows)."""
    if isinstance(flow, flows.BackwardHeat):
        return start.rho0.age
    if isinstance(flow, flows.BackwardPorousMedium) and start.barenblatt is not None:
        return start.barenblatt[1]
    return None


def _times(
    args: argparse.Namespace, singular: float | None, start: Start
) -> tuple[float, float]:
    """``t_end`` and ``dt``: as given, else ``0.01`` and ``1e-3`` for a forward flow, half
    the ``singular`` time and ``t_end / BACKWARD_STEPS`` for a backward flow."""
    backward = args.flow in BACKWARD_FLOWS
    if args.t_end is not None:
        t_end = args.t_end
    elif not backward:
        t_end = FORWARD_T_END
    elif singular is not None:
        t_end = 0.5 * singular
    else:
        raise WgflowError(
            f"--t-end is needed: the time at which the {args.flow} flow brings "
            f"{start.kind} to a singular point is not known (the default is half of it)"
        )
    if args.dt is not None:
        dt = args.dt
    else:
        dt = t_end / BACKWARD_STEPS if backward else FORWARD_DT
    if dt > t_end:
        raise WgflowError(f"--dt {dt:g} is larger than --t-end {t_end:g}")
    return t_end, dt


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
        density, or the ``--input`` file cannot be used; the message names the option or
        the file and the bad value.
    """
    initial = _check_options(args)
    m = DEFAULT_M if args.m is None else check_exponent("--m", args.m)
    start = _start(args, initial, m)
    grid = start.rho0.grid
    flow = _run_flow(args.flow, m, _centre(grid))
    accepted = methods_for(flow)
    if args.method not in accepted:
        raise WgflowError(
            f"--method {args.method} does not run --flow {args.flow}; accepted: "
            f"{', '.join(accepted)}"
        )
    make_trackers(args.track, start.rho0, flow.energy)  # raises naming an unknown tracker
    singular = _singular_time(flow, start)
    t_end, dt = _times(args, singular, start)
    reference = _exact(args.flow, start, args.track)
    options = {name: value for name, value in (("gamma", args.gamma), ("rtol", args.rtol))
               if value is not None}
    t_eval = None if args.outputs is None else np.linspace(0, t_end, args.outputs + 1).tolist()
    cells = "x".join(map(str, grid.shape))
    return Problem(
        title=f"{flow.name} flow in {grid.ndim}-D, {cells} cells, {args.method}",
        flow=flow,
        rho0=start.rho0,
        t_end=t_end,
        dt=dt,
        method=args.method,
        track=tuple(args.track),
        options=options,
        t_eval=t_eval,
        exact=reference.solution,
        exact_tracked=reference.tracked,
        exact_until=math.inf if singular is None else singular,
        description=[
            f"equation   {flow.equation}",
            f"initial    {start.text}",
            f"solver     {args.method}, t_end = {t_end:g}, dt = {dt:g}"
            + "".join(f", {name} = {value:g}" for name, value in options.items()),
            f"exact      {reference.note}",
        ],
    )
