"""Tests of wgflow.solvers.sinkhorn: the generalised Sinkhorn iterations of one entropic JKO
step, and the symmetric scaling of the debiasing term, against POT's dense solvers.

With cost ``C_ij = |x_i - x_j|^2``, Gibbs kernel ``K = exp(-C / gamma)`` and
``sigma = 2 dt / gamma``, the step ``min_q F(q) + W_gamma(a0, q) / (2 dt)`` of
``F = ∫ rho log rho = KL(q | V) + const`` (V the cell volume) is POT's
``ot.unbalanced.sinkhorn_unbalanced(a0, V, C, reg=gamma, reg_m=(inf, 2 dt),
reg_type="entropy")``.  Both solve the same strictly convex problem, stopped at 1e-13 and
1e-15: they agree to round-off (1e-12 of the largest mass; measured 3e-15).  The grid is
small (120 cells), so the dense references are cheap.
"""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest

from wgflow import Density, Grid
from wgflow.functionals import PotentialEnergy, ShannonEntropy
from wgflow.solvers.sinkhorn import (
    OMEGA_MAX,
    PATIENCE,
    Overrelaxation,
    entropic_proximal_step,
    symmetric_log_scaling,
)
from wgflow.transport import DenseGibbsKernel, SeparableGibbsKernel

GAMMA, DT = 0.05, 0.01
SIGMA = 2 * DT / GAMMA
KERNELS = {"separable": SeparableGibbsKernel, "dense": DenseGibbsKernel}


def _cost(grid) -> np.ndarray:
    return ot.dist(grid.points, grid.points, metric="sqeuclidean")


def _pot_kl_jko_step(masses: np.ndarray, reference: np.ndarray, grid) -> np.ndarray:
    """POT's entropic JKO step of ``KL(. | reference)``: the second marginal of the plan."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = ot.unbalanced.sinkhorn_unbalanced(
            masses.ravel(), reference.ravel(), _cost(grid), reg=GAMMA, reg_m=(np.inf, 2 * DT),
            reg_type="entropy", numItermax=100_000, stopThr=1e-15,
        )
    return plan.sum(axis=0).reshape(grid.shape)


@pytest.mark.parametrize("log_domain", [False, True], ids=["exp-domain", "log-domain"])
@pytest.mark.parametrize("kind", list(KERNELS))
def test_heat_step_equals_pot_unbalanced_sinkhorn(small_gaussian_2d, kind, log_domain):
    rho, _ = small_gaussian_2d
    grid = rho.grid
    entropy = -ShannonEntropy()  # ∫ rho log rho
    result = entropic_proximal_step(
        KERNELS[kind](grid, GAMMA), rho.masses,
        lambda log_p: entropy.log_prox_ratio(log_p, SIGMA, grid),
        tol=1e-13, max_iter=100_000, log_domain=log_domain,
    )
    assert result.converged and result.marginal_error <= 1e-13
    assert result.log_domain == log_domain
    reference = _pot_kl_jko_step(rho.masses, np.full(grid.shape, grid.cell_volume), grid)
    np.testing.assert_allclose(result.masses, reference, rtol=0, atol=1e-12 * reference.max())


def test_fokker_planck_step_equals_pot_unbalanced_sinkhorn(small_gaussian_2d):
    """``∫ rho log rho + ∫ W rho = KL(q | V exp(-W)) + const``."""
    rho, _ = small_gaussian_2d
    grid = rho.grid
    potential = lambda x, y: 2 * (x - 0.3) ** 2 + y**2  # noqa: E731
    energy = -ShannonEntropy() + PotentialEnergy(potential)
    result = entropic_proximal_step(
        SeparableGibbsKernel(grid, GAMMA), rho.masses,
        lambda log_p: energy.log_prox_ratio(log_p, SIGMA, grid), tol=1e-13, max_iter=100_000,
    )
    reference = _pot_kl_jko_step(
        rho.masses, grid.cell_volume * np.exp(-potential(*grid.coordinates)), grid
    )
    np.testing.assert_allclose(result.masses, reference, rtol=0, atol=1e-12 * reference.max())


def test_balanced_step_gives_pot_sinkhorn_plan(small_gaussian_2d):
    """A prox that returns a fixed marginal b (``log(q/p) = log b - log p``) makes the step
    balanced Sinkhorn: the plan ``diag(a) K diag(b)`` is POT's ``ot.sinkhorn`` plan."""
    rho, _ = small_gaussian_2d
    grid = rho.grid
    a = rho.masses / rho.mass
    b = (1.0 + rho.values) / (1.0 + rho.values).sum()  # another positive marginal
    kernel = SeparableGibbsKernel(grid, GAMMA)
    result = entropic_proximal_step(kernel, a, lambda log_p: np.log(b) - log_p,
                                    tol=1e-14, max_iter=100_000)
    np.testing.assert_allclose(result.masses, b, rtol=0, atol=1e-14)
    b_scale = np.exp(result.log_b)
    a_scale = a / kernel.apply(b_scale)
    plan = a_scale.ravel()[:, None] * np.exp(-_cost(grid) / GAMMA) * b_scale.ravel()[None, :]
    reference = ot.sinkhorn(a.ravel(), b.ravel(), _cost(grid), GAMMA, method="sinkhorn_log",
                            numItermax=100_000, stopThr=1e-15)
    np.testing.assert_allclose(plan, reference, rtol=0, atol=1e-12 * reference.max())


