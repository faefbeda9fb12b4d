"""Bad-input fuzzing of the public entry points: only a :class:`~wgflow.errors.WgflowError`
(or a subclass) may come out, and its message must name the bad argument.

Every entry point has a valid call; each generated case replaces one argument by a bad
value: a wrong type (``None``, strings, containers, arbitrary objects, complex numbers,
arrays where numbers go, strings where arrays go), a boolean where a number goes, NaN or an
infinity, a negative or zero number where a positive one goes, a number out of range, an
array of the wrong shape or with a NaN, infinite or negative entry, an empty array, a
density on another grid or of zero mass, an unknown name.  ``ENTRIES`` lists the entry
points (``wg.Grid``, ``wg.Density`` and its constructors, methods and arithmetic,
``wg.solve`` with every keyword and every option of every method, the flows'
constructors, ``wg.functionals``, ``wg.exact``, ``wg.gaussian``, ``wg.dae``,
``wg.trackers``); ``SolveResult.load`` is fuzzed with bad files.  The ``ci`` profile draws
up to 25 cases per entry point (1700 in all; fewer where an argument has few bad values).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from _strategies import OPEN_DEFECTS, examples
from hypothesis import Phase, given, settings, strategies as st

import wgflow as wg
from wgflow.errors import ConvergenceWarning, WgflowError

NAN, INF = float("nan"), float("inf")

# -- bad values ----------------------------------------------------------------------------------

#: Values that are not numbers (nor arrays of real numbers); ``None`` is added where it is not
#: the default.
NOT_NUMBERS = ("1", "abc", b"1", [1.0], (1.0, 2.0), {}, {1.0}, object(), 1j,
               np.array([1.0, 2.0]), np.array(["a"]), lambda: 1.0)
BOOLEANS = (True, False, np.True_)
NON_FINITE = (NAN, INF, -INF)


def values(*items: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(items)


def not_positive() -> st.SearchStrategy[Any]:
    return st.one_of(values(0, 0.0, -0.0), st.floats(-1e300, -1e-300), st.integers(-10**9, -1))


def bad_positive(allow_inf: bool = False, default: bool = False) -> st.SearchStrategy[Any]:
    """Anything but a real number ``> 0`` (or ``inf`` with ``allow_inf``; or ``None`` for an
    argument whose ``default`` it is)."""
    special = NOT_NUMBERS + BOOLEANS + ((NAN, -INF) if allow_inf else NON_FINITE)
    return st.one_of(values(*special, *(() if default else (None,))), not_positive())


def bad_nonnegative(default: bool = False) -> st.SearchStrategy[Any]:
    return st.one_of(values(*NOT_NUMBERS, *BOOLEANS, *NON_FINITE, *(() if default else (None,))),
                     st.floats(-1e300, -1e-300), st.integers(-10**9, -1))


def bad_real() -> st.SearchStrategy[Any]:
    """Anything but a finite real number."""
    return values(None, *NOT_NUMBERS, *BOOLEANS, *NON_FINITE)


def bad_integer(minimum: int) -> st.SearchStrategy[Any]:
    return st.one_of(values(None, *NOT_NUMBERS, *BOOLEANS, *NON_FINITE, 2.5, 3.0,
                            np.float64(4.0)),
                     st.integers(-10**6, minimum - 1))


def bad_exponent() -> st.SearchStrategy[Any]:
    """Anything but a finite real number ``> 1``."""
    return st.one_of(bad_positive(), st.floats(0.0, 1.0))


def bad_order() -> st.SearchStrategy[Any]:
    """Anything but a finite real number ``> 0``, ``!= 1``."""
    return st.one_of(bad_positive(), values(1, 1.0, np.float64(1.0)))


def bad_bool() -> st.SearchStrategy[Any]:
    return values(None, 0, 1, 2, "yes", "False", 1.0, [True], np.array([True, False]))


def bad_choice(*also: Any, default: bool = False) -> st.SearchStrategy[Any]:
    """Not one of a set of names (or small integers); ``None`` too unless it is the
    ``default``."""
    return values(*(() if default else (None,)), 17, 2.5, "", "nope", b"x", True, ["x"], (1,),
                  np.array([1, 2]), object(), {}, *also)


def bad_arrays(
    shape: tuple[int, ...], negative: bool = True, default: bool = False
) -> st.SearchStrategy[Any]:
    """Not an array of finite real numbers of ``shape`` (non-negative ones if ``negative``
    values are bad; ``None`` unless it is the ``default``): wrong types, wrong shapes, one
    bad entry."""
    ones = np.ones(shape)
    wrong = (*(() if default else (None,)), "abc", ["a"] * shape[0], object(), {},
             [[1.0], [1.0, 2.0]], ones * 1j,
             np.ones(shape, dtype=bool), ones[..., None], np.ones(tuple(n + 1 for n in shape)),
             np.ones(0), np.ones(shape[:-1] + (0,)))

    @st.composite
    def one_bad_entry(draw: st.DrawFn) -> np.ndarray:
        array = ones.copy()
        index = tuple(draw(st.integers(0, n - 1)) for n in shape)
        array[index] = draw(values(NAN, INF, -INF, *((-1.0, -1e-300) if negative else ())))
        return array

    return st.one_of(values(*wrong), one_bad_entry())


G8 = wg.Grid([(-1.0, 1.0)], 8)
G16 = wg.Grid([(-2.0, 2.0)], 16)
G2 = wg.Grid([(-1.0, 1.0), (-1.0, 1.0)], (8, 6))
R8 = wg.exact.heat_gaussian(G8, 0.0, 0.1, 0.0)
R16 = wg.exact.heat_gaussian(G16, 0.1, 0.3, 0.0)
R2 = wg.exact.heat_gaussian(G2, [0.0, 0.1], [0.2, 0.1], 0.0)
ZERO8 = wg.Density(G8, np.zeros(8))
GAUSS1 = wg.gaussian.Gaussian([0.0], 1.0)
GAUSS2 = wg.gaussian.Gaussian([0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]])


def bad_grids() -> st.SearchStrategy[Any]:
    return values(None, "grid", 3, np.ones(3), [(0.0, 1.0)], R8, wg.Grid, {})


def bad_densities() -> st.SearchStrategy[Any]:
    return values(None, "rho", 3, np.ones(8), G8, [R8], wg.Density, ZERO8)


def bad_samples(d: int) -> st.SearchStrategy[Any]:
    return values(None, "abc", [], np.zeros((0, d)), [[NAN] * d, [0.0] * d], [[INF] * d] * 2,
                  np.zeros((3, d + 1)), np.zeros((2, 2, d)), [[5.0] * d] * 2, [[1j] * d] * 2,
                  np.ones((3, d), dtype=bool), object(), [["a"] * d] * 2)


def bad_points(d: int) -> st.SearchStrategy[Any]:
    """Points of a d-dimensional space, d >= 2, in any wrong form."""
    return values(None, "abc", object(), np.zeros((3, d + 1)), np.zeros(d + 1), [[NAN] * d],
                  [[INF] * d], [[1j] * d], np.ones((2, d), dtype=bool), [[0.0], [0.0, 1.0]])


# -- entry points ----------------------------------------------------------------------------------


@dataclass
class Entry:
    """An entry point: ``call(**valid)`` succeeds; ``bad[key] = (values, fragments)`` are
    bad values of the argument ``key`` (up to a ``":"``) and the fragments of which the
    message must contain one; ``defects[key]`` names an open defect that the key exposes
    (``_strategies.OPEN_DEFECTS``)."""

    name: str
    call: Callable[..., Any]
    valid: dict[str, Any]
    bad: dict[str, tuple[st.SearchStrategy[Any], tuple[str, ...]]]
    defects: dict[str, str] = field(default_factory=dict)

    def keys(self, defect: str | None = None) -> list[str]:
        """The keys fuzzed while ``defect`` is ``None``: those of no open defect; else the
        keys of that defect."""
        if defect is not None:
            return [k for k in self.bad if self.defects.get(k) == defect]
        return [k for k in self.bad if self.defects.get(k) not in OPEN_DEFECTS]


T_FRAGMENTS = ("t must", "t = ", "t (the noise variance)")


def solve(flow, rho0=R16, t_end=1e-3, dt=1e-3, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return wg.solve(flow, rho0, t_end, dt, **kwargs)


def option_entry(name: str, flow, method: str, bad: dict, rho0=R16) -> Entry:
    """The options of one method: each key is an option passed alone."""
    bad = {**bad, "bogus": (values(1, None, "x"), ("'bogus'",))}
    return Entry(name, lambda **option: solve(flow, rho0, method=method, **option), {}, bad)


SMOOTH_BACKWARD = wg.exact.heat_gaussian(wg.Grid([(-3.0, 3.0)], 32), 0.0, 0.2, 0.3)
BARENBLATT = wg.exact.barenblatt(wg.Grid([(-1.0, 1.0)], 32), 2.0, 0.05, 0.1)
LINEAR_VELOCITY = wg.flows.Continuity(lambda t, x: (-x,))
V_QUADRATIC = lambda x: x**2  # noqa: E731


ENTRIES = [
    Entry("Grid", wg.Grid, {"bounds": [(-1.0, 1.0)], "shape": 8}, {
        "bounds": (values(None, "ab", 3, [], [(0.0, 1.0)] * 4, [(1.0, 0.0)], [(0.0, 0.0)],
                          [(0.0, NAN)], [(0.0, INF)], [(-INF, 0.0)], [(0.0, 1.0, 2.0)], [[0.0]],
                          [("a", "b")], [(False, True)], [(0.0, True)], {1: 2}, [None],
                          [(None, 1.0)], [(1j, 2.0)], np.zeros((1, 2, 2))), ("bounds",)),
        "shape": (st.one_of(bad_integer(2), values([8, 8], [], [8.0], {8: 1}, {8}, "8", [NAN],
                                                   [True], np.array([8, 8]))), ("shape",)),
    }),
    Entry("Density", wg.Density, {"grid": G8, "values": np.ones(8)}, {
        "grid": (bad_grids(), ("grid",)),
        "values": (bad_arrays((8,)), ("values",)),
        "age": (bad_nonnegative(default=True), ("age",)),
    }),
    Entry("Density.from_function", wg.Density.from_function,
          {"grid": G8, "function": lambda x: 1.0 + x**2}, {
              "grid": (bad_grids(), ("grid",)),
              "function": (values(None, "x**2", 3, np.ones(8), lambda: 1.0, lambda x, y: x,
                                  lambda x: np.ones(3), lambda x: x * NAN, lambda x: -1.0 - x**2,
                                  lambda x: "a", lambda x: x * 1j, lambda x: x > 0,
                                  lambda x: [[1.0], [1.0, 2.0]], lambda x: None),
                           ("function",)),
          }),
    Entry("Density.from_samples", wg.Density.from_samples,
          {"grid": G2, "samples": [[0.1, 0.2], [-0.3, 0.1], [0.0, -0.5]], "bandwidth": 0.2}, {
              "grid": (bad_grids(), ("grid",)),
              "samples": (bad_samples(2), ("samples",)),
              "weights": (values("ab", [1.0], [1.0, -1.0, 1.0], [0.0, 0.0, 0.0], [NAN, 1.0, 1.0],
                                 [[1.0, 1.0, 1.0]], [object(), 1.0, 1.0], [1j, 1.0, 1.0],
                                 [True, True, False], 1.0), ("weights",)),
              "bandwidth": (values(-0.1, NAN, INF, True, [0.1, 0.2, 0.3], "foo", "", {}, 1j, [1j],
                                   np.array([[0.1]]), None, [0.1, -0.1], [True, True]),
                            ("bandwidth",)),
          }),
    Entry("Density.__call__", lambda points: R2(points), {"points": [[0.0, 0.0]]}, {
        "points": (values(None, "abc", object(), np.zeros((3, 3)), np.zeros(3), [[1j, 0.0]],
                          [[0.0], [0.0, 1.0]]), ("points",)),
    }),
    Entry("Density arithmetic", lambda op, other: op(R8, other),
          {"op": lambda a, b: a + b, "other": 1.0}, {
              "other": (values("a", None, R16, np.ones(8), True, [1.0], object(), 1j),
                        ("densities", "Density", "real numbers")),
              "other:sign": (values(-2.0, -INF, NAN), ("values",)),
          }),
    Entry("Density.l1_distance", lambda other: R8.l1_distance(other), {"other": R8}, {
        "other": (values(None, "rho", np.ones(8), R16, G8), ("other", "grids")),
    }),
    Entry("Density.relative_l1_error", lambda reference: R8.relative_l1_error(reference),
          {"reference": R8}, {
              "reference": (values(None, np.ones(8), R16, ZERO8, 3.0),
                            ("reference", "grids")),
          }),
    # -- wg.solve and its keywords
    Entry("solve", solve, {"flow": wg.flows.Heat(), "method": "spectral"}, {
        "flow": (values(None, "heat", wg.flows.Heat, 3, R8, wg.flows), ("flow",)),
        "rho0": (bad_densities(), ("rho0",)),
        "t_end": (bad_positive(), ("t_end",)),
        "dt": (bad_positive(), ("dt",)),
        "method": (bad_choice("euler", "JKO", "lagrangian", int,
                              wg.solvers.FiniteVolumeSolver.__init__), ("method",)),
        "method:abstract": (values(wg.solvers.Solver), ("method", "Solver")),
        "track": (values("entropy", ["renyi:x"], ["renyi:1"], ["tsallis:-1"], ["renyi:nan"],
                         ["renyi:inf"], [3], [None], ["shannon", "mass", "w3"]),
                  ("tracker",)),
        "track:types": (values(3, 2.5, object(), {"mass": 1}), ("track",)),
        "t_eval": (values([-0.01], [NAN], [0.5], [INF], [0.0005, -1.0]), ("t_eval",)),
        "t_eval:types": (values("a", object(), [[0.0005]], {"a": 1}, [None], [1j]),
                         ("t_eval",)),
        "progress": (bad_bool(), ("progress",)),
        "rtol": (values(1e-2, 0.1, INF, NAN, -1.0), ("rtol",)),
    }),
    Entry("solve maps", solve,
          {"flow": wg.flows.BackwardHeat(), "rho0": SMOOTH_BACKWARD, "method": "lagrangian"}, {
              "maps": (bad_bool(), ("maps",)),
          }),
    Entry("solve rtol", solve,
          {"flow": wg.flows.BackwardHeat(), "rho0": SMOOTH_BACKWARD, "method": "spectral"}, {
              "rtol": (bad_positive(allow_inf=True, default=True), ("rtol",)),
          }),
    option_entry("jko options", wg.flows.Heat(), "jko", {
        "gamma": (bad_positive(default=True), ("gamma",)),
        "gamma_factor": (bad_positive(default=True), ("gamma_factor",)),
        "debias": (bad_bool(), ("debias",)),
        "debias_iterations": (bad_integer(1), ("debias_iterations",)),
        "kernel": (bad_choice(), ("kernel",)),
        "sinkhorn_tol": (bad_positive(default=True), ("sinkhorn_tol",)),
        "sinkhorn_max_iter": (bad_integer(1), ("sinkhorn_max_iter",)),
        "log_domain": (bad_bool(), ("log_domain",)),
        "overrelax": (bad_bool(), ("overrelax",)),
        "time_order": (bad_choice(0, 3, "2"), ("time_order",)),
        "backend": (values("foo", 3, object(), ["numpy"]), ("backend",)),
        "device": (values("tpu", 3, "cuda:x", object()), ("device",)),
        "dtype": (values(17, 2.5, "", "nope", True, ["x"], object(), "float16", "int64"),
                  ("dtype",)),
        "smoothing": (values(0.1, 1.0), ("smoothing",)),
    }),
    option_entry("finite-volume options", wg.flows.PorousMedium(2.0), "finite-volume", {
        "cfl": (st.one_of(bad_positive(), st.floats(1.0, 1e300, exclude_min=True)), ("cfl",)),
        "max_substeps": (bad_integer(1), ("max_substeps",)),
        "order": (values(1, 2), ("order",)),
    }),
    option_entry("continuity options", LINEAR_VELOCITY, "finite-volume", {
        "order": (bad_choice(0, 3, "1", 1.5), ("order",)),
        "cfl": (bad_positive(), ("cfl",)),
    }),
    option_entry("spectral options", wg.flows.BackwardHeat(), "spectral", {
        "noise_level": (st.one_of(bad_positive(default=True), values(0.01, 0.5, 1.0)),
                        ("noise_level",)),
        "gamma": (values(0.1), ("gamma",)),
    }, rho0=SMOOTH_BACKWARD),
    option_entry("backward jko options", wg.flows.BackwardHeat(), "jko", {
        "smoothing": (bad_positive(default=True), ("smoothing",)),
        "smoothing_scale": (bad_positive(), ("smoothing_scale",)),
        "smoothing_filter": (bad_choice("local-quadratic", default=True), ("smoothing_filter",)),
        "roughness_limit": (bad_positive(), ("roughness_limit",)),
        "time_order": (values(2), ("time_order",)),
    }, rho0=SMOOTH_BACKWARD),
    option_entry("backward porous-medium options", wg.flows.BackwardPorousMedium(2.0), "jko", {
        "smoothing": (st.one_of(bad_positive(default=True), values(1e-3)), ("smoothing",)),
        "smoothing_filter": (bad_choice(default=True), ("smoothing_filter",)),
        "noise_level": (values(1e-3), ("noise_level",)),
    }, rho0=BARENBLATT),
    option_entry("lagrangian options", wg.flows.BackwardHeat(), "lagrangian", {
        "smoothing": (bad_positive(default=True), ("smoothing",)),
        "smoothing_order": (bad_integer(1), ("smoothing_order",)),
        "integrator": (bad_choice("rk9", "RK4"), ("integrator",)),
        "acc": (bad_choice(0, 3, 6, "4", 4.5), ("acc",)),
        "min_singular": (bad_positive(), ("min_singular",)),
        "scheme": (bad_choice("nearest"), ("scheme",)),
        "gamma": (values(0.1), ("gamma",)),
    }, rho0=SMOOTH_BACKWARD),
    # -- flows
    Entry("PorousMedium", wg.flows.PorousMedium, {"m": 2.0},
          {"m": (bad_exponent(), ("exponent m",))}),
    Entry("BackwardPorousMedium", wg.flows.BackwardPorousMedium, {"m": 2.0},
          {"m": (bad_exponent(), ("exponent m",))}),
    Entry("FokkerPlanck", lambda potential: solve(wg.flows.FokkerPlanck(potential), R8,
                                                  method="finite-volume"),
          {"potential": V_QUADRATIC}, {
              "potential": (values(None, "x", 3.0, object(), np.full(8, NAN), np.ones(3),
                                   np.ones(8) * 1j, lambda x: "a", lambda x: x * NAN,
                                   lambda x: np.ones(3), lambda x: x * 1j, lambda x, y: x,
                                   lambda: 1.0), ("potential",)),
          }),
    Entry("Continuity", lambda velocity: solve(wg.flows.Continuity(velocity), R8,
                                               method="finite-volume"),
          {"velocity": lambda t, x: (-x,)}, {
              "velocity": (values(None, "v", 3, object(), lambda t, x: x, lambda t, x: ("a",),
                                  lambda t, x: (x * NAN,), lambda t, x: (np.ones(3),),
                                  lambda t: (1.0,), lambda t, x: (x * 1j,), lambda t, x: 3,
                                  lambda t, x: (x, x)), ("velocity",)),
          }),
    Entry("Continuity.from_potential",
          lambda potential: solve(wg.flows.Continuity.from_potential(potential), R8,
                                  method="finite-volume"),
          {"potential": lambda t, x: -x**2 / 2}, {
              "potential": (values(None, "V", 3, object(), lambda t, x: np.ones(3),
                                   lambda t, x: "a", lambda t, x: x * NAN, lambda x: x,
                                   lambda t, x: x * 1j), ("potential",)),
          }),
    # -- functionals
    Entry("functional of a density", lambda functional, rho: functional(rho),
          {"functional": wg.functionals.ShannonEntropy(), "rho": R8}, {
              "rho": (bad_densities(), ("rho",)),
          }),
    Entry("first_variation", lambda rho: wg.functionals.RenyiEntropy(2).first_variation(rho),
          {"rho": R8}, {"rho": (bad_densities(), ("rho",))}),
    Entry("TsallisEntropy", wg.functionals.TsallisEntropy, {"a": 2.0},
          {"a": (bad_order(), ("order",))}),
    Entry("RenyiEntropy", wg.functionals.RenyiEntropy, {"a": 0.5},
          {"a": (bad_order(), ("order",))}),
    Entry("InternalEnergy", wg.functionals.InternalEnergy, {"m": 3.0},
          {"m": (bad_exponent(), ("exponent m",))}),
    Entry("PotentialEnergy", lambda potential: wg.functionals.PotentialEnergy(potential)(R8),
          {"potential": V_QUADRATIC}, {
              "potential": (values(None, "x", object(), np.ones(3), np.full(8, INF), [1j] * 8,
                                   np.ones(8, dtype=bool), lambda x: "a", lambda x, y: x),
                            ("potential",)),
          }),
    Entry("SecondMoment", lambda center: wg.functionals.SecondMoment(center)(R2),
          {"center": [0.0, 1.0]}, {
              "center": (values("ab", [NAN, 0.0], object(), [[0.0, 0.0]], [0.0], [1j, 0.0],
                                [True, False], [0.0, 0.0, 0.0]), ("center",)),
          }),
    Entry("mean", wg.functionals.mean, {"rho": R8}, {"rho": (bad_densities(), ("rho",))}),
    Entry("covariance", wg.functionals.covariance, {"rho": R8},
          {"rho": (bad_densities(), ("rho",))}),
    # -- exact solutions
    Entry("exact.heat_gaussian", wg.exact.heat_gaussian,
          {"grid": G2, "mean": [0.0, 0.1], "cov": [[0.2, 0.05], [0.05, 0.1]], "t": 0.01}, {
              "grid": (bad_grids(), ("grid",)),
              "mean": (values(None, "ab", [0.0], [0.0, NAN], [0.0, INF], True, [True, False],
                              [[0.0, 0.0]], [1j, 0.0], object()), ("mean",)),
              "cov": (values(None, "a", -1.0, 0.0, NAN, [[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0, 3.0],
                             [[1.0, 0.0], [0.0, -1.0]], True, 1j, np.ones((2, 2, 2)), object(),
                             [[NAN, 0.0], [0.0, 1.0]]), ("cov",)),
              "t": (st.one_of(bad_real(), values(-0.05, -1.0, -1e300)), T_FRAGMENTS),
          }),
    Entry("exact.heat_gaussian_mixture", wg.exact.heat_gaussian_mixture,
          {"grid": G8, "weights": [0.3, 0.7], "means": [0.0, 0.5], "covs": [0.1, 0.2], "t": 0.0},
          {
              "grid": (bad_grids(), ("grid",)),
              "weights": (values(None, "a", [], [-1.0, 1.0], [0.0, 0.0], [NAN, 1.0], [[1.0, 1.0]],
                                 [True, True], [1j, 1.0], [1.0]), ("weights",)),
              "means": (values(None, 3, "ab", [0.0], [0.0, NAN], [[0.0, 0.0], [0.0, 0.0]],
                               [0.0, "a"]), ("means",)),
              "covs": (values(None, 3, "ab", [0.1], [0.1, -0.2], [0.1, NAN], [0.1, "a"]),
                       ("covs",)),
              "t": (st.one_of(bad_real(), values(-0.05, -1.0)), T_FRAGMENTS),
          }),
    Entry("exact.kde", wg.exact.kde,
          {"grid": G8, "samples": [0.1, -0.2, 0.3], "bandwidth": 0.2, "t": 0.01}, {
              "grid": (bad_grids(), ("grid",)),
              "samples": (values(None, "abc", [], [0.1], [NAN, 0.1], [5.0, 0.1], [1j, 0.1],
                                 [[0.1, 0.2]] * 2, object()), ("samples",)),
              "bandwidth": (values(-0.1, NAN, INF, True, [0.1, 0.2], "foo", None, 1j),
                            ("bandwidth",)),
              "t": (st.one_of(bad_real(), values(-0.03, -1.0)), T_FRAGMENTS),
              "weights": (values("ab", [1.0], [1.0, -1.0, 1.0], [0.0] * 3, [NAN, 1.0, 1.0]),
                          ("weights",)),
          }),
    Entry("exact.barenblatt", wg.exact.barenblatt,
          {"grid": G2, "m": 2.0, "t": 0.1, "C": 0.1, "center": [0.1, 0.0]}, {
              "grid": (bad_grids(), ("grid",)),
              "m": (bad_exponent(), ("exponent m",)),
              "t": (bad_positive(), ("time t",)),
              "C": (bad_positive(), ("constant C",)),
              "center": (values("a", [0.0], [NAN, 0.0], True, [True, False], [1j, 0.0],
                                [[0.0, 0.0]], object()), ("center",)),
          }),
    Entry("exact.barenblatt_exponents", wg.exact.barenblatt_exponents, {"d": 2, "m": 2.0}, {
        "d": (bad_integer(1), ("dimension d",)),
        "m": (bad_exponent(), ("exponent m",)),
    }),
    Entry("exact.barenblatt_mass", wg.exact.barenblatt_mass, {"d": 2, "m": 2.0, "C": 0.1}, {
        "d": (bad_integer(1), ("dimension d",)),
        "m": (bad_exponent(), ("exponent m",)),
        "C": (bad_positive(), ("constant C",)),
    }),
    Entry("exact.barenblatt_support_radius", wg.exact.barenblatt_support_radius,
          {"d": 1, "m": 3.0, "t": 0.1, "C": 0.1}, {
              "d": (bad_integer(1), ("dimension d",)),
              "t": (bad_positive(), ("time t",)),
              "C": (bad_positive(), ("constant C",)),
          }),
    Entry("exact.barenblatt_shannon_entropy", wg.exact.barenblatt_shannon_entropy,
          {"d": 1, "m": 2.0, "t": 0.1, "C": 0.1}, {
              "m": (bad_exponent(), ("exponent m",)),
              "t": (bad_positive(), ("time t",)),
          }),
    Entry("exact.barenblatt_renyi_entropy", wg.exact.barenblatt_renyi_entropy,
          {"d": 2, "m": 2.0, "t": 0.1, "C": 0.1, "a": 2.0}, {
              "a": (bad_order(), ("order a",)),
              "C": (bad_positive(), ("constant C",)),
          }),
    Entry("exact.barenblatt_tsallis_entropy", wg.exact.barenblatt_tsallis_entropy,
          {"d": 3, "m": 1.5, "t": 0.1, "C": 0.1, "a": 2.0}, {
              "a": (bad_positive(), ("order a",)),
              "d": (bad_integer(1), ("dimension d",)),
          }),
    Entry("exact.gaussian_shannon_entropy", wg.exact.gaussian_shannon_entropy,
          {"cov": [0.2, 0.1], "d": None}, {
              "cov": (values(None, "a", -1.0, [0.2, -0.1], [[1.0, 2.0], [3.0, 4.0]], [NAN, 0.1],
                             True, 1j, object()), ("cov",)),
              "d": (st.one_of(bad_integer(1).filter(lambda d: d is not None), values(3)),
                    ("dimension d", "cov")),
          }),
    Entry("exact.gaussian_renyi_entropy", wg.exact.gaussian_renyi_entropy,
          {"cov": 0.2, "a": 2.0, "d": 2}, {
              "a": (bad_positive(), ("order a",)),
              "cov": (values(None, "a", 0.0, NAN, True), ("cov",)),
          }),
    Entry("exact.gaussian_tsallis_entropy", wg.exact.gaussian_tsallis_entropy,
          {"cov": 0.2, "a": 0.5, "d": 1}, {"a": (bad_positive(), ("order a",))}),
    # -- Gaussian closed forms
    Entry("gaussian.Gaussian", wg.gaussian.Gaussian, {"mean": [0.0, 1.0], "cov": [2.0, 1.0]}, {
        "mean": (values(None, "ab", [], [[0.0, 0.0]], [0.0, NAN], True, [True, False], [1j, 0.0],
                        object()), ("mean",)),
        "cov": (values(None, "a", -1.0, [1.0, -1.0], [1.0, 2.0, 3.0], [[1.0, 2.0], [3.0, 4.0]],
                       [[1.0, 0.0], [0.0, 0.0]], np.ones((2, 2, 2)), [NAN, 1.0], True, 1j),
                ("cov",)),
    }),
    Entry("gaussian.Gaussian.centred", wg.gaussian.Gaussian.centred, {"cov": 1.0, "dim": 2}, {
        "cov": (values(None, "a", -1.0, NAN, np.ones((2, 2, 2)), True), ("cov",)),
        "dim": (bad_integer(1).filter(lambda d: d is not None), ("dimension d",)),
    }),
    Entry("Gaussian.sample", lambda n, rng: GAUSS2.sample(n, rng), {"n": 3, "rng": 0}, {
        "n": (bad_integer(0), ("n must",)),
        "rng": (values("a", 2.5, -1, True, object(), [1, "a"]), ("rng",)),
    }),
    Entry("Gaussian.heat_flow", lambda t: GAUSS2.heat_flow(t), {"t": 0.1}, {
        "t": (st.one_of(bad_real(), values(-0.4, -10.0)), T_FRAGMENTS),
    }),
    Entry("Gaussian entropies", lambda method, a: getattr(GAUSS2, method)(a),
          {"method": "renyi_entropy", "a": 2.0}, {"a": (bad_positive(), ("order a",))}),
    Entry("Gaussian.logpdf", lambda points: GAUSS2.logpdf(points), {"points": [[0.0, 1.0]]},
          {"points": (bad_points(2), ("points",))}),
    Entry("gaussian.bures_distance", wg.gaussian.bures_distance, {"g0": GAUSS2, "g1": GAUSS2}, {
        "g0": (values(None, 3, "g", R8, [0.0, 1.0]), ("g0",)),
        "g1": (values(None, 3, "g", GAUSS1), ("g1", "dimension")),
    }),
    Entry("gaussian.singular_time", wg.gaussian.singular_time, {"cov": [[2.0, 0.5], [0.5, 1.0]]},
          {"cov": (values(None, "a", -1.0, [[1.0, 2.0], [3.0, 4.0]], True, 1j), ("cov",))}),
    Entry("gaussian.continuous_dae_map", wg.gaussian.continuous_dae_map,
          {"g": GAUSS2, "t": 0.1, "points": [[0.0, 1.0]]}, {
              "g": (values(None, 3, R8, "g"), ("g must",)),
              "t": (st.one_of(bad_nonnegative(), values(0.4, 1.0, 1e300)), T_FRAGMENTS),
              "points": (bad_points(2), ("points",)),
          }),
    Entry("gaussian DAE maps", lambda function, g, t, points: function(g, t, points),
          {"function": wg.gaussian.dae_map, "g": GAUSS2, "t": 0.1, "points": [[0.0, 1.0]]}, {
              "t": (bad_nonnegative(), T_FRAGMENTS),
              "points": (bad_points(2), ("points",)),
              "g": (values(None, GAUSS2.cov), ("g must",)),
          }),
    Entry("gaussian.dae_potential", wg.gaussian.dae_potential,
          {"g": GAUSS2, "t": 0.2, "points": [[0.0, 1.0]]}, {
              "t": (bad_nonnegative(), T_FRAGMENTS),
              "points": (bad_points(2), ("points",)),
          }),
    Entry("gaussian.dae_velocity", wg.gaussian.dae_velocity,
          {"g": GAUSS2, "t": 0.2, "points": [[0.0, 1.0]]}, {
              "t": (bad_nonnegative(), T_FRAGMENTS),
              "points": (bad_points(2), ("points",)),
          }),
    Entry("gaussian.score", wg.gaussian.score, {"g": GAUSS2, "points": [[0.0, 1.0]]}, {
        "g": (values(None, "g", 3), ("g must",)),
        "points": (bad_points(2), ("points",)),
    }),
    Entry("gaussian pushforwards", lambda function, g, t: function(g, t),
          {"function": wg.gaussian.continuous_dae_pushforward, "g": GAUSS2, "t": 0.1}, {
              "t": (st.one_of(bad_nonnegative(), values(0.4, 2.0)), T_FRAGMENTS),
              "g": (values(None, 1.0, R8), ("g must",)),
          }),
    Entry("gaussian.dae_pushforward", wg.gaussian.dae_pushforward, {"g": GAUSS1, "t": 0.3},
          {"t": (bad_nonnegative(), T_FRAGMENTS)}),
    Entry("gaussian.composition_pushforwards", wg.gaussian.composition_pushforwards,
          {"g": GAUSS2, "taus": [0.1, 0.1]}, {
              "taus": (values(None, "ab", [[0.1]], [-0.1], [0.0], [NAN], [INF], [True], [1j],
                              object()), ("taus",)),
              "g": (values(None, "g"), ("g must",)),
          }),
    Entry("gaussian.composition_map", wg.gaussian.composition_map,
          {"g": GAUSS2, "taus": [0.1], "points": [[0.0, 1.0]]}, {
              "taus": (values("ab", [[0.1]], [-0.1], [NAN]), ("taus",)),
              "points": (bad_points(2), ("points",)),
          }),
    Entry("gaussian.trajectories", wg.gaussian.trajectories,
          {"g": GAUSS2, "t_grid": [0.0, 0.1], "points": [[0.0, 1.0]], "kind": "composition",
           "tau": 0.05}, {
              "t_grid": (values(None, "a", [], [-0.1], [NAN], [[0.1]], [1j], [True], object()),
                         ("t_grid",)),
              "points": (bad_points(2), ("points",)),
              "kind": (bad_choice("Continuous", "ode"), ("kind",)),
              "tau": (bad_positive(), ("tau",)),
          }),
    Entry("gaussian.trajectories continuous", wg.gaussian.trajectories,
          {"g": GAUSS2, "t_grid": [0.0, 0.1], "points": [[0.0, 1.0]]}, {
              "t_grid": (values([0.4], [10.0], [0.1, 1.0]), ("t_grid",)),
              "tau": (values(0.1, 1.0), ("tau",)),
          }),
    Entry("gaussian.sigma_trajectory", wg.gaussian.sigma_trajectory,
          {"sigmas": [1.0, 0.5], "t_grid": [0.0, 0.1]}, {
              "sigmas": (values(None, "a", [], [0.0, 1.0], [-1.0], [NAN], [[1.0]], [True], [1j],
                                GAUSS2), ("sigmas", "diagonal")),
              "t_grid": (values([-0.1], [0.2], "a", [[0.1]]), ("t_grid",)),
          }),
    Entry("gaussian.entropy_of_sigmas", wg.gaussian.entropy_of_sigmas, {"sigmas": [1.0, 0.5]}, {
        "sigmas": (values(None, "a", [], np.zeros((3, 0)), [-1.0], [NAN, 1.0], [True], [1j],
                          object()), ("sigmas",)),
    }),
    # -- DAEs on grids
    Entry("dae.dae_map", wg.dae.dae_map,
          {"rho": R8, "t": 0.1, "noise": "gaussian", "quadrature": "auto"}, {
              "rho": (bad_densities(), ("rho",)),
              "t": (bad_positive(), T_FRAGMENTS),
              "noise": (values(None, 3, "foo", object(), np.ones(3), True, ["gaussian"]),
                        ("noise",)),
              "quadrature": (bad_choice("simpson"), ("quadrature",)),
          }),
    Entry("dae.dae_posterior", wg.dae.dae_posterior, {"rho": R2, "t": 0.1}, {
        "rho": (bad_densities(), ("rho",)),
        "t": (bad_positive(), T_FRAGMENTS),
    }),
    Entry("dae.dae_velocity", wg.dae.dae_velocity, {"rho": R8, "t": 0.1, "noise": "laplace"}, {
        "t": (bad_positive(), T_FRAGMENTS),
        "noise": (values("nope", 3), ("noise",)),
    }),
    Entry("dae.score", wg.dae.score, {"rho": R8, "acc": 4}, {
        "rho": (bad_densities(), ("rho",)),
        "acc": (st.one_of(bad_integer(2), values(3, 5)), ("acc",)),
    }),
    Entry("dae.laplacian", wg.dae.laplacian, {"rho": R2, "acc": 2}, {
        "rho": (bad_densities(), ("rho",)),
        "acc": (st.one_of(bad_integer(2), values(7)), ("acc",)),
    }),
    Entry("dae.initial_velocity", wg.dae.initial_velocity,
          {"rho": R8, "t": 0.05, "noise": "gaussian", "quadrature": "auto", "scheme": "auto"}, {
              "t": (bad_positive(), T_FRAGMENTS),
              "scheme": (bad_choice("nearest"), ("scheme",)),
              "rho": (bad_densities(), ("rho",)),
          }),
    Entry("dae.map_l2_distance", wg.dae.map_l2_distance,
          {"rho": R8, "map_a": wg.dae.identity_map(G8), "map_b": None}, {
              "rho": (bad_densities(), ("rho",)),
              "map_a": (bad_arrays((1, 8), negative=False), ("map_a",)),
              "map_b": (st.one_of(bad_arrays((1, 8), negative=False, default=True),
                                  values(wg.dae.identity_map(G16))), ("map_b",)),
          }),
    Entry("dae.interpolate_map", wg.dae.interpolate_map,
          {"grid": G2, "map_values": wg.dae.identity_map(G2), "points": [[0.0, 0.1]]}, {
              "grid": (bad_grids(), ("grid",)),
              "map_values": (bad_arrays((2, 8, 6), negative=False), ("map_values",)),
              "points": (bad_points(2), ("points",)),
          }),
    Entry("dae.identity_map", wg.dae.identity_map, {"grid": G8},
          {"grid": (bad_grids(), ("grid",))}),
    Entry("dae.map_jacobian", wg.dae.map_jacobian,
          {"grid": G8, "map_values": wg.dae.identity_map(G8), "acc": 4}, {
              "grid": (bad_grids(), ("grid",)),
              "map_values": (bad_arrays((1, 8), negative=False), ("map_values",)),
              "acc": (st.one_of(bad_integer(2), values(3)), ("acc",)),
          }),
    Entry("dae.pushforward", wg.dae.pushforward,
          {"rho": R8, "map_values": wg.dae.identity_map(G8) * 0.9, "scheme": "auto",
           "mass_tol": 1e-3}, {
              "rho": (bad_densities(), ("rho",)),
              "map_values": (bad_arrays((1, 8), negative=False), ("map_values",)),
              "scheme": (bad_choice("nearest"), ("scheme",)),
              "mass_tol": (bad_positive(), ("mass_tol",)),
          }),
    Entry("dae.pushforward_with_info", wg.dae.pushforward_with_info,
          {"rho": R2, "map_values": wg.dae.identity_map(G2), "scheme": "m4"}, {
              "map_values": (bad_arrays((2, 8, 6), negative=False), ("map_values",)),
              "scheme": (bad_choice(), ("scheme",)),
          }),
    Entry("dae.single", wg.dae.single, {"rho0": R8, "times": [0.05, 0.1]}, {
        "rho0": (bad_densities(), ("rho0",)),
        "times": (values(None, "abc", [], [-0.1], [0.0], [NAN], [[0.1]], {}, [object()], [True],
                         [1j]), ("times",)),
        "noise": (values("nope", 3), ("noise",)),
        "track": (values("entropy", 3, ["renyi:x"], [None]), ("track", "tracker")),
    }),
    Entry("dae.compose", wg.dae.compose, {"rho0": R8, "taus": [0.05, 0.05]}, {
        "rho0": (bad_densities(), ("rho0",)),
        "taus": (values(None, "abc", [], [-0.1], [INF], [[0.1]], {}, [True]), ("taus",)),
        "scheme": (bad_choice(), ("scheme",)),
        "mass_tol": (bad_positive(), ("mass_tol",)),
        "quadrature": (bad_choice(), ("quadrature",)),
        "track": (values("entropy", 3, [None]), ("track", "tracker")),
    }),
    Entry("dae.continuous", wg.dae.continuous,
          {"rho0": SMOOTH_BACKWARD, "t_end": 1e-3, "dt": 1e-3}, {
              "rho0": (bad_densities(), ("rho0",)),
              "t_end": (bad_positive(), ("t_end",)),
              "dt": (bad_positive(), ("dt",)),
              "integrator": (bad_choice(), ("integrator",)),
              "noise_level": (values(1e-3), ("noise_level",)),
          }),
    Entry("dae.track", wg.dae.track, {"densities": [R8, R8], "names": ["mass"]}, {
        "densities": (values(3, None, "abc", [], [R8, R16], [R8, "a"], [R8, ZERO8], {}),
                      ("densities", "grids")),
        "names": (values(3, None, ["entropy"], [3], "foo", object()), ("names", "tracker")),
        "times": (values("a", [1.0], [[0.0, 1.0]], [1j, 0.0], [True, False], object()),
                  ("times",)),
    }),
    Entry("dae.sample_density", wg.dae.sample_density, {"rho": R2, "n": 5, "rng": 1}, {
        "rho": (bad_densities(), ("rho",)),
        "n": (bad_integer(1), ("n must",)),
        "rng": (values("a", 2.5, object(), [1, "a"]), ("rng",)),
    }),
    Entry("dae.fit_dae", wg.dae.fit_dae,
          {"samples": np.linspace(-1.0, 1.0, 12)[:, None], "t": 0.1, "model": "krr", "rng": 0}, {
              "samples": (values(None, "abc", [], np.zeros((0, 1)), [[NAN], [0.0]], [[INF]] * 2,
                                 np.zeros((2, 2, 1)), [[1j]] * 2, np.ones((3, 1), dtype=bool),
                                 object(), [["a"]] * 2, np.zeros((4, 4))), ("samples",)),
              "t": (bad_positive(), T_FRAGMENTS),
              "model": (bad_choice("svm"), ("model",)),
              "n_noise": (bad_integer(1).filter(lambda n: n is not None), ("n_noise",)),
              "rng": (values("a", 2.5, object()), ("rng",)),
          }),
    # -- trackers
    Entry("trackers.make_trackers", wg.trackers.make_trackers,
          {"names": ["shannon", "w2"], "initial": R8}, {
              "names": (values(["entropy"], ["renyi:0"], [3], "tsallis:x"), ("tracker",)),
              "names:types": (values(3, object(), 2.5), ("names", "track")),
              "initial": (bad_densities(), ("initial",)),
          }),
    Entry("trackers.functional_from_name", wg.trackers.functional_from_name, {"name": "renyi:2"}, {
        "name": (values("entropy", "renyi", "renyi:", "renyi:1", "tsallis:-2", "shannon:2"),
                 ("name", "order")),
        "name:types": (values(3, None, ["shannon"], object()), ("name",)),
    }),
    Entry("trackers.largest_increase", wg.trackers.largest_increase, {"values": [3.0, 2.0, 2.5]}, {
        "values": (values("abc", [[1.0, 2.0], [3.0, 4.0]], None, [1j, 2.0], object()),
                   ("values",)),
    }),
]


def check_refused(entry: Entry, key: str, value: Any) -> None:
    """``entry`` called with ``value`` for the argument of ``key`` raises a WgflowError whose
    message names the argument (one of the key's fragments)."""
    _, fragments = entry.bad[key]
    argument = key.split(":")[0]
    kwargs = {**entry.valid, argument: value}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            entry.call(**kwargs)
    except WgflowError as error:
        message = str(error)
        assert any(fragment in message for fragment in fragments), (
            f"{entry.name}({argument}={value!r}): the message {message!r} names none of "
            f"{fragments}"
        )
    else:
        pytest.fail(f"{entry.name}({argument}={value!r}) was accepted")


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_the_valid_call_of_every_entry_point_succeeds(entry):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        entry.call(**entry.valid)


FUZZED = [entry for entry in ENTRIES if entry.keys()]


@pytest.mark.parametrize("entry", FUZZED, ids=[entry.name for entry in FUZZED])
@settings(max_examples=examples(25))
@given(data=st.data())
def test_bad_input_raises_a_wgflow_error_naming_the_argument(entry, data):
    key = data.draw(st.sampled_from(entry.keys()), label="argument")
    check_refused(entry, key, data.draw(entry.bad[key][0], label="value"))


# -- regressions: the bad inputs the fuzzing found (each escaped as another exception or was
# accepted before the fix) ---------------------------------------------------------------------

FIXED = {
    "Grid bounds of booleans": (lambda: wg.Grid([(False, True)], 4), "bounds"),
    "Grid shape as a dict": (lambda: wg.Grid([(0.0, 1.0)], {4: 1}), "shape"),
    "Density values as a string": (lambda: wg.Density(G8, "abc"), "values"),
    "Density values of objects": (lambda: wg.Density(G8, [object()] * 8), "values"),
    "Density values ragged": (lambda: wg.Density(G8, [[1.0], [1.0, 2.0]]), "values"),
    "Density values complex": (lambda: wg.Density(G8, np.ones(8) * 1j), "values"),
    "Density values boolean": (lambda: wg.Density(G8, np.ones(8, dtype=bool)), "values"),
    "from_function not callable": (lambda: wg.Density.from_function(G8, np.ones(8)), "function"),
    "from_function of two arguments on a 1-D grid":
        (lambda: wg.Density.from_function(G8, lambda x, y: x), "function"),
    "from_function returning a string": (lambda: wg.Density.from_function(G8, lambda x: "a"),
                                         "function"),
    "from_function returning complex values":
        (lambda: wg.Density.from_function(G8, lambda x: x * 1j), "function"),
    "from_function returning NaN": (lambda: wg.Density.from_function(G8, lambda x: x * NAN),
                                    "function"),
    "from_function on no grid": (lambda: wg.Density.from_function(None, lambda x: x), "grid"),
    "from_samples weights as a string":
        (lambda: wg.Density.from_samples(G8, [0.1, 0.2], weights="ab"), "weights"),
    "from_samples weights of objects":
        (lambda: wg.Density.from_samples(G8, [0.1, 0.2], weights=[object(), 1.0]), "weights"),
    "density times True": (lambda: R8 * True, "real numbers"),
    "l1_distance to an array": (lambda: R8.l1_distance(np.ones(8)), "other"),
    "relative_l1_error to a number": (lambda: R8.relative_l1_error(3), "reference"),
    "density at string points": (lambda: R8("a"), "points"),
    "time_order as an array": (lambda: solve(wg.flows.Heat(), time_order=np.array([1, 2])),
                               "time_order"),
    "order as an array": (lambda: solve(LINEAR_VELOCITY, R8, method="finite-volume",
                                        order=np.array([1, 2])), "order"),
    "complex velocity": (lambda: solve(wg.flows.Continuity(lambda t, x: (x * 1j,)), R8,
                                       method="finite-volume"), "velocity"),
    "velocity of one argument": (lambda: solve(wg.flows.Continuity(lambda t: (1.0,)), R8,
                                               method="finite-volume"), "velocity"),
    "NaN velocity of a potential": (
        lambda: solve(wg.flows.Continuity.from_potential(lambda t, x: x * NAN), R8,
                      method="finite-volume"), "potential"),
    "potential returning a string": (lambda: solve(wg.flows.FokkerPlanck(lambda x: "a"), R8,
                                                   method="finite-volume"), "potential"),
    "mean of an array": (lambda: wg.functionals.mean(np.ones(3)), "rho"),
    "covariance of None": (lambda: wg.functionals.covariance(None), "rho"),
    "mean of zero mass": (lambda: wg.functionals.mean(ZERO8), "rho"),
    "potential as a string": (lambda: wg.functionals.PotentialEnergy("x"), "potential"),
    "potential as an object": (lambda: wg.functionals.PotentialEnergy(object()), "potential"),
    "potential of two arguments on a 1-D grid":
        (lambda: wg.functionals.PotentialEnergy(lambda x, y: x)(R8), "potential"),
    "second moment about a string": (lambda: wg.functionals.SecondMoment("ab"), "center"),
    "second moment about NaN": (lambda: wg.functionals.SecondMoment([NAN])(R8), "center"),
    "mixture means None":
        (lambda: wg.exact.heat_gaussian_mixture(G8, [1.0], None, [0.1], 0.0), "means"),
    "mixture covs 3": (lambda: wg.exact.heat_gaussian_mixture(G8, [1.0], [0.0], 3, 0.0), "covs"),
    "Gaussian mean True": (lambda: wg.exact.heat_gaussian(G8, True, 0.1, 0.0), "mean"),
    "Gaussian cov True": (lambda: wg.exact.heat_gaussian(G8, 0.0, True, 0.0), "cov"),
    "sample with a string seed": (lambda: GAUSS1.sample(3, rng="a"), "rng"),
    "entropy of no sigmas": (lambda: wg.gaussian.entropy_of_sigmas([]), "sigmas"),
    "identity map of None": (lambda: wg.dae.identity_map(None), "grid"),
    "map_jacobian on None": (lambda: wg.dae.map_jacobian(None, np.zeros((1, 8))), "grid"),
    "interpolate_map on None":
        (lambda: wg.dae.interpolate_map(None, np.zeros((1, 8)), [0.1]), "grid"),
    "complex map": (lambda: wg.dae.pushforward(R8, wg.dae.identity_map(G8) * 1j), "map_values"),
    "track of a number": (lambda: wg.dae.track(3, ["mass"]), "densities"),
    "track at string times": (lambda: wg.dae.track([R8], ["mass"], times="a"), "times"),
    "track of names 3": (lambda: wg.dae.track([R8], 3), "names"),
    "single DAEs at object times": (lambda: wg.dae.single(R8, [object()]), "times"),
    "composition of a dict": (lambda: wg.dae.compose(R8, {}), "taus"),
    "composition tracking 3": (lambda: wg.dae.compose(R8, [0.05], track=3), "names"),
}


@pytest.mark.parametrize("case", sorted(FIXED))
def test_bad_inputs_the_fuzzing_found_are_refused_naming_the_argument(case):
    call, fragment = FIXED[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        with pytest.raises(WgflowError, match=fragment):
            call()


# -- SolveResult.load: bad files -------------------------------------------------------------------


def _bad_result_files(tmp_path):
    """Paths that are not wgflow result files, with what each is."""
    good = solve(wg.flows.Heat(), R8, method="spectral", track=["mass"]).save(tmp_path / "r.npz")
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    plain = tmp_path / "plain.npy"
    np.save(plain, np.ones(3))
    no_meta = tmp_path / "no_meta.npz"
    np.savez(no_meta, times=np.zeros(1))
    bad_meta = tmp_path / "bad_meta.npz"
    np.savez(bad_meta, times=np.zeros(1), values=np.ones((1, 8)), meta=np.array("{not json"))
    wrong_shape = tmp_path / "wrong_shape.npz"
    meta = {"bounds": [[-1.0, 1.0]], "shape": [8], "success": True, "message": "", "flow": "heat",
            "method": "spectral", "settings": {}, "statistics": {}, "tracked": []}
    np.savez(wrong_shape, times=np.zeros(1), values=np.ones((1, 5)),
             meta=np.array(json.dumps(meta)))
    negative = tmp_path / "negative.npz"
    np.savez(negative, times=np.zeros(1), values=-np.ones((1, 8)),
             meta=np.array(json.dumps(meta)))
    return {"missing": tmp_path / "missing.npz", "directory": tmp_path, "text": text,
            "truncated": truncated, "npy": plain, "no meta": no_meta, "bad meta": bad_meta,
            "wrong shape": wrong_shape, "negative values": negative}


@pytest.mark.parametrize("kind", ["missing", "directory", "text", "truncated", "npy", "no meta",
                                  "bad meta", "wrong shape", "negative values"])
def test_loading_what_is_not_a_result_file_names_the_file(tmp_path, kind):
    path = _bad_result_files(tmp_path)[kind]
    with pytest.raises(WgflowError) as info:
        wg.SolveResult.load(path)
    assert str(path) in str(info.value)


# -- defects found, not fixed yet (``_strategies.OPEN_DEFECTS``) --------------------------------

#: Open defects of the fuzz tests, name: what goes wrong (none open now).
FUZZ_DEFECTS: dict[str, str] = {}


def defect_cases(defect: str) -> list[tuple[Entry, str]]:
    return [(entry, key) for entry in ENTRIES for key in entry.keys(defect)]


@pytest.mark.parametrize("defect", sorted(FUZZ_DEFECTS))
def test_every_open_fuzz_defect_is_listed(defect):
    """Each defect of the fuzz tests is open (``OPEN_DEFECTS``) and has cases to fuzz."""
    assert defect in OPEN_DEFECTS and defect_cases(defect)


@pytest.mark.parametrize("defect", [
    pytest.param(defect, marks=pytest.mark.xfail(strict=True, reason=reason))
    for defect, reason in sorted(FUZZ_DEFECTS.items())
])
@settings(max_examples=examples(25), phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_bad_input_of_an_open_defect(defect, data):
    entry, key = data.draw(st.sampled_from(defect_cases(defect)), label="case")
    check_refused(entry, key, data.draw(entry.bad[key][0], label="value"))


@pytest.mark.parametrize("path", [None, 3, 2.5, object()])
def test_loading_from_what_is_not_a_path_names_it(path):
    with pytest.raises(WgflowError, match="result file|path"):
        wg.SolveResult.load(path)
