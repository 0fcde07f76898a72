"""Config of ``[storage]``: SFTP scans of the cPanel account, quota, snapshots."""

from __future__ import annotations

from ..configtypes import Section


class StorageConfig(Section):
    pass
