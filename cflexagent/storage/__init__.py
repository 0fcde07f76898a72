"""cPanel storage over SFTP: scheduled directory-listing scans, daily snapshots, UAPI quota.

``sftp.py`` holds the scanner component (``storage.sftp``) and the pinned,
lockout-safe login; ``walk.py`` the concurrent listing and accounting;
``snapshots.py`` the SQLite history; ``quota.py`` the UAPI client and its
poller component (``storage.quota``);
``metrics.py`` the metric families; ``cli.py`` the ``storage`` subcommands.
This module stays import-light: asyncssh is imported only when
``[storage.sftp]`` is configured.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..component import Component, Context, Problem
    from ..config import Config


def build(config: Config, ctx: Context) -> list[Component]:
    out: list[Component] = []
    st = config.storage
    if st.sftp is not None:
        from .sftp import StorageScanner

        out.append(StorageScanner(st, ctx))
    if st.cpanel_quota is not None:
        from .quota import QuotaPoller

        out.append(QuotaPoller(st.cpanel_quota, ctx))
    return out


def summary(config: Config) -> list[str]:
    st = config.storage
    out: list[str] = []
    if st.sftp is not None:
        s = st.sftp
        when = f"daily at {s.daily_at}" + (f" {s.timezone}" if s.timezone else "") if s.daily_at \
            else f"every {float(s.interval):g}s"
        out.append(f"storage    sftp {s.username}@{s.host}:{s.port}, {len(s.areas)} areas "
                   f"({', '.join(a.name for a in s.areas)}), {when}")
    if st.cpanel_quota is not None:
        out.append(f"storage    cPanel quota from {st.cpanel_quota.url} every {float(st.cpanel_quota.interval):g}s")
    return out


def check(config: Config) -> list[Problem]:
    from ..component import Problem

    st = config.storage
    problems: list[Problem] = []
    if st.sftp is not None:
        s = st.sftp
        if not os.path.exists(s.known_hosts):
            problems.append(Problem("error", f"storage.sftp.known_hosts: {s.known_hosts} does not exist; "
                                             "create it with: cflexagent storage trust"))
        if s.password_file and not s.key_file:
            problems.append(Problem("warning", "storage.sftp.password_file: password logins are discouraged; "
                                               "use key_file"))
    if st.cpanel_quota is not None:
        q = st.cpanel_quota
        if q.ca_file and os.access(q.ca_file, os.R_OK):
            from .quota import QuotaError, ssl_context

            try:
                ssl_context(q)
            except QuotaError as e:
                problems.append(Problem("error", f"storage.cpanel_quota.ca_file: {e}"))
    return problems
