"""Tests of wgflow.errors: the exception types and each input check of the validation layer.

Every check must return the accepted value (converted) and refuse the rest with a
:class:`~wgflow.errors.WgflowError` whose message names the argument, the bad value and what
is accepted.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import raises_naming

import wgflow as wg
from wgflow.errors import (
    ConvergenceWarning,
    GridMismatchError,
    WgflowError,
    check_bool,
    check_choice,
    check_density,
    check_exponent,
    check_finite_nonnegative,
    check_integer,
    check_nonnegative,
    check_order,
    check_points,
    check_positive,
)


def test_exception_hierarchy():
    # callers may catch wgflow's errors as ValueError, and its warnings as RuntimeWarning
    assert issubclass(WgflowError, ValueError)
    assert issubclass(GridMismatchError, WgflowError)
    assert issubclass(ConvergenceWarning, RuntimeWarning)


@pytest.mark.parametrize("value", [2, 0.5, 1e-300, np.float32(3.5), np.int64(7)])
def test_check_positive_accepts_positive_reals_as_float(value):
    result = check_positive("gamma", value)
    assert type(result) is float and result == float(value)


@pytest.mark.parametrize(
    "value, shown, accepted",
    [(0, "0.0", "> 0"), (-1.5, "-1.5", "> 0"), (float("nan"), "nan", "> 0"),
     (float("inf"), "inf", "> 0"), (True, "True", "positive real number"),
     ("1", "'1'", "positive real number"), (None, "None", "positive real number"),
     ([1.0], "[1.0]", "positive real number")],
)
def test_check_positive_refuses_the_rest(value, shown, accepted):
    with raises_naming("gamma must be", shown, accepted):
        check_positive("gamma", value)


def test_check_positive_with_allow_inf_takes_inf_and_names_it_in_the_message():
    assert check_positive("rtol", float("inf"), allow_inf=True) == float("inf")
    assert check_positive("rtol", 1e-2, allow_inf=True) == 1e-2
    for value in (0.0, -1.0, float("nan"), float("-inf")):
        with raises_naming("rtol must be a number > 0 or inf", repr(value)):
            check_positive("rtol", value, allow_inf=True)


@pytest.mark.parametrize("value, minimum", [(1, 1), (np.int32(5), 2), (0, 0), (-3, -3)])
def test_check_integer_accepts_integers_as_int(value, minimum):
    result = check_integer("n", value, minimum)
    assert type(result) is int and result == int(value)


@pytest.mark.parametrize(
    "value, minimum, shown",
    [(0, 1, "0"), (1, 2, "1"), (2.0, 1, "2.0"), (True, 1, "True"), ("3", 1, "'3'"),
     (np.float64(3.0), 1, "3.0")],
)
def test_check_integer_refuses_the_rest(value, minimum, shown):
    with raises_naming("n must be an integer", f">= {minimum}", shown):
        check_integer("n", value, minimum)


def test_check_finite_nonnegative_names_the_first_bad_value_and_its_index():
    check_finite_nonnegative("values", np.array([[0.0, 1.0], [2.0, 3.0]]))
    values = np.ones((3, 4))
    values[1, 2] = -0.25
    values[2, 0] = -7.0
    with raises_naming("values must be non-negative", "-0.25", "(1, 2)"):
        check_finite_nonnegative("values", values)
    values[2, 3] = np.nan  # non-finite values are reported before negative ones
    with raises_naming("values must be finite", "nan", "(2, 3)"):
        check_finite_nonnegative("values", values)
    with raises_naming("weights must be finite", "inf", "(1,)"):
        check_finite_nonnegative("weights", np.array([1.0, np.inf]))


def test_check_choice_lists_what_is_accepted():
    accepted = ("separable", "dense")
    assert check_choice("kernel kind", "dense", accepted) == "dense"
    with raises_naming("unknown kernel kind 'fft'", "'separable', 'dense'"):
        check_choice("kernel kind", "fft", accepted)
    with raises_naming("unknown kernel kind 3", "'separable', 'dense'"):
        check_choice("kernel kind", 3, list(accepted))


def test_check_exponent_accepts_reals_above_one():
    assert check_exponent("m", 1.5) == 1.5
    assert type(check_exponent("m", 3)) is float
    for value in (1, 1.0, 0.5, -2.0, float("nan"), float("inf"), "2", True):
        with raises_naming("m must be", "> 1", "heat", repr(value)):
            check_exponent("m", value)


def test_check_order_accepts_positive_reals():
    assert check_order("a", 0.5) == 0.5
    assert check_order("a", 1) == 1.0
    for value, shown in ((0.0, "0.0"), (-1.0, "-1.0"), (float("inf"), "inf")):
        with raises_naming("a must be", "> 0", shown):
            check_order("a", value)


def test_check_density_accepts_a_density_of_positive_mass():
    rho = wg.Density(wg.Grid([(-1.0, 1.0), (0.0, 3.0)], (4, 3)), np.eye(4, 3))
    assert check_density("rho", rho) is rho


@pytest.mark.parametrize("bad", [np.ones((4, 3)), None, [1.0, 2.0]])
def test_check_density_refuses_other_types_naming_the_argument_and_type(bad):
    with raises_naming("mu0 must be a wgflow.Density", f"got {type(bad).__name__}"):
        check_density("mu0", bad)


def test_check_density_refuses_zero_mass():
    zero = wg.Density(wg.Grid([(-1.0, 1.0), (0.0, 3.0)], (4, 3)), np.zeros((4, 3)))
    with raises_naming("rho has zero mass", "accepted: a density with positive mass"):
        check_density("rho", zero)


def test_check_nonnegative_accepts_zero_and_positive_reals():
    assert check_nonnegative("t", 0) == 0.0 and check_nonnegative("t", 2.5) == 2.5
    for value in (-1e-300, float("nan"), float("inf"), True, "1"):
        with raises_naming("t must be", ">= 0", repr(value)):
            check_nonnegative("t", value)


def test_check_bool_accepts_only_booleans():
    assert check_bool("debias", True) is True and check_bool("debias", np.bool_(False)) is False
    for value in (1, 0, "yes", None):
        with raises_naming("debias must be True or False", repr(value)):
            check_bool("debias", value)


def test_check_points_accepts_k_by_d_and_reads_1d_points_as_a_column():
    points = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    assert np.array_equal(check_points("samples", points), points)
    assert np.array_equal(check_points("samples", points, dim=2), points)
    column = check_points("samples", [1, 2, 3])
    assert column.shape == (3, 1) and column.dtype == float
    assert check_points("samples", np.zeros((5, 3)), dim=3).shape == (5, 3)


@pytest.mark.parametrize(
    "bad, dim, fragments",
    [
        (np.zeros((0, 2)), None, ["x must have shape (k, d) with k >= 1", "got (0, 2)"]),
        (np.zeros(0), None, ["got (0, 1)"]),
        (np.zeros((4, 2)), 3, ["x must have shape (k, 3)", "got (4, 2)"]),
        (np.zeros(4), 2, ["x must have shape (k, 2)", "got (4,)"]),
        (np.zeros((2, 2, 2)), None, ["got (2, 2, 2)"]),
        (np.zeros((4, 4)), None, ["x must have d = 1, 2 or 3 columns", "got 4"]),
        ([["a", "b"]], None, ["x must be an array of shape (k, d) of real numbers"]),
    ],
)
def test_check_points_refuses_wrong_shapes_and_types(bad, dim, fragments):
    with raises_naming(*fragments):
        check_points("x", bad, dim)


def test_check_points_names_the_first_bad_row_and_counts_them():
    points = np.zeros((6, 2))
    points[2, 1] = np.inf
    points[4, 0] = np.nan
    points[5] = np.nan
    with raises_naming("samples must be finite", "[0.0, inf] at row 2", "3 bad rows in all"):
        check_points("samples", points)
