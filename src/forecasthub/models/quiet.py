"""Silence chatty libraries (Lightning, GluonTS, cmdstanpy, Prophet) for the duration of a fit."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


@contextmanager
def quiet_logs(loggers: Iterable[str], *categories: type[Warning]) -> Iterator[None]:
    """The named loggers at ERROR and the warning ``categories`` ignored; both restored after."""
    levels = {}
    for name in loggers:
        lg = logging.getLogger(name)
        levels[name] = lg.level
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            for category in categories:
                warnings.simplefilter("ignore", category)
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
