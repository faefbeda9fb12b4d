"""Tests of wgflow.functionals.entropies: Shannon ``H = -∫ rho log rho``, Tsallis
``S_a = ∫ (rho - rho^a)/(a - 1)`` and Rényi ``R_a = log(∫ rho^a)/(1 - a)``.

Values are cell-centre (midpoint) sums.  On the grid Gaussians of ``conftest.py`` they equal
the integrals to round-off (the midpoint rule is exponentially accurate there), so the
closed forms must be matched to the round-off of a sum of up to 4e5 terms (1e-10).
First variations and KL-proximal maps are checked by the helpers of ``_helpers.py`` (their
tolerances are explained there).
"""

from __future__ import annotations

import numpy as np
import pytest

from _helpers import (
    PROX_GRID,
    assert_first_variation,
    check_prox,
    gaussian_entropies,
    prox_masses,
    raises_naming,
)
from wgflow import Density, Grid
from wgflow.functionals import RenyiEntropy, ShannonEntropy, TsallisEntropy

# -- values against closed forms ------------------------------------------------------------


@pytest.mark.parametrize("a", [0.5, 2.0, 3.0])
def test_gaussian_entropies_1d_2d_3d(gaussian_1d, gaussian_2d, gaussian_3d, a):
    for rho, law in (gaussian_1d, gaussian_2d, gaussian_3d):
        shannon, renyi, tsallis = gaussian_entropies(law.cov, a)
        assert ShannonEntropy()(rho) == pytest.approx(shannon, abs=1e-11)
        assert RenyiEntropy(a)(rho) == pytest.approx(renyi, abs=1e-10)
        assert TsallisEntropy(a)(rho) == pytest.approx(tsallis, abs=1e-11)


def test_uniform_density_entropies_are_exact():
    # uniform on a box of volume |B|: H = R_a = log|B|, S_a = (1 - |B|^(1-a)) / (a - 1)
    grid = Grid([(0.0, 2.0), (-1.0, 2.0)], (5, 7))
    volume = 6.0
    rho = Density(grid, np.full(grid.shape, 1.0 / volume))
    assert ShannonEntropy()(rho) == pytest.approx(np.log(volume), rel=1e-14)
    for a in (0.5, 2.0, 3.5):
        assert RenyiEntropy(a)(rho) == pytest.approx(np.log(volume), rel=1e-13)
        expected = (1.0 - volume ** (1.0 - a)) / (a - 1.0)
        assert TsallisEntropy(a)(rho) == pytest.approx(expected, rel=1e-13)
    # uniform on half the box (zeros elsewhere: 0 log 0 = 0)
    values = np.zeros(grid.shape)
    values[:, :3] = 1.0
    half = Density(grid, values).normalized()
    support = 2.0 * 3.0 * 3.0 / 7.0
    assert ShannonEntropy()(half) == pytest.approx(np.log(support), rel=1e-13)
    assert RenyiEntropy(2.0)(half) == pytest.approx(np.log(support), rel=1e-13)
    assert TsallisEntropy(0.5)(half) == pytest.approx((1.0 - support**0.5) / -0.5, rel=1e-13)


def test_tsallis_and_renyi_tend_to_shannon_at_first_order(gaussian_2d):
    # Expanding rho^a = rho exp((a-1) L), L = log rho:
    #   S_a - H = -(a - 1)/2 ∫ rho L^2 + O((a-1)^2),
    #   R_a - H = -(a - 1)/2 Var_rho(L) + O((a-1)^2);
    # for a d-dim Gaussian Var(L) = d/2 and ∫ rho L^2 = H^2 + d/2.
    rho, _ = gaussian_2d
    d = 2
    H = ShannonEntropy()(rho)
    deltas = np.array([1e-2, 1e-3, 1e-4])
    for sign in (+1.0, -1.0):
        s_err = np.array([TsallisEntropy(1 + sign * e)(rho) - H for e in deltas])
        r_err = np.array([RenyiEntropy(1 + sign * e)(rho) - H for e in deltas])
        for err in (s_err, r_err):
            slopes = np.diff(np.log(np.abs(err))) / np.diff(np.log(deltas))
            np.testing.assert_allclose(slopes, 1.0, rtol=0, atol=0.01)  # O(|a - 1|)
        # the coefficients themselves: the next term is O((a-1)^2), i.e. a relative
        # deviation ~ |a-1| (measured 1e-4 at |a-1| = 1e-4, 1e-2 at 1e-2)
        np.testing.assert_allclose(
            s_err[-1] / (sign * deltas[-1]), -(H**2 + d / 2) / 2, rtol=5e-4
        )
        np.testing.assert_allclose(r_err[-1] / (sign * deltas[-1]), -d / 4, rtol=5e-4)


