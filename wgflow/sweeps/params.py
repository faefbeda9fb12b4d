"""The parameters of a sweep: their checks, the product of lists (:func:`sweep_product`) and
the stable key of each run that names its files."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import WgflowError

#: Columns of the sweep's table that are not parameters; no parameter may take these names.
RESERVED = ("success", "message", "error", "seconds", "resumed", "file")
#: Hexadecimal digits of the key of a run (48 bits of a SHA-256 hash of its parameters).
KEY_LENGTH = 12

ACCEPTED_VALUES = "numbers, strings, booleans, None, or lists of these"


@dataclass(frozen=True)
class Run:
    """One run of a sweep.

    Attributes
    ----------
    index : int
        Its position in the sweep's list of parameters (its row of the table).
    params : dict
        The parameters as given (what ``run`` receives).
    plain : dict
        The parameters as plain JSON values (NumPy scalars as numbers, tuples as lists).
    key : str
        The stable key of the parameters (:func:`params_key`).
    """

    index: int
    params: dict[str, Any]
    plain: dict[str, Any]
    key: str


def _plain(value: Any, where: str) -> Any:
    """``value`` as a plain JSON value, or an error naming ``where``."""
    if isinstance(value, np.generic) and not isinstance(value, (np.void, np.object_)):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise WgflowError(
        f"{where} = {value!r} is a {type(value).__name__}; accepted: {ACCEPTED_VALUES} (a "
        "parameter names its run's files and fills a column of the table; pass a name or "
        "an index and build the object inside run)"
    )


def params_key(plain: Mapping[str, Any]) -> str:
    """The stable key of a run's parameters: the first :data:`KEY_LENGTH` hexadecimal
    digits of the SHA-256 hash of their canonical JSON text (keys sorted, floats by their
    shortest round-trip form), the same in every process and Python session."""
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def check_params(params: object) -> list[Run]:
    """Check the parameters of a sweep and give each run its key.

    Parameters
    ----------
    params : list of dict
        One dict of parameters per run: string keys, values that are numbers, strings,
        booleans, ``None`` or lists of these.

    Returns
    -------
    list of Run

    Raises
    ------
    WgflowError
        If ``params`` is not a list (or tuple) of dicts, a key is not a string or is a
        reserved column name (:data:`RESERVED`), a value is of another type, or two runs
        have the same parameters (they would share their files).
    """
    if not isinstance(params, (list, tuple)):
        raise WgflowError(
            f"params must be a list of dicts of parameters, one per run (e.g. "
            f"wg.sweep_product(m=[2, 3], dt=[1e-3, 5e-4])), got {type(params).__name__}"
        )
    runs: list[Run] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(params):
        if not isinstance(entry, Mapping):
            raise WgflowError(
                f"params[{index}] must be a dict of parameters, got {type(entry).__name__} "
                f"{entry!r}"
            )
        for name in entry:
            if not isinstance(name, str) or not name:
                raise WgflowError(
                    f"params[{index}] has the key {name!r}; accepted: non-empty strings"
                )
            if name in RESERVED:
                raise WgflowError(
                    f"params[{index}] has the parameter {name!r}, a column of the table; "
                    f"rename it (reserved: {', '.join(RESERVED)})"
                )
        plain = {name: _plain(value, f"params[{index}][{name!r}]") for name, value in entry.items()}
        key = params_key(plain)
        if key in seen:
            raise WgflowError(
                f"params[{index}] repeats params[{seen[key]}] ({plain}); each run is stored "
                "under its parameters, so they must differ"
            )
        seen[key] = index
        runs.append(Run(index, dict(entry), plain, key))
    return runs


def sweep_product(**lists: Sequence[Any]) -> list[dict[str, Any]]:
    """The parameters of every combination of the given lists, the first keyword varying
    slowest (like :func:`itertools.product`).

    Parameters
    ----------
    **lists : list
        For each parameter, the list of its values (a fixed value is a list of one).

    Returns
    -------
    list of dict
        One dict per combination, keys in the order of the keywords.

    Raises
    ------
    WgflowError
        If a value is not a non-empty list or tuple.

    Examples
    --------
    >>> sweep_product(m=[2, 3], dt=[1e-3])
    [{'m': 2, 'dt': 0.001}, {'m': 3, 'dt': 0.001}]
    """
    for name, values in lists.items():
        if not isinstance(values, (list, tuple)):
            raise WgflowError(
                f"sweep_product: {name} must be a list of values, got {values!r} (a fixed "
                f"value is a list of one: {name}=[{values!r}])"
            )
        if not values:
            raise WgflowError(f"sweep_product: {name} is an empty list; give it a value")
    names = list(lists)
    return [dict(zip(names, combination))
            for combination in itertools.product(*lists.values())]
