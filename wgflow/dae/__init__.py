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
Trained DAEs (:mod:`wgflow.dae.trained`, :mod:`wgflow.dae.neural`)
    :func:`fit_dae` (Theorem 2.1) with kernel models or a neural network (``model="mlp"``,
    scikit-learn's perceptron), :func:`fit_deep_dae` (each layer trained on the samples the
    layers before it pushed, section 3.1) and :func:`sample_density`.
Exact DAEs of samples (:mod:`wgflow.dae.empirical`)
    :class:`EmpiricalDAE` -- the optimal denoiser of an empirical measure,
    ``x + t grad log KDE(x)`` with bandwidth ``sqrt(t)`` (eq. (7)); :func:`empirical_compose`
    (its exact deep composition); :func:`relative_map_error`.
Tracking (:mod:`wgflow.dae.tracking`)
    :func:`track` -- entropies, mass and W2 along a list of densities.
Noise laws (:mod:`wgflow.dae.noise`)
    :class:`GaussianNoise`, :class:`LaplaceNoise`, :class:`UniformBoxNoise`,
    :class:`UniformBallNoise`, :class:`StudentTNoise`, :class:`BimodalNoise`,
    :class:`CustomNoise`; each with its excess kurtosis and fourth cumulant.
Lyapunov functionals (:mod:`wgflow.dae.lyapunov`)
    :func:`descent_analysis` -- which entropy (Shannon or an order-``a`` Tsallis/Rényi
    entropy) the DAE of a noise law descends, against ``t``, with the small-``t`` theory
    :func:`first_order_theory`; :func:`monotonicity_table` -- do the entropies decrease at
    every layer of a composition; :func:`standard_density` -- standardised test data.

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

from . import (
    composition as _composition,
    empirical as _empirical,
    lyapunov as _lyapunov,
    maps as _maps,
    neural as _neural,
    noise as _noise,
    pushforward as _pushforward,
    tracking as _tracking,
    trained as _trained,
)
from .composition import (
    compose as compose,
    continuous as continuous,
    single as single,
)
from .convolution import PosteriorMean
from .empirical import (
    DeepDAE as DeepDAE,
    EmpiricalDAE as EmpiricalDAE,
    MapError as MapError,
    PointMap as PointMap,
    empirical_compose as empirical_compose,
    relative_map_error as relative_map_error,
)
from .lyapunov import (
    STANDARD_DENSITIES as STANDARD_DENSITIES,
    DescentAnalysis as DescentAnalysis,
    FirstOrderTheory as FirstOrderTheory,
    OrderFit as OrderFit,
    descent_analyses as descent_analyses,
    descent_analysis as descent_analysis,
    first_order_theory as first_order_theory,
    fit_order as fit_order,
    monotonicity_table as monotonicity_table,
    order_residual as order_residual,
    resolved_region as resolved_region,
    standard_density as standard_density,
)
from .maps import (
    dae_map as dae_map,
    dae_posterior as dae_posterior,
    dae_velocity as dae_velocity,
    identity_map as identity_map,
    initial_velocity as initial_velocity,
    interpolate_map as interpolate_map,
    laplacian as laplacian,
    map_l2_distance as map_l2_distance,
    score as score,
)
from .neural import (
    DEFAULT_HIDDEN_LAYER_SIZES as DEFAULT_HIDDEN_LAYER_SIZES,
    MIN_PAIRS_PER_PARAMETER as MIN_PAIRS_PER_PARAMETER,
    MLP_OPTIONS as MLP_OPTIONS,
    NetworkInfo as NetworkInfo,
)
from .noise import (
    NOISE_NAMES as NOISE_NAMES,
    BimodalNoise as BimodalNoise,
    CustomNoise as CustomNoise,
    GaussianNoise as GaussianNoise,
    LaplaceNoise as LaplaceNoise,
    NoiseLaw as NoiseLaw,
    StudentTNoise as StudentTNoise,
    UniformBallNoise as UniformBallNoise,
    UniformBoxNoise as UniformBoxNoise,
    resolve_noise as resolve_noise,
)
from .pushforward import (
    PUSHFORWARD_SCHEMES as PUSHFORWARD_SCHEMES,
    PushforwardInfo as PushforwardInfo,
    map_jacobian as map_jacobian,
    pushforward as pushforward,
    pushforward_with_info as pushforward_with_info,
)
from .tracking import (
    track as track,
)
from .trained import (
    TRAINING_MODELS as TRAINING_MODELS,
    TrainedDAE as TrainedDAE,
    fit_dae as fit_dae,
    fit_deep_dae as fit_deep_dae,
    sample_density as sample_density,
)

#: The public names of the submodules, and of :mod:`wgflow.dae.convolution` the result type of
#: :func:`dae_posterior` (the names above are imported for ``wgflow.dae.<name>`` and listed
#: once, in their module's ``__all__``).
__all__ = ["PosteriorMean"]
__all__ += _maps.__all__
__all__ += _pushforward.__all__
__all__ += _composition.__all__
__all__ += _trained.__all__
__all__ += _tracking.__all__
__all__ += _noise.__all__
__all__ += _lyapunov.__all__
__all__ += _empirical.__all__
__all__ += _neural.__all__
