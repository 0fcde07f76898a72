"""Logs to Loki: tail files, parse, transform, spool durably, push (see ``pipeline.py``).

This module stays light: the capability functions import the machinery only
when ``[logs]`` is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..component import Component, Context, Problem
    from ..config import Config


def build(config: Config, ctx: Context) -> list[Component]:
    if not config.logs.sources and config.logs.loki is None and config.logs.console is None:
        return []
    from .capability import build as _build

    return _build(config, ctx)


def prepare(config: Config, ctx: Context) -> None:
    if not config.logs.sources:
        return
    from .capability import prepare as _prepare

    _prepare(config, ctx)


def summary(config: Config) -> list[str]:
    from .capability import summary as _summary

    return _summary(config)


def check(config: Config) -> list[Problem]:
    if not config.logs.sources and config.logs.loki is None:
        return []
    from .capability import check as _check

    return _check(config)
