"""Tests of wgflow.dae.tracking: ``wg.dae.track`` over a list of densities, against the
closed forms of :class:`wgflow.gaussian.Gaussian` and translations, and its bad names.

(tests/test_dae_composition.py tracks a composition and checks the default times and the
refusal of an empty list, a non-density, a wrong number of times, ``"energy"`` and
``"entropy"``; those are not repeated here.)

Tolerances.  The entropies are cell-centre sums, exponentially accurate for grid Gaussians
well inside their box (error about ``2 exp(-2 pi^2 s / h^2)`` for a smallest variance ``s``
of ``rho^a``, tails below ``exp(-(L/sigma)^2 / 2)``): both below 1e-14 on the grids used, so
the closed forms are matched to round-off (1e-13).  ``"w2"`` is
:func:`wgflow.transport.wasserstein2`: a translation by whole cells costs exactly the shift
(to round-off, 1e-12), and the tracker records the function's value.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg
from wgflow.dae import track
from wgflow.errors import ConvergenceWarning, GridMismatchError, WgflowError
from wgflow.transport import wasserstein2_result


def closed_form(law: wg.gaussian.Gaussian, name: str) -> float:
    """The entropy ``name`` (``"shannon"``, ``"renyi:a"``, ``"tsallis:a"``) of ``law``."""
    kind, _, order = name.partition(":")
    entropy = getattr(law, f"{kind}_entropy")
    return entropy(float(order)) if order else entropy()


def test_entropies_along_a_gaussian_dae_trajectory():
    """The continuous DAE of ``N(0.3, 1)`` (eq. (12)): ``N(0.3, 1 - 2t)`` at t = 0 ... 0.3, on
    384 cells of [-12, 12] (h = 1/16; ``rho^3`` at variance 0.4 has ``s = 0.13``;
    ``rho^(1/2)`` at variance 1 lies 8.3 standard deviations inside the walls).  The entropies
    decrease along a DAE (section 4.1); the mass stays 1."""
    grid = wg.Grid([(-12.0, 12.0)], 384)
    law = wg.gaussian.Gaussian([0.3], [[1.0]])
    times = np.array([0.0, 0.1, 0.2, 0.3])
    densities = [wg.exact.heat_gaussian(grid, law.mean, law.cov, -t) for t in times]
    names = ["shannon", "renyi:0.5", "renyi:2", "tsallis:2", "tsallis:3", "mass"]
    series = track(densities, names, times)
    assert set(series) == {*names, "times"}
    np.testing.assert_array_equal(series["times"], times)
    for name in names[:-1]:
        exact = [closed_form(law.heat_flow(-t), name) for t in times]
        np.testing.assert_allclose(series[name], exact, rtol=0, atol=1e-13, err_msg=name)
        assert np.all(np.diff(series[name]) < 0), name
    np.testing.assert_allclose(series["mass"], 1.0, rtol=0, atol=1e-13)


def test_entropies_of_heat_flowed_gaussians_in_2d(gaussian_2d):
    """``N(m, S + 2tI)`` on the 2-D grid of ``conftest.py`` for small t (the accuracy argument
    of the fixture holds for ``rho^a``, ``a >= 1``, at these variances)."""
    rho, law = gaussian_2d
    times = [0.0, 0.02, 0.05]
    densities = [wg.exact.heat_gaussian(rho.grid, law.mean, law.cov, t) for t in times]
    names = ["shannon", "renyi:2", "tsallis:3"]
    series = track(densities, names, times)
    for name in names:
        exact = [closed_form(law.heat_flow(t), name) for t in times]
        np.testing.assert_allclose(series[name], exact, rtol=0, atol=1e-13, err_msg=name)


def test_w2_to_the_first_density_against_translations(small_gaussian_2d):
    """A block of random values, the same block moved by (3, 2) cells (W2 = the shift
    length exactly, the measures being translates, for which the debiased Sinkhorn
    divergence is the squared shift at every blur) and a Gaussian of full support (recorded
    as :func:`wgflow.transport.wasserstein2` gives it; its accuracy is tested in
    tests/test_wasserstein.py).  The block's jumps keep W2 to the Gaussian from being
    resolved to 1e-3 on this 12 x 10 grid: the tracker records it with a warning."""
    gaussian, _ = small_gaussian_2d
    grid = gaussian.grid
    block = np.random.default_rng(3).uniform(0.2, 1.0, (4, 4))
    first, moved = np.zeros(grid.shape), np.zeros(grid.shape)
    first[1:5, 2:6] = block
    moved[4:8, 4:8] = block
    densities = [wg.Density(grid, first), wg.Density(grid, moved), gaussian]
    with pytest.warns(ConvergenceWarning, match="not resolved"):
        w2 = track(densities, ["w2"])["w2"]
    shift = np.hypot(3 * grid.spacing[0], 2 * grid.spacing[1])
    with pytest.warns(ConvergenceWarning, match="not resolved"):
        reference = wasserstein2_result(densities[0], gaussian, strict=False)
    print(f"w2 {w2}, shift {shift}, W2 {reference}")
    assert w2[0] == pytest.approx(0.0, abs=1e-12)
    assert w2[1] == pytest.approx(shift, rel=1e-12)
    assert w2[2] == reference.value
    assert abs(w2[2] - w2[1]) > 1e-3  # the two distances differ: each is its own check


def test_w2_of_a_1d_translation_and_the_times_are_a_copy():
    grid = wg.Grid([(0.0, 1.0)], 20)
    values = np.zeros(20)
    values[2:7] = [1.0, 2.0, 3.0, 2.0, 1.0]
    densities = [wg.Density(grid, values), wg.Density(grid, np.roll(values, 5))]
    times = np.array([0.5, 1.5])
    series = track(densities, ["w2", "w2", "mass"], times)
    assert set(series) == {"w2", "mass", "times"}  # a name given twice is tracked once
    assert series["w2"] == pytest.approx([0.0, 5 * grid.spacing[0]], abs=1e-14)
    times[0] = 99.0
    assert series["times"][0] == 0.5  # the caller's array is not aliased


@pytest.mark.parametrize("name", ["renyi", "renyi:x", "tsallis:1", "renyi:-2", "tsallis:0",
                                  "Shannon", "w1"])
def test_bad_tracker_names_are_named_with_what_is_accepted(name, small_gaussian_1d):
    rho, _ = small_gaussian_1d
    with raises_naming(f"unknown tracker {name!r}", "accepted", "'renyi:a'", "a != 1"):
        track([rho], [name])


def test_non_string_names_and_mixed_grids_are_refused(small_gaussian_1d):
    rho, _ = small_gaussian_1d
    with raises_naming("tracker names are strings", "got 2.0"):
        track([rho], ["shannon", 2.0])
    other = wg.exact.heat_gaussian(wg.Grid([(-1.0, 1.0)], 33), 0.0, 0.02, 0.0)
    with raises_naming("the densities of a trajectory", "different grids", error=GridMismatchError):
        track([rho, other], ["mass"])


def test_track_rejects_other_bad_input(gaussian_2d):
    rho, _ = gaussian_2d
    with pytest.raises(WgflowError, match="energy"):
        track([rho], ["energy"])
    with pytest.raises(WgflowError, match="unknown tracker"):
        track([rho], ["entropy"])
    with pytest.raises(WgflowError, match="one time per density"):
        track([rho, rho], ["mass"], times=[0.0])
    with pytest.raises(WgflowError, match="at least one"):
        track([], ["mass"])
    with pytest.raises(WgflowError, match=r"densities\[1\] must be a wgflow.Density"):
        track([rho, rho.values], ["mass"])