# -- first variations --------------------------------------------------------------------------

VARIATIONS = {
    "shannon": (ShannonEntropy(), lambda r, g: -(np.log(r) + 1.0)),
    "tsallis:0.5": (TsallisEntropy(0.5), lambda r, g: (1 - 0.5 * r**-0.5) / -0.5),
    "tsallis:2": (TsallisEntropy(2.0), lambda r, g: 1 - 2 * r),
    "tsallis:3": (TsallisEntropy(3.0), lambda r, g: (1 - 3 * r**2) / 2),
    "renyi:0.5": (
        RenyiEntropy(0.5),
        lambda r, g: 0.5 * r**-0.5 / (0.5 * (r**0.5).sum() * g.cell_volume),
    ),
    "renyi:2": (RenyiEntropy(2.0), lambda r, g: 2 * r / (-(r**2).sum() * g.cell_volume)),
}


@pytest.mark.parametrize("name", list(VARIATIONS))
def test_first_variation_matches_directional_derivative(name):
    functional, formula = VARIATIONS[name]
    assert functional.name == name
    assert_first_variation(functional, formula)


# -- KL-proximal maps -----------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [1e-2, 0.3, 4.0])
def test_negative_shannon_prox(weight):
    # weight * (-H) = weight ∫ rho log rho, via ScaledFunctional and via a negative weight on H
    ratio = check_prox(
        -ShannonEntropy(), weight, lambda r, i: r * np.log(r), lambda r: np.log(r) + 1.0
    )
    direct = ShannonEntropy().log_prox_ratio(np.log(prox_masses()), -weight, PROX_GRID)
    np.testing.assert_allclose(ratio, direct, rtol=1e-15)


@pytest.mark.parametrize("a", [1.5, 2.0, 3.0])
def test_tsallis_prox_with_negative_weight(a):
    check_prox(
        TsallisEntropy(a), -0.4,
        lambda r, i: (r - r**a) / (a - 1), lambda r: (1 - a * r ** (a - 1)) / (a - 1),
    )


def test_tsallis_prox_in_vacuum_is_finite():
    # weight * S_a (weight < 0) = |w| U_a - |w| mass / (a - 1): vacuum ratio exp(|w|/(a-1))
    log_p = np.log(prox_masses())
    log_p[1, 2] = -np.inf
    with np.errstate(all="raise"):
        ratio = TsallisEntropy(2.0).log_prox_ratio(log_p, -0.4, PROX_GRID)
    assert ratio[1, 2] == pytest.approx(0.4, rel=1e-15)
    assert np.isfinite(ratio).all()


def test_prox_exists_only_where_the_weighted_entropy_is_convex():
    log_p = np.log(prox_masses())
    for weight in (0.0, 0.5):
        with raises_naming("negative weights", repr(weight)):
            ShannonEntropy().log_prox_ratio(log_p, weight, PROX_GRID)
        with raises_naming("weight < 0 and a > 1", repr(weight)):
            TsallisEntropy(2.0).log_prox_ratio(log_p, weight, PROX_GRID)
    with raises_naming("negative weights", "weight 0.5"):
        (-ShannonEntropy()).log_prox_ratio(log_p, -0.5, PROX_GRID)  # weight * (-H), weight < 0
    with raises_naming("weight < 0 and a > 1", "a = 0.5"):
        TsallisEntropy(0.5).log_prox_ratio(log_p, -0.5, PROX_GRID)  # concave for a < 1
    with raises_naming("'renyi:2'", "no KL-proximal map"):
        RenyiEntropy(2).log_prox_ratio(log_p, -0.5, PROX_GRID)


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("entropy", [TsallisEntropy, RenyiEntropy])
def test_bad_orders_name_the_value(entropy):
    with raises_naming("a = 1", "ShannonEntropy()", "'shannon'"):
        entropy(1.0)
    with raises_naming("entropy order a", "-2.0"):
        entropy(-2.0)
    with raises_naming("entropy order a", "0.0"):
        entropy(0.0)
    with raises_naming("entropy order a", "nan"):
        entropy(float("nan"))
    with raises_naming("entropy order a", "'2'"):
        entropy("2")


def test_renyi_entropy_of_zero_mass_raises():
    grid = Grid([(0, 1), (0, 1)], (3, 3))
    with raises_naming("rho has zero mass", "accepted: a density with positive mass"):
        RenyiEntropy(2)(Density(grid, np.zeros((3, 3))))
    with raises_naming("Rényi", "zero mass"):  # the values a solver hands to evaluate
        RenyiEntropy(2).evaluate(np.zeros((3, 3)), grid)
