#!/usr/bin/env bash
# The README's two commands, made to work on a stock Debian 12 (whose python3
# refuses `pip install` outside a virtualenv, PEP 668, and ships without
# ensurepip): everything goes into ./.venv, created with Debian's python3-venv
# when the interpreter cannot make one by itself.
#
#   bash packaging/dev.sh demo [ARGS]   install into .venv, run the embedded demo
#   bash packaging/dev.sh test [ARGS]   install Debian's test servers and the dev
#                                       extras, run the tests (pytest ARGS)
#   bash packaging/dev.sh venv          only create/refresh .venv (prints its python)
#
# PYTHON picks the interpreter for the venv (default: python3 on PATH).
# Safe to run again: an up-to-date .venv is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="${CFLEXAGENT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

say() { printf 'dev.sh: %s\n' "$*" >&2; }

apt_install() {
  # Debian packages, without starting their services (tests start their own on loopback).
  # A policy-rc.d that was already there is put back as it was.
  export DEBIAN_FRONTEND=noninteractive
  local saved=""
  if [ -e /usr/sbin/policy-rc.d ]; then
    saved=$(mktemp)
    $SUDO cp -p /usr/sbin/policy-rc.d "$saved"
  fi
  $SUDO apt-get update -qq
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  local rc=0
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null || rc=$?
  if [ -n "$saved" ]; then
    $SUDO cp -p "$saved" /usr/sbin/policy-rc.d
    $SUDO rm -f "$saved"
  else
    $SUDO rm -f /usr/sbin/policy-rc.d
  fi
  return $rc
}

missing_debs() {
  local out=""
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || out="$out $p"; done
  echo "$out"
}

ensure_venv() {
  local extras="$1"
  command -v "$PYTHON" >/dev/null || { say "$PYTHON not found; install python3 (3.11 or newer)"; exit 2; }
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { say "$PYTHON is $("$PYTHON" -V 2>&1); cflexagent needs Python 3.11 or newer"; exit 2; }
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      # Debian splits venv/ensurepip out of python3 (and Python.h, for the compiled hot path).
      if command -v apt-get >/dev/null; then
        local ver
        ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        say "installing Debian's python$ver-venv (venv and pip for $PYTHON)"
        apt_install "python$ver-venv" python3-dev gcc
      else
        say "$PYTHON cannot create a virtualenv (no ensurepip); install your distribution's venv package"
        exit 2
      fi
    fi
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp="$VENV/.cflexagent-installed"
  local want
  # The compiled modules' sources (compiled.SOURCES): an edit of one rebuilds it.
  local sources
  sources=$(sed -n '/^SOURCES = /,/)$/p' cflexagent/compiled.py | grep -o '"[^"]*\.py"' | tr -d '"')
  # shellcheck disable=SC2086
  want="$extras $(cat pyproject.toml setup.py cflexagent/compiled.py $sources | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing cflexagent into $VENV (compiles the logs hot path with mypyc; about a minute)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".$extras"
    echo "$want" > "$stamp"
  fi
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  demo)
    ensure_venv ""
    exec "$VENV/bin/python" -m cflexagent run --demo "$@"
    ;;
  test)
    debs="openssh-server openssh-client prometheus prometheus-alertmanager prometheus-node-exporter
          prometheus-blackbox-exporter rclone nginx binutils gcc"
    missing=$(missing_debs $debs)
    if [ -n "$missing" ]; then
      say "installing Debian packages the tests run for real:$missing"
      apt_install $missing
    fi
    ensure_venv "[dev]"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  venv)
    ensure_venv "[dev]"
    echo "$VENV/bin/python"
    ;;
  *)
    echo "usage: bash packaging/dev.sh demo|test|venv [ARGS]" >&2
    exit 2
    ;;
esac
