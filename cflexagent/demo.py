"""Demo-only components for ``cflexagent run --demo`` (never part of a real config)."""

from __future__ import annotations

from .component import Component
from .config import Config


def demo_components(config: Config) -> list[Component]:
    return []
