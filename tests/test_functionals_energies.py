"""Tests of wgflow.functionals.energies: potential energy ``∫ V rho``, the second moment and
the internal energy ``U_m = ∫ rho^m/(m - 1)``.

Values on the grid Gaussian of ``conftest.py`` equal the integrals over R^2 to round-off (the
midpoint rule is exponentially accurate there): closed forms are matched to 1e-12.  First
variations and KL-proximal maps are checked by the helpers of ``_helpers.py`` (their
tolerances are explained there).
"""

from __future__ import annotations

import numpy as np
import pytest

from _helpers import (
    PROX_GRID,
    V_FD,
    V_PROX,
    assert_first_variation,
    check_prox,
    gaussian_entropies,
    prox_masses,
    raises_naming,
)
from wgflow import Density, Grid
from wgflow.functionals import InternalEnergy, PotentialEnergy, SecondMoment


def test_energies_against_closed_forms(gaussian_2d):
    # ∫ |x - c|^2 N(m, S) = tr S + |m - c|^2 ;  ∫ (x1 + 2 x2) N(m, S) = m1 + 2 m2
    rho, law = gaussian_2d
    mean, cov = law.mean, law.cov
    c = np.array([0.5, 1.0])
    assert SecondMoment(c)(rho) == pytest.approx(np.trace(cov) + np.sum((mean - c) ** 2), rel=1e-12)
    assert SecondMoment()(rho) == pytest.approx(np.trace(cov) + mean @ mean, rel=1e-12)
    linear = PotentialEnergy(lambda x, y: x + 2.0 * y)
    assert linear(rho) == pytest.approx(mean[0] + 2 * mean[1], abs=1e-12)
    array_potential = PotentialEnergy(rho.grid.coordinates[0] ** 2)
    assert array_potential(rho) == pytest.approx(cov[0, 0] + mean[0] ** 2, rel=1e-12)
    # U_m[N(m, S)] = ∫ rho^m / (m - 1) = exp((1 - m) R_m) / (m - 1)
    for m in (1.5, 2.0, 3.0):
        renyi = gaussian_entropies(cov, m)[1]
        assert InternalEnergy(m)(rho) == pytest.approx(
            np.exp((1 - m) * renyi) / (m - 1.0), rel=1e-11
        )


VARIATIONS = {
    "potential": (PotentialEnergy(V_FD), lambda r, g: V_FD(*g.coordinates)),
    "second_moment": (
        SecondMoment([0.3, 0.2]),
        lambda r, g: (g.coordinates[0] - 0.3) ** 2 + (g.coordinates[1] - 0.2) ** 2,
    ),
    "internal:1.5": (InternalEnergy(1.5), lambda r, g: 3 * r**0.5),
    "internal:2": (InternalEnergy(2.0), lambda r, g: 2 * r),
    "internal:3": (InternalEnergy(3.0), lambda r, g: 1.5 * r**2),
}


@pytest.mark.parametrize("name", list(VARIATIONS))
def test_first_variation_matches_directional_derivative(name):
    functional, formula = VARIATIONS[name]
    assert functional.name == name
    assert_first_variation(functional, formula)


# -- KL-proximal maps -----------------------------------------------------------------------------


@pytest.mark.parametrize("m", [1.5, 2.0, 3.0])
@pytest.mark.parametrize("weight", [1e-3, 0.7, 50.0])
def test_internal_energy_prox(m, weight):
    check_prox(
        InternalEnergy(m), weight,
        lambda r, i: r**m / (m - 1), lambda r: m * r ** (m - 1) / (m - 1),
    )


@pytest.mark.parametrize("weight", [-0.8, 0.5])
def test_potential_energy_prox(weight):
    V = V_PROX(*PROX_GRID.coordinates)
    ratio = check_prox(PotentialEnergy(V_PROX), weight, lambda r, i: V[i] * r, lambda r: V)
    np.testing.assert_allclose(ratio, -weight * V, rtol=1e-15)


def test_internal_energy_prox_in_vacuum_is_finite_and_local():
    log_p = np.log(prox_masses())
    log_p[1, 2] = -np.inf
    log_p[4, 0] = -np.inf
    mask = np.isfinite(log_p)
    with np.errstate(all="raise"):
        for m in (1.5, 2.0, 3.0):
            ratio = InternalEnergy(m).log_prox_ratio(log_p, 0.7, PROX_GRID)
            assert ratio[1, 2] == 0.0 and ratio[4, 0] == 0.0  # q/p -> 1 as p -> 0
            # the other cells are unchanged by the vacuum cells
            full = InternalEnergy(m).log_prox_ratio(np.log(prox_masses()), 0.7, PROX_GRID)
            np.testing.assert_allclose(ratio[mask], full[mask], rtol=1e-14)


def test_internal_energy_prox_does_not_depend_on_previous_call():
    # the Wright omega solver inside is warm-started from its previous call
    m, weight = 3.0, 1.0
    energy = InternalEnergy(m)
    energy.log_prox_ratio(np.full(PROX_GRID.shape, -700.0), weight, PROX_GRID)
    # y = log(3) + 2 (log_p - log V) ~ 101: z ~ 97 (a very dense cell, rho ~ 5e21)
    log_p = np.full(PROX_GRID.shape, 48.0)
    fresh = InternalEnergy(m).log_prox_ratio(log_p, weight, PROX_GRID)
    np.testing.assert_allclose(energy.log_prox_ratio(log_p, weight, PROX_GRID), fresh, rtol=1e-12)


def test_internal_energy_prox_needs_a_positive_weight():
    log_p = np.log(prox_masses())
    for weight in (0.0, -0.5):
        with raises_naming("weight > 0", repr(weight)):
            InternalEnergy(2).log_prox_ratio(log_p, weight, PROX_GRID)


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [0.5, 1.0, -2.0, float("inf"), "2"])
def test_internal_energy_exponent_must_exceed_one(m):
    with raises_naming("exponent m", "> 1", repr(m)):
        InternalEnergy(m)


def test_bad_potentials_and_centres():
    grid = Grid([(0, 1), (0, 1)], (3, 3))
    rho = Density(grid, np.ones((3, 3)))
    with raises_naming("potential V", "finite"):
        PotentialEnergy(np.array([[np.nan, 1.0]]))
    with raises_naming("(2, 2)", "(3, 3)"):
        PotentialEnergy(np.ones((2, 2)))(rho)
    with raises_naming("finite on the grid"), np.errstate(divide="ignore"):
        PotentialEnergy(lambda x, y: np.log(x - x))(rho)
    with raises_naming("center must have 2 entries", "[0.0, 0.0, 0.0]"):
        SecondMoment([0.0, 0.0, 0.0])(rho)
