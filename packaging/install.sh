#!/usr/bin/env bash
# Installs the one-file binary as a systemd service:
#   sudo packaging/install.sh [path/to/cflexagent] [--no-start]
# Creates the cflexagent system user (in the adm and systemd-journal groups so
# it can read nginx, syslog and journal logs), /etc/cflexagent with the
# documented example config (kept if present), /var/lib/cflexagent (0700),
# and the unit; then validates the config and starts the service.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${1:-$here/../dist/cflexagent}"
start=1
for arg in "$@"; do [ "$arg" = "--no-start" ] && start=0; done
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 2; }
[ -x "$binary" ] || { echo "install.sh: $binary: not an executable (build it with packaging/build.sh)" >&2; exit 2; }

# The one-file binary unpacks itself under $TMPDIR; /tmp may be noexec.
export TMPDIR=/var/lib/cflexagent/.runtime
install -d -m 0700 /var/lib/cflexagent "$TMPDIR"

getent group cflexagent >/dev/null || groupadd --system cflexagent
if ! getent passwd cflexagent >/dev/null; then
  useradd --system --gid cflexagent --home-dir /var/lib/cflexagent --no-create-home \
          --shell /usr/sbin/nologin --comment "cflexagent monitoring agent" cflexagent
fi
for g in adm systemd-journal; do getent group "$g" >/dev/null && usermod -a -G "$g" cflexagent; done

install -m 0755 "$binary" /usr/local/bin/cflexagent
install -d -m 0750 -o root -g cflexagent /etc/cflexagent
install -d -m 0700 -o cflexagent -g cflexagent /var/lib/cflexagent /var/lib/cflexagent/.runtime
if [ ! -e /etc/cflexagent/cflexagent.toml ]; then
  /usr/local/bin/cflexagent init /etc/cflexagent/cflexagent.toml
  chgrp cflexagent /etc/cflexagent/cflexagent.toml
fi
install -m 0644 "$here/cflexagent.service" /etc/systemd/system/cflexagent.service

/usr/local/bin/cflexagent check -c /etc/cflexagent/cflexagent.toml
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable cflexagent.service
  if [ "$start" -eq 1 ]; then
    systemctl restart cflexagent.service
    systemctl --no-pager status cflexagent.service | head -n 5
  fi
else
  echo "install.sh: systemd is not running here; unit installed, start it with: systemctl enable --now cflexagent"
fi