def test_mass_is_kept_whatever_the_iteration_count(small_gaussian_2d):
    rho, _ = small_gaussian_2d
    grid = rho.grid
    entropy = -ShannonEntropy()
    for max_iter in (1, 3, 7):
        result = entropic_proximal_step(
            SeparableGibbsKernel(grid, GAMMA), rho.masses,
            lambda log_p: entropy.log_prox_ratio(log_p, SIGMA, grid), tol=1e-13, max_iter=max_iter,
        )
        assert result.iterations == max_iter and not result.converged
        assert result.marginal_error > 1e-13
        assert result.masses.sum() == pytest.approx(rho.masses.sum(), rel=1e-14)


def test_warm_start_from_the_solution_stops_at_the_first_check(small_gaussian_2d):
    rho, _ = small_gaussian_2d
    grid = rho.grid
    entropy = -ShannonEntropy()

    def step(warm_log_b=None):
        return entropic_proximal_step(
            SeparableGibbsKernel(grid, GAMMA), rho.masses,
            lambda log_p: entropy.log_prox_ratio(log_p, SIGMA, grid), tol=1e-12,
            max_iter=1000, warm_log_b=warm_log_b, check_every=5,
        )

    cold = step()
    assert cold.iterations > 5
    warm = step(cold.log_b)
    assert warm.converged and warm.iterations == 1
    np.testing.assert_allclose(warm.masses, cold.masses, rtol=0, atol=1e-11 * cold.masses.max())


def test_vacuum_and_small_gamma_fall_back_to_the_log_domain():
    """From an indicator with gamma = h^2 the kernel underflows between the support and the
    far cells (exp(-1.8^2 / gamma) = 0): the Shannon prox is infinite there, the exp-domain
    scalings cannot hold it, and the step restarts in the log domain (the same result as
    starting there), finite, with its mass."""
    grid = Grid([(-2.0, 2.0)], 128)
    rho = Density.from_function(grid, lambda x: (np.abs(x) < 0.2) * 2.5)
    gamma = grid.spacing[0] ** 2
    entropy = -ShannonEntropy()
    results = [
        entropic_proximal_step(
            SeparableGibbsKernel(grid, gamma), rho.masses,
            lambda log_p: entropy.log_prox_ratio(log_p, 2 * 1e-3 / gamma, grid),
            tol=1e-12, max_iter=10_000, log_domain=log_domain,
        )
        for log_domain in (False, True)
    ]
    for result in results:
        assert result.log_domain and result.converged
        assert np.isfinite(result.masses).all() and (result.masses >= 0).all()
        assert result.masses.sum() == pytest.approx(rho.mass, rel=1e-12)
    np.testing.assert_array_equal(results[0].masses, results[1].masses)


