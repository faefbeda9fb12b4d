"""Tests of wgflow.functionals.base: the algebra of functionals (sums, scalings), their
first variations and KL-proximal maps, and the checks of the evaluation on densities.

First variations and per-cell proxes are checked by the helpers of ``_helpers.py`` (their
tolerances are explained there).  A sum couples no cells either, but its prox is also checked
as one whole-array minimisation with BFGS (tolerance explained in that test).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from _helpers import PROX_GRID, V_FD, V_PROX, assert_first_variation, prox_masses, raises_naming
from wgflow import Grid
from wgflow.functionals import (
    InternalEnergy,
    PotentialEnergy,
    RenyiEntropy,
    ScaledFunctional,
    SecondMoment,
    ShannonEntropy,
    SumFunctional,
    TsallisEntropy,
)

VARIATIONS = {
    "fokker_planck": (
        -ShannonEntropy() + PotentialEnergy(V_FD),
        lambda r, g: np.log(r) + 1.0 + V_FD(*g.coordinates),
    ),
    "scaled_sum": (
        2.5 * (InternalEnergy(2.0) + SecondMoment()),
        lambda r, g: 2.5 * (2 * r + g.coordinates[0] ** 2 + g.coordinates[1] ** 2),
    ),
    "renyi_minus_tsallis": (
        RenyiEntropy(3.0) + (-0.7) * TsallisEntropy(2.0),
        lambda r, g: 3 * r**2 / (-2 * (r**3).sum() * g.cell_volume) - 0.7 * (1 - 2 * r),
    ),
}


@pytest.mark.parametrize("name", list(VARIATIONS))
def test_first_variation_of_sums_and_scalings(name):
    assert_first_variation(*VARIATIONS[name])


def test_functional_algebra_and_names():
    f = -ShannonEntropy() + PotentialEnergy(V_FD)
    assert isinstance(f, SumFunctional) and len(f.terms) == 2
    assert f.name == "-shannon + potential"
    nested = f + InternalEnergy(2) + SecondMoment()
    assert isinstance(nested, SumFunctional) and len(nested.terms) == 4  # sums are flattened
    scaled = 2 * PotentialEnergy(V_FD)
    assert isinstance(scaled, ScaledFunctional) and scaled.is_linear
    assert scaled.name == "2*potential"
    assert (PotentialEnergy(V_FD) + SecondMoment()).is_linear
    assert not f.is_linear
    assert repr(InternalEnergy(1.5)) == "<InternalEnergy internal:1.5>"


def test_sum_of_linear_terms_prox_multiplies_by_exp_of_minus_the_potentials():
    x, y = PROX_GRID.coordinates
    both = PotentialEnergy(V_PROX) + SecondMoment()
    np.testing.assert_allclose(
        both.log_prox_ratio(np.zeros(PROX_GRID.shape), 0.5, PROX_GRID),
        -0.5 * (V_PROX(x, y) + x**2 + y**2), rtol=1e-14,
    )
    np.testing.assert_allclose(both.potential(PROX_GRID), V_PROX(x, y) + x**2 + y**2, rtol=1e-15)


@pytest.mark.parametrize(
    "functional, weight, variation",
    [
        (InternalEnergy(2.0) + PotentialEnergy(V_PROX), 0.6, lambda r, V: 2 * r + V),
        (  # Fokker-Planck: ∫ rho log rho + ∫ V rho
            -ShannonEntropy() + PotentialEnergy(V_PROX), 0.25, lambda r, V: np.log(r) + 1 + V,
        ),
        (  # weight * (-S_3 + 2 ∫ V rho) with a positive weight, via a scaled sum
            -1.0 * (TsallisEntropy(3.0) + 2.0 * PotentialEnergy(V_PROX)) * -1.0 * -1.0,
            0.3,
            lambda r, V: -(1 - 3 * r**2) / 2 - 2 * V,
        ),
    ],
    ids=["internal+potential", "fokker-planck", "scaled-tsallis-sum"],
)
def test_sum_functional_prox_against_bfgs(functional, weight, variation):
    grid = PROX_GRID
    vol = grid.cell_volume
    V = V_PROX(*grid.coordinates)
    log_p = np.log(prox_masses(3))
    ratio = functional.log_prox_ratio(log_p, weight, grid)
    q = np.exp(log_p + ratio)
    residual = weight * variation(q / vol, V) + ratio
    np.testing.assert_allclose(residual, 0.0, rtol=0, atol=1e-12 * (1 + np.abs(ratio).max()))

    # whole-array minimisation with BFGS on s = log q, objective from the library's
    # evaluate (the F that is being proximated), gradient written out here
    def objective(s):
        s = s.reshape(grid.shape)
        qq = np.exp(s)
        value = weight * functional.evaluate(qq / vol, grid) + np.sum(qq * (s - log_p) - qq)
        grad = qq * (weight * variation(qq / vol, V) + s - log_p)
        return value, grad.ravel()

    res = scipy.optimize.minimize(
        objective, log_p.ravel(), jac=True, method="BFGS",
        options={"gtol": 1e-13, "maxiter": 5000},
    )
    # The line search works on values, which are resolved to eps |f|: near the minimum a
    # cell with mass q moves the objective by q ds^2 / 2, so BFGS stops within
    # ds ~ sqrt(2 eps |f| / q_min) (~1e-6 for q_min = 1e-4).  The library's point must be
    # at least as good as BFGS's to round-off, and within that distance of it.
    f_library = objective((log_p + ratio).ravel())[0]
    assert f_library <= res.fun + 8 * np.finfo(float).eps * max(1.0, abs(res.fun))
    resolution = np.sqrt(2 * np.finfo(float).eps * max(1.0, abs(res.fun)) / q.min())
    np.testing.assert_allclose(
        res.x.reshape(grid.shape) - log_p, ratio, rtol=0, atol=10 * resolution
    )


def test_errors_of_the_base_class():
    grid = Grid([(0, 1), (0, 1)], (3, 3))
    log_p = np.log(prox_masses())
    with raises_naming("wgflow.Density", "ndarray"):
        ShannonEntropy()(np.ones(4))
    with raises_naming("wgflow.Density", "list"):
        ShannonEntropy().first_variation([1.0, 2.0])
    with raises_naming("'shannon'", "not linear"):
        ShannonEntropy().potential(grid)
    with raises_naming("at most one nonlinear term", "found 2"):
        (InternalEnergy(2) + -ShannonEntropy()).log_prox_ratio(log_p, 0.5, PROX_GRID)
