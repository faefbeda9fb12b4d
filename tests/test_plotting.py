"""Tests of wgflow.plotting: snapshots in 1-D/2-D/3-D, tracked curves, bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import wgflow as wg  # noqa: E402
from wgflow.plotting import plot_result, plot_snapshots, plot_tracked, save_figure  # noqa: E402


def gaussians(ndim, n=12, count=3):
    grid = wg.Grid([(-1, 1)] * ndim, n)
    return [wg.exact.heat_gaussian(grid, [0.0] * ndim, 0.05, t) for t in np.linspace(0, 0.02, count)]


@pytest.fixture(scope="module")
def result_1d():
    grid = wg.Grid([(-1, 1)], 32)
    rho0 = wg.exact.heat_gaussian(grid, 0.0, 0.02, 0.0)
    return wg.solve(wg.flows.Heat(), rho0, t_end=0.004, dt=1e-3, track=["shannon", "mass"])


@pytest.fixture(scope="module")
def result_2d():
    grid = wg.Grid([(-1, 1), (-1, 1)], 16)
    rho0 = wg.exact.heat_gaussian(grid, [0.0, 0.0], 0.03, 0.0)
    return wg.solve(wg.flows.Heat(), rho0, t_end=0.002, dt=1e-3, track=["shannon", "renyi:2"])


def not_uniform(path):
    pixels = mpimg.imread(path)
    return pixels.ndim == 3 and not np.all(pixels == pixels[0, 0])


# -- plot_snapshots ------------------------------------------------------------------------
def test_snapshots_1d_draws_one_curve_per_density():
    densities = gaussians(1, n=40, count=4)
    fig = plot_snapshots(densities, [0, 0.1, 0.2, 0.3])
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == 4
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), densities[2].values)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), densities[0].grid.axes[0])
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "t = 0.1"


def test_snapshots_2d_share_one_colour_scale(tmp_path):
    densities = gaussians(2, count=3)
    fig = plot_snapshots(densities, [0, 1, 2], title="heat")
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 3
    assert len({im.get_clim() for im in images}) == 1
    assert images[0].get_clim() == (0.0, pytest.approx(densities[0].values.max()))
    # first grid axis horizontal: the image array is the transpose of the values
    np.testing.assert_array_equal(images[1].get_array(), densities[1].values.T)
    assert len(fig.axes) == 4  # three images and the colour bar
    path = save_figure(fig, tmp_path / "snap.png")
    assert path.stat().st_size > 0 and not_uniform(path)


def test_snapshots_3d_show_middle_slice():
    densities = gaussians(3, n=8, count=2)
    fig = plot_snapshots(densities)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 2
    np.testing.assert_array_equal(images[0].get_array(), densities[0].values[:, :, 4].T)
    assert "middle slice z = " in fig.get_suptitle()


def test_snapshots_select_evenly_keeping_first_and_last():
    densities = gaussians(1, count=10)
    fig = plot_snapshots(densities, np.arange(10.0), max_snapshots=3)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == "t = 0" and labels[-1] == "t = 9" and len(labels) == 3
    assert len(plot_snapshots(densities, max_snapshots=None).axes[0].lines) == 10


def test_single_density_and_labels_and_view():
    (rho,) = gaussians(2, count=1)
    fig = plot_snapshots(rho, labels=["exact"], view=[(-0.5, 0.5), (-0.25, 0.25)])
    ax = fig.axes[0]
    assert ax.get_title() == "exact"
    assert ax.get_xlim() == (-0.5, 0.5) and ax.get_ylim() == (-0.25, 0.25)


def test_figures_are_not_registered_with_pyplot():
    before = plt.get_fignums()
    plot_snapshots(gaussians(2))
    assert plt.get_fignums() == before


def test_draws_into_a_given_figure():
    fig = plt.figure()
    try:
        assert plot_snapshots(gaussians(1), fig=fig) is fig
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "densities, kwargs, match",
    [
        ([], {}, "empty"),
        (np.ones((4, 4)), {}, "Density"),
        ([1.0, 2.0], {}, "not a wgflow Density"),
        (gaussians(1) + gaussians(2), {}, "same dimension"),
        (gaussians(1, count=3), {"times": [0, 1]}, "one time per density"),
        (gaussians(1, count=3), {"labels": ["a"]}, "one label per density"),
        (gaussians(2), {"view": [(0, 1)]}, "view must hold 2"),
        (gaussians(1), {"view": [(1, 0)]}, "lo < hi"),
        (gaussians(1), {"max_snapshots": 0}, "max_snapshots"),
        (gaussians(1), {"cmap": "no-such-map"}, "colour map"),
    ],
)
def test_snapshots_bad_input(densities, kwargs, match):
    with pytest.raises(wg.WgflowError, match=match):
        plot_snapshots(densities, **kwargs)


# -- plot_tracked ----------------------------------------------------------------------------
def test_tracked_one_panel_per_name_with_exact_dashed(result_1d):
    times = np.linspace(0, 0.004, 9)
    exact = {"shannon": (times, [wg.exact.gaussian_shannon_entropy(0.02 + 2 * t) for t in times])}
    fig = plot_tracked(result_1d, exact=exact)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["Shannon entropy H", "mass"]
    dashed = [line for line in visible[0].lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1
    np.testing.assert_array_equal(dashed[0].get_xdata(), times)
    solid = visible[0].lines[0]
    np.testing.assert_array_equal(solid.get_ydata(), result_1d.tracked["shannon"])
    np.testing.assert_array_equal(solid.get_xdata(), result_1d.tracked_times["shannon"])


def test_tracked_names_and_extra_panel(result_1d):
    fig = plot_tracked(result_1d, names="mass", extra={"error": ([1, 2, 3], [1e-3, 1e-2, 1e-1])})
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["mass", "error"]
    assert visible[1].get_yscale() == "log"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"names": ["renyi:2"]}, "not tracked"),
        ({"exact": {"renyi:2": ([0], [1])}}, "not plotted"),
        ({"exact": {"shannon": ([0, 1], [1])}}, "equal"),
        ({"exact": {"shannon": 3.0}}, "pair"),
        ({"ncols": 0}, "ncols"),
    ],
)
def test_tracked_bad_input(result_1d, kwargs, match):
    with pytest.raises(wg.WgflowError, match=match):
        plot_tracked(result_1d, **kwargs)


def test_tracked_needs_a_result_with_tracked_values(result_1d):
    with pytest.raises(wg.WgflowError, match="SolveResult"):
        plot_tracked({"shannon": [1, 2]})
    empty = wg.solve(wg.flows.Heat(), result_1d.densities[0], t_end=1e-3, dt=1e-3)
    with pytest.raises(wg.WgflowError, match="tracked no functionals"):
        plot_tracked(empty)


# -- plot_result and save_figure -----------------------------------------------------------
def test_result_1d_with_exact_and_error(result_1d, tmp_path):
    exact_final = wg.exact.heat_gaussian(result_1d.grid, 0.0, 0.02, result_1d.times[-1])
    errors = [rho.relative_l1_error(wg.exact.heat_gaussian(rho.grid, 0.0, 0.02, t))
              for rho, t in zip(result_1d.densities, result_1d.times)]
    fig = plot_result(result_1d, exact_final=exact_final, error=(result_1d.times, errors))
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "relative L1 error vs exact" in titles
    assert any(t.startswith("final relative L1 error") for t in titles)
    assert any(line.get_linestyle() == "--" for line in fig.axes[0].lines)
    path = save_figure(fig, tmp_path / "sub" / "result")
    assert path.name == "result.png" and not_uniform(path)


def test_result_2d_adds_exact_image(result_2d):
    exact_final = wg.exact.heat_gaussian(result_2d.grid, [0, 0], 0.03, result_2d.times[-1])
    fig = plot_result(result_2d, exact_final=exact_final, max_snapshots=2)
    images = [ax for ax in fig.axes if ax.get_images()]
    assert [ax.get_title() for ax in images][-1].startswith("exact")
    assert len(images) == 3


def test_result_without_tracked_values(result_1d):
    plain = wg.solve(wg.flows.Heat(), result_1d.densities[0], t_end=1e-3, dt=1e-3)
    fig = plot_result(plain)
    assert len(fig.axes) == 1


def test_result_bad_input(result_1d, result_2d):
    with pytest.raises(wg.WgflowError, match="SolveResult"):
        plot_result(result_1d.densities)
    empty = wg.SolveResult(times=np.array([]), densities=[], tracked={}, tracked_times={},
                           success=False, message="nothing", flow="heat", method="jko")
    with pytest.raises(wg.WgflowError, match="empty"):
        plot_result(empty)
    with pytest.raises(wg.WgflowError, match="different grids"):
        plot_result(result_1d, exact_final=result_2d.final)
    with pytest.raises(wg.WgflowError, match="Density"):
        plot_result(result_1d, exact_final=np.zeros(32))


def test_save_figure_rejects_non_figures(tmp_path):
    with pytest.raises(wg.WgflowError, match="Figure"):
        save_figure("not a figure", tmp_path / "x.png")