def test_symmetric_log_scaling_is_the_fixed_point_of_pot_symmetric_sinkhorn(small_gaussian_2d):
    """``u (K u) = r``: the symmetric plan ``diag(u) K diag(u)`` of r with itself is POT's
    ``ot.sinkhorn(r, r)`` plan (unique; its scalings are ``(c u, u / c)``)."""
    rho, _ = small_gaussian_2d
    grid = rho.grid
    r = rho.masses
    kernel = SeparableGibbsKernel(grid, GAMMA)
    log_u, iterations = symmetric_log_scaling(kernel, r, tol=1e-13, max_iter=10_000)
    u = np.exp(log_u)
    np.testing.assert_allclose(u * kernel.apply(u), r, rtol=0, atol=1e-13 * r.sum())
    plan = u.ravel()[:, None] * np.exp(-_cost(grid) / GAMMA) * u.ravel()[None, :]
    reference = ot.sinkhorn(r.ravel(), r.ravel(), _cost(grid), GAMMA, method="sinkhorn_log",
                            numItermax=100_000, stopThr=1e-15)
    np.testing.assert_allclose(plan, reference, rtol=0, atol=1e-12 * reference.max())
    # a warm start at the fixed point stops at its first kernel product
    warm_log_u, warm_iterations = symmetric_log_scaling(
        kernel, r, tol=1e-13, max_iter=10_000, warm_log_u=log_u
    )
    assert iterations > 5 and warm_iterations == 1
    np.testing.assert_allclose(warm_log_u, log_u, rtol=0, atol=1e-12)


def test_symmetric_log_scaling_of_empty_cells_is_minus_infinity(small_gaussian_2d):
    rho, _ = small_gaussian_2d
    r = rho.masses.copy()
    r[:3] = 0.0
    kernel = SeparableGibbsKernel(rho.grid, GAMMA)
    log_u, _ = symmetric_log_scaling(kernel, r, tol=1e-13, max_iter=10_000)
    assert np.all(log_u[:3] == -np.inf) and np.isfinite(log_u[3:]).all()
    u = np.exp(log_u)
    np.testing.assert_allclose(u * kernel.apply(u), r, rtol=0, atol=1e-13 * r.sum())


# -- over-relaxation ------------------------------------------------------------------------


def _hard_heat_step(log_domain: bool, overrelaxation, n: int = 256, cells: float = 16):
    """A heat step with dt = cells h^2 on [-1, 1]: the mass moves about sqrt(2 cells) cells,
    many times the kernel's width sqrt(gamma / 2) = h, so plain sweeps converge slowly (about
    0.99 per sweep)."""
    grid = Grid([(-1.0, 1.0)], n)
    h = grid.spacing[0]
    rho = Density.from_function(grid, lambda x: np.exp(-(x**2) / 0.06))
    gamma, dt = 2 * h**2, cells * h**2
    entropy = -ShannonEntropy()
    return rho, entropic_proximal_step(
        SeparableGibbsKernel(grid, gamma), rho.masses,
        lambda log_p: entropy.log_prox_ratio(log_p, 2 * dt / gamma, grid),
        tol=1e-11, max_iter=20_000, log_domain=log_domain, overrelaxation=overrelaxation,
    )


@pytest.mark.parametrize("log_domain", [False, True], ids=["exp-domain", "log-domain"])
def test_overrelaxed_sweeps_reach_the_plain_solution_in_a_fraction_of_the_sweeps(log_domain):
    """Both iterations solve the same strictly convex problem to a marginal error of 1e-11;
    the masses then agree to about that error times the step's conditioning (measured 2e-12
    relative): 1e-9 of the largest mass.  Young's rate ``w - 1`` for the measured plain rate
    (about 0.99 per sweep here) is about 0.8: measured 4-7 times fewer sweeps; at least 3."""
    rho, plain = _hard_heat_step(log_domain, False)
    _, relaxed = _hard_heat_step(log_domain, True)
    assert plain.converged and relaxed.converged
    assert relaxed.overrelaxation > 1.5 and plain.overrelaxation == 1.0
    assert relaxed.iterations * 3 <= plain.iterations
    np.testing.assert_allclose(relaxed.masses, plain.masses, rtol=0, atol=1e-9 * plain.masses.max())
    assert relaxed.masses.sum() == pytest.approx(rho.mass, rel=1e-13)


