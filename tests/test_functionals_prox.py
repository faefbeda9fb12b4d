"""Tests of wgflow.functionals._prox: the safeguarded Newton solver of ``z + log z = y`` (the
Wright omega function) behind the KL-proximal maps of the power energies.

Newton stops once every step is below 1e-8, and the error after a step is below half its
square, so ``z`` agrees with :func:`scipy.special.wrightomega` to a few ulps (1e-14
relative) over the whole floating-point range of ``y``.
"""

from __future__ import annotations

import numpy as np
import scipy.special

from wgflow.functionals._prox import WrightOmegaSolver, solve_z_plus_log_z

Y_RANGE = np.concatenate([np.linspace(-700.0, 700.0, 20001), [-1e-300, 0.0, 1.0, -np.inf]])


def test_solve_z_plus_log_z_equals_wrightomega():
    z, log_z = solve_z_plus_log_z(Y_RANGE)
    finite = np.isfinite(Y_RANGE)
    w = scipy.special.wrightomega(Y_RANGE[finite])
    np.testing.assert_allclose(z[finite], w, rtol=1e-14, atol=0)
    np.testing.assert_allclose(log_z[finite], np.log(w), rtol=1e-14, atol=1e-15)
    assert z[-1] == 0.0 and log_z[-1] == -np.inf  # y = -inf
    # and the defining equation holds
    np.testing.assert_allclose(z[finite] + log_z[finite], Y_RANGE[finite], rtol=1e-15, atol=1e-15)


def test_wright_omega_solver_warm_start_on_nearby_equations():
    # the intended use: successive Sinkhorn sweeps solve nearly the same equation
    solver = WrightOmegaSolver()
    rng = np.random.default_rng(2)
    y = np.concatenate([np.linspace(-700.0, 700.0, 4001), [-np.inf]])
    for _ in range(5):
        y_sweep = y + np.where(np.isfinite(y), 0.5 * rng.standard_normal(y.shape), 0.0)
        y_sweep = np.clip(y_sweep, -700.0, 700.0)
        np.testing.assert_allclose(
            solver(y_sweep)[:-1], scipy.special.wrightomega(y_sweep[:-1]), rtol=1e-14, atol=0
        )


def test_wright_omega_solver_warm_start_from_distant_equation():
    solver = WrightOmegaSolver()
    y = np.linspace(-700.0, 700.0, 2001)
    solver(y)
    y_reversed = y[::-1].copy()  # every cell jumps across the range
    np.testing.assert_allclose(
        solver(y_reversed), scipy.special.wrightomega(y_reversed), rtol=1e-14, atol=0
    )
