#!/usr/bin/env bash
# Installs everything the tests and benchmarks use: Debian's real servers and
# tools (OpenSSH sshd, promtool, amtool, Alertmanager, blackbox_exporter,
# rclone, nginx) and the package with its dev extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs="openssh-server openssh-client prometheus prometheus-alertmanager prometheus-blackbox-exporter rclone nginx binutils"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # The packages' own services are not wanted: tests start their own on loopback.
  echo exit 101 | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
python3 -m pip install -q --disable-pip-version-check -e '.[dev]'
