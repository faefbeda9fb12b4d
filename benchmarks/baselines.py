"""Plain baselines that the benchmarks run beside wgflow in the same process.

``plain_banded_jko`` is the plain entropic JKO with a banded separable kernel: exp-domain generalized Sinkhorn, the Gibbs kernel
applied by ``scipy.ndimage.correlate1d``, the Wright-omega prox of ``∫ rho^m/(m-1)``
(or the closed-form entropy prox), a warm start between steps, no debiasing and no
other acceleration.  It is written independently of wgflow's solver on purpose.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import correlate1d
from scipy.special import wrightomega


def _kernel_weights(h: float, gamma: float) -> np.ndarray:
    half = int(np.ceil(np.sqrt(40.0 * gamma) / h))  # exp(-40): below double precision
    offsets = np.arange(-half, half + 1) * h
    return np.exp(-(offsets**2) / gamma)


def plain_banded_jko(values, spacing, gamma, tau, steps, m=None, tol=1e-6, max_iter=20_000):
    """Run ``steps`` plain entropic JKO steps of ``∫ rho^m/(m-1)`` (``m=None``: ``∫ rho log rho``).

    Returns ``(values, sweeps_per_step)``.  ``values`` are per unit volume.
    """
    volume = float(np.prod(spacing))
    weights = [_kernel_weights(h, gamma) for h in spacing]

    def apply(x):
        for axis, w in enumerate(weights):
            x = correlate1d(x, w, axis=axis, mode="constant")
        return x

    sigma = 2.0 * tau / gamma
    masses = values * volume
    b = np.ones_like(masses)
    sweeps = []
    for _ in range(steps):
        a0, total = masses, masses.sum()
        a = a0 / apply(b)
        for iteration in range(1, max_iter + 1):
            p = apply(a)
            with np.errstate(divide="ignore"):
                if m is None:
                    b = np.exp(sigma * (np.log(volume) - 1.0 - np.log(p)) / (1.0 + sigma))
                else:
                    y = np.log(sigma * m) + (m - 1.0) * (np.log(p) - np.log(volume))
                    b = np.exp(-np.real(wrightomega(y)) / (m - 1.0))
            kb = apply(b)
            error = np.abs(a * kb - a0).sum() / total
            a = np.where(a0 > 0, a0 / np.where(a0 > 0, kb, 1.0), 0.0)
            if error < tol:
                break
        masses = b * apply(a)
        sweeps.append(iteration)
    return masses / volume, sweeps
