"""Gaussian closed forms of the transport analysis of denoising autoencoders.

For data ``mu0 = N(m0, S0)`` in any dimension ``d`` everything in the paper (Sonoda & Murata,
sections 2.4, 3.1-3.3 and 4.3) is explicit:

* Gaussian DAE, eq. (7): ``Phi_t(x) = x + t grad log(W_t * mu0)(x)``, which for a Gaussian is
  eq. (13) ``Phi_t(x) = (I + t S0^{-1})^{-1} x + (I + t^{-1} S0)^{-1} m0``;
* its pushforward (section 4.3): ``Phi_t # mu0 = N(m0, S0 (I + t S0^{-1})^{-2})``;
* continuous DAE, eq. (10)/(12): ``phi_t(x) = sqrt(I - 2t S0^{-1}) (x - m0) + m0``, the flow of
  ``dx/dt = grad log mu_t(x) = -(S0 - 2tI)^{-1} (x - m0)``; it is singular at
  ``t = lambda_min(S0) / 2``;
* its pushforward (Theorem 3.1, section 4.3): ``phi_t # mu0 = N(m0, S0 - 2tI)``, the backward
  heat equation (11) run from ``mu0``;
* composition of DAEs (section 3.1): layer ``l`` is the Gaussian DAE of its own input
  ``mu_l = N(m0, S_l)`` with noise variance ``tau_l``;
* score, eq. (8): ``(Phi_t(x) - x) / t -> grad log mu0(x) = -S0^{-1} (x - m0)`` as ``t -> 0``.

All these maps are affine and are functions of ``S0``: in the eigenbasis ``S0 = V diag(lam) V^T``
they scale the coordinates ``y = V^T (x - m0)`` axis by axis, and every pushforward covariance is
``V diag(c^2 lam) V^T`` with the same scale factors ``c``.  They are computed that way (one
``eigh`` of ``S0``), which keeps the matrix functions symmetric and exact up to round-off.

The package has three modules: :mod:`~wgflow.gaussian.distribution` (the :class:`Gaussian`
type: entropies, density, samples, heat flow, Bures–Wasserstein distance),
:mod:`~wgflow.gaussian.maps` (the DAE closed forms, eqs. (7)-(13)) and
:mod:`~wgflow.gaussian.figures` (the curves of Figures 2 and 3).  The maps take the data first,
then the noise variance ``t``, then the points, like :func:`wgflow.dae.dae_map`.

Points
------
Functions that take ``points`` accept an array of shape ``(..., d)``; the leading axes are kept
in the result.  In 1-D the trailing axis may be left out: an array whose last axis is not of
length 1 (or a scalar) is read as scalar points, so ``x = np.linspace(-3, 3, 7)`` works directly.
"""

from .distribution import Gaussian, bures_distance
from .figures import TRAJECTORY_KINDS, entropy_of_sigmas, sigma_trajectory, trajectories
from .maps import (
    composition_map,
    composition_pushforwards,
    continuous_dae_map,
    continuous_dae_pushforward,
    dae_map,
    dae_potential,
    dae_pushforward,
    dae_velocity,
    score,
    singular_time,
)

__all__ = [
    "Gaussian", "bures_distance", "singular_time", "continuous_dae_map", "dae_map",
    "dae_potential", "continuous_dae_pushforward", "dae_pushforward",
    "composition_pushforwards", "composition_map", "trajectories", "sigma_trajectory",
    "entropy_of_sigmas", "score", "dae_velocity", "TRAJECTORY_KINDS",
]
