"""Tests of wgflow.flows.forward: the heat, porous-medium and Fokker--Planck flows, their
energies against closed forms, the solvers that run them, the exact spectral scheme of the
heat flow and their bad input.

Tolerances.  On the grid Gaussians of ``conftest.py`` cell sums of ``rho log rho`` and of
polynomials times ``rho`` equal the integrals over R^d to round-off (exponentially accurate
midpoint rule, tails below 1e-14), so energies match the closed forms to 1e-13.  The
Barenblatt profiles used here are polynomials on their support ``[-R, R]`` with ``R`` on a
cell face, for which the midpoint rule has an exact, terminating error series (below).  The
cosine series of the spectral solver is exact in time, so a single cosine mode decays as
the exact solution does up to the round-off of the transforms.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
from _helpers import raises_naming
from numpy.polynomial import Polynomial
from scipy.special import bernoulli, factorial

import wgflow as wg
from wgflow.flows import FokkerPlanck, Heat, PorousMedium

EPS = np.finfo(float).eps


def quadratic_potential(center):
    """``V(x) = |x - center|^2 / 2`` as a function of the coordinate arrays."""
    return lambda *xs: 0.5 * sum((x - c) ** 2 for x, c in zip(xs, center))


@pytest.mark.parametrize("fixture", ["gaussian_1d", "gaussian_2d", "gaussian_3d"])
def test_heat_and_fokker_planck_energies_of_gaussians(fixture, request):
    """Heat: ``-H`` with ``H = d/2 (1 + log 2 pi) + log det S / 2`` the Shannon entropy of
    ``N(m, S)``.  Fokker--Planck with ``V = |x - c|^2 / 2``: ``-H + ∫ V rho`` and
    ``∫ V rho = (tr S + |m - c|^2) / 2``; the potential given as a function or as its array
    on the grid is the same energy."""
    rho, law = request.getfixturevalue(fixture)
    shannon = law.shannon_entropy()
    assert Heat().energy(rho) == pytest.approx(-shannon, rel=1e-13)
    center = np.linspace(0.3, -0.2, law.dim)
    potential = 0.5 * (np.trace(law.cov) + np.sum((law.mean - center) ** 2))
    V = quadratic_potential(center)
    for flow in (FokkerPlanck(V), FokkerPlanck(V(*rho.grid.coordinates))):
        assert flow.energy(rho) == pytest.approx(-shannon + potential, rel=1e-13)


def midpoint_sum_of_polynomial(f: Polynomial, a: float, b: float, h: float) -> float:
    """The cell-centre sum ``h sum_i f(a + (i + 1/2) h)`` of a polynomial over ``[a, b]``
    (``(b - a) / h`` cells): its integral (by adaptive quadrature) plus the Euler--Maclaurin
    series of the midpoint rule, ``sum_j B_2j(1/2) h^2j / (2j)! [f^(2j-1)]_a^b`` with
    ``B_2j(1/2) = (2^(1-2j) - 1) B_2j``, which terminates for a polynomial."""
    integral, _ = scipy.integrate.quad(f, a, b, epsabs=0.0, epsrel=1e-13)
    terms = f.degree() // 2 + 1
    numbers = bernoulli(2 * terms)
    for j in range(1, terms + 1):
        derivative = f.deriv(2 * j - 1)
        weight = (2.0 ** (1 - 2 * j) - 1.0) * numbers[2 * j] / factorial(2 * j)
        integral += weight * h ** (2 * j) * (derivative(b) - derivative(a))
    return float(integral)


@pytest.mark.parametrize("m", [2.0, 1.5, 4.0 / 3.0])
def test_porous_medium_energy_of_a_barenblatt_profile(m):
    """``∫ rho^m / (m - 1)`` of the 1-D Barenblatt profile ``rho = t^-alpha (C - kappa
    x^2)_+^(1/(m-1))``, ``kappa = k t^(-2 alpha)``: for ``m / (m - 1)`` an integer (2, 3, 4)
    the integrand is a polynomial on the support ``[-R, R]`` and 0 outside.  The grid puts
    ``R`` on a cell face, so the energy (a cell sum) equals :func:`midpoint_sum_of_polynomial`
    to round-off; the Euler--Maclaurin correction itself is 2e-8 to 2e-6 relative here, far
    above the tolerance."""
    t, C = 0.7, 1.3
    alpha = 1.0 / (m + 1.0)  # d = 1
    kappa = alpha * (m - 1.0) / (2.0 * m) * t ** (-2.0 * alpha)
    R = np.sqrt(C / kappa)
    assert R == pytest.approx(wg.exact.barenblatt_support_radius(1, m, t, C), rel=1e-14)
    grid = wg.Grid([(-2.0 * R, 2.0 * R)], 64)  # h = R / 16: R is the face 48
    rho = wg.exact.barenblatt(grid, m, t, C)
    power = round(m / (m - 1.0))
    integrand = t ** (-alpha * m) / (m - 1.0) * Polynomial([C, 0.0, -kappa]) ** power
    expected = midpoint_sum_of_polynomial(integrand, -R, R, grid.spacing[0])
    assert PorousMedium(m).energy(rho) == pytest.approx(expected, rel=1e-14)
    quadrature, _ = scipy.integrate.quad(integrand, -R, R)
    assert abs(expected - quadrature) > 1e-8 * quadrature  # the correction is resolved


def test_methods_and_descriptions():
    V = quadratic_potential([0.0])
    assert Heat().methods == ("jko", "finite-volume", "spectral")
    assert PorousMedium(2.0).methods == ("jko", "finite-volume")
    assert FokkerPlanck(V).methods == ("jko", "finite-volume")
    assert (Heat().name, PorousMedium(3).name, FokkerPlanck(V).name) == (
        "heat", "porous-medium", "fokker-planck"
    )
    assert PorousMedium(2.5).equation == "d_t rho = Lap rho^2.5"
    assert repr(PorousMedium(3)) == "PorousMedium(m=3)"
    assert PorousMedium(3).m == 3.0 and isinstance(PorousMedium(3).m, float)


@pytest.mark.parametrize("modes", [(3,), (2, 5)])
def test_the_spectral_heat_scheme_decays_a_cosine_mode_exactly(modes):
    """``1 + cos-mode / 2`` with the mode ``prod_i cos(pi k_i (x_i - a_i) / L_i)``, an
    eigenfunction of the Laplacian with no-flux walls on the cell centres (the type-II DCT
    holds it in one coefficient): the heat flow multiplies it by ``exp(-|k|^2 t)``,
    ``|k|^2 = sum_i (pi k_i / L_i)^2``, and keeps the constant.  Exact in time, so only the
    round-off of the transforms remains (1e-14 on values of size 1)."""
    bounds = [(-1.0, 2.0), (0.0, 1.5)][: len(modes)]
    grid = wg.Grid(bounds, (24, 20)[: len(modes)])
    waves = [np.pi * k / (b - a) for k, (a, b) in zip(modes, bounds)]
    mode = np.prod([np.cos(w * (x - a)) for w, (a, _), x in zip(waves, bounds, grid.coordinates)],
                   axis=0)
    rho0 = wg.Density(grid, 1.0 + 0.5 * mode)
    # at t = 0.05 the mode has decayed to exp(-|k|^2 t) = 0.61 (k = 3 on L = 3: |k| = pi) and
    # 0.0033 (k = (2, 5) on (3, 1.5)): a wrong rate would show far above round-off
    result = wg.solve(Heat(), rho0, t_end=0.05, dt=0.01, method="spectral")
    assert result.success, result.message
    k2 = sum(w**2 for w in waves)
    for t, rho in zip(result.times, result.densities):
        exact = 1.0 + 0.5 * np.exp(-k2 * t) * mode
        np.testing.assert_allclose(rho.values, exact, rtol=0, atol=1e-14)
    assert max(result.statistics["clipped_mass"]) == 0.0  # nothing negative to remove


def _flows():
    return [Heat(), PorousMedium(2.0), FokkerPlanck(quadratic_potential([0.1]))]


@pytest.mark.parametrize("flow", _flows(), ids=lambda flow: flow.name)
def test_options_are_rejected_naming_the_option_and_the_method(flow, small_gaussian_1d):
    """The forward flows take no options of their own with any method; the error names the
    flow, the option and the method."""
    rho, _ = small_gaussian_1d
    for method in flow.methods:
        with raises_naming(f"the {flow.name} flow", "'bogus'", f"method {method!r}"):
            wg.solve(flow, rho, t_end=0.01, dt=0.01, method=method, bogus=1)


@pytest.mark.parametrize("m", [1.0, 0.5, 0.0, -2.0, float("nan"), float("inf"), True, "2"])
def test_porous_medium_exponents_at_most_one_are_rejected_naming_m(m):
    """``m = 1`` is the heat flow, ``m < 1`` fast diffusion: neither is this flow; non-finite
    and non-real exponents are refused as well."""
    with raises_naming("porous-medium exponent m", "> 1", f"got {m!r}"):
        PorousMedium(m)
