"""Demo-only components for ``cflexagent run --demo`` (never part of a real config)."""

from __future__ import annotations

from pathlib import Path

from .component import Component
from .config import Config


def demo_config_additions(state_dir: Path) -> str:
    """TOML appended to the demo config once demo-only servers are up (e.g. the storage sshd)."""
    from .storage.demo import storage_demo_toml

    return storage_demo_toml(state_dir)


def demo_components(config: Config) -> list[Component]:
    from .storage.demo import storage_demo_components

    return [*storage_demo_components()]
