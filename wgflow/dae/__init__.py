"""The transport analysis of denoising autoencoders on grids (Sonoda & Murata, sections 2-4).

Maps (:mod:`wgflow.dae.maps`)
    :func:`dae_map` -- the DAE ``Phi_t`` of eq. (4) for Gaussian (eq. (7)), Laplace, box, ball or
    user-given noise, from two convolutions; :func:`dae_velocity` (``(Phi_t - x)/t``, the score
    limit of eq. (8)); :func:`score`; :func:`initial_velocity` (Theorem 2.4, eq. (9)).
Pushforwards (:mod:`wgflow.dae.pushforward`)
    :func:`pushforward` -- ``T # rho`` on the grid, mass conserving and non-negative.
Deep DAEs (:mod:`wgflow.dae.composition`)
    :func:`single`, :func:`compose` (section 3.1), :func:`continuous` (eq. (10), Theorem 3.1),
    returning a :class:`~wgflow.result.SolveResult` (times = noise variances, with ``maps``).
Trained DAEs (:mod:`wgflow.dae.trained`)
    :func:`fit_dae` (Theorem 2.1) and :func:`sample_density`.
Tracking (:mod:`wgflow.dae.tracking`)
    :func:`track` -- entropies, mass and W2 along a list of densities.
Noise laws (:mod:`wgflow.dae.noise`)
    :class:`GaussianNoise`, :class:`LaplaceNoise`, :class:`UniformBoxNoise`,
    :class:`UniformBallNoise`, :class:`CustomNoise`.

The Gaussian closed forms (eqs. 12-13, pushforwards, compositions) are in
:mod:`wgflow.gaussian`.

Examples
--------
>>> import numpy as np
>>> import wgflow as wg
>>> from wgflow import dae
>>> grid = wg.Grid([(-8, 8), (-8, 8)], 64)
>>> rho0 = wg.exact.heat_gaussian(grid, [0, 0], [[2.0, 0.0], [0.0, 1.0]], 0.0)
>>> phi = dae.dae_map(rho0, 0.5)                 # shape (2, 64, 64)
>>> rho1 = dae.pushforward(rho0, phi)            # N(0, S0 (I + t S0^-1)^-2)
>>> res = dae.compose(rho0, [0.1] * 3, track=["shannon"])
>>> bool(np.all(np.diff(res.tracked["shannon"]) < 0))
True
"""

from .composition import compose, continuous, single
from .convolution import PosteriorMean
from .maps import (
    dae_map,
    dae_posterior,
    dae_velocity,
    identity_map,
    initial_velocity,
    interpolate_map,
    laplacian,
    map_l2_distance,
    score,
)
from .noise import (
    NOISE_NAMES,
    CustomNoise,
    GaussianNoise,
    LaplaceNoise,
    NoiseLaw,
    UniformBallNoise,
    UniformBoxNoise,
    resolve_noise,
)
from .pushforward import (
    PUSHFORWARD_SCHEMES,
    PushforwardInfo,
    map_jacobian,
    pushforward,
    pushforward_with_info,
)
from .tracking import track
from .trained import TRAINING_MODELS, TrainedDAE, fit_dae, sample_density

__all__ = [
    "dae_map",
    "dae_posterior",
    "dae_velocity",
    "score",
    "laplacian",
    "initial_velocity",
    "identity_map",
    "map_l2_distance",
    "interpolate_map",
    "PosteriorMean",
    "pushforward",
    "pushforward_with_info",
    "map_jacobian",
    "PushforwardInfo",
    "PUSHFORWARD_SCHEMES",
    "single",
    "compose",
    "continuous",
    "fit_dae",
    "TrainedDAE",
    "sample_density",
    "TRAINING_MODELS",
    "track",
    "NoiseLaw",
    "GaussianNoise",
    "LaplaceNoise",
    "UniformBoxNoise",
    "UniformBallNoise",
    "CustomNoise",
    "NOISE_NAMES",
    "resolve_noise",
]