def test_overrelaxation_that_overshoots_restores_the_best_scalings():
    """Over-relaxing at the largest factor from the first (cold) sweep of a step that moves
    mass 16 cells overshoots in the exp domain: the marginal error grows by orders of
    magnitude.  The safeguard restores the best scalings, the plain sweeps that follow
    converge, and the result is the plain one (both to a marginal error of 1e-11)."""
    relaxation = Overrelaxation()
    relaxation.omega = OMEGA_MAX
    _, plain = _hard_heat_step(False, False, n=128, cells=128)
    rho, result = _hard_heat_step(False, relaxation, n=128, cells=128)
    assert relaxation.fallbacks >= 1 and result.fell_back
    assert result.converged and np.isfinite(result.masses).all()
    np.testing.assert_allclose(result.masses, plain.masses, rtol=0, atol=1e-9 * plain.masses.max())
    assert result.masses.sum() == pytest.approx(rho.mass, rel=1e-13)


def test_overrelaxation_factor_is_youngs_for_the_measured_plain_rate():
    """Errors falling by 0.9 per sweep at three checks: two agreeing rates, then
    w = 2 / (1 + sqrt(1 - 0.9)); PATIENCE sweeps without a new smallest error restore the
    best scalings and fall back to plain sweeps until the error is RETRY_DECREASE times
    smaller, with half the excess factor."""
    relaxation = Overrelaxation()
    answers = [relaxation.observe(0.9**k, k) for k in (5, 10)]
    assert relaxation.omega == 1.0 and answers == [Overrelaxation.SAVE] * 2
    relaxation.observe(0.9**15, 15)
    omega = 2 / (1 + np.sqrt(0.1))
    assert relaxation.omega == pytest.approx(omega, rel=1e-12)
    checks = PATIENCE // 5
    answers = [relaxation.observe(1.0, 15 + 5 * k) for k in range(1, checks + 1)]
    assert answers == [Overrelaxation.GO_ON] * (checks - 1) + [Overrelaxation.RESTORE]
    assert relaxation.omega == 1.0 and relaxation.fallbacks == 1 and relaxation.fell_back
    best = 0.9**15
    for k, error in enumerate([best / 2, best / 4, best / 8, best / 16, best / 32]):
        relaxation.observe(error, 100 + 5 * k)
    assert relaxation.omega == pytest.approx(1 + (omega - 1) / 2, rel=1e-12)
    disabled = Overrelaxation(enabled=False)
    for k in (5, 10, 15, 20):
        disabled.observe(0.9**k, k)
    assert disabled.omega == 1.0


def test_an_overrelaxation_carries_its_factor_to_the_next_solve():
    """The solves of a run share one :class:`Overrelaxation`: the second solve starts
    over-relaxed and needs fewer sweeps than a fresh one from the same warm start."""
    shared = Overrelaxation()
    rho, first = _hard_heat_step(False, shared, n=128)
    assert shared.omega > 1.5
    grid = rho.grid
    entropy = -ShannonEntropy()
    h = grid.spacing[0]

    def again(overrelaxation):
        return entropic_proximal_step(
            SeparableGibbsKernel(grid, 2 * h**2), first.masses,
            lambda log_p: entropy.log_prox_ratio(log_p, 16.0, grid),
            tol=1e-11, max_iter=20_000, warm_log_b=first.log_b, overrelaxation=overrelaxation,
        )

    carried, fresh = again(shared), again(True)
    assert carried.converged and fresh.converged
    assert carried.iterations < fresh.iterations
