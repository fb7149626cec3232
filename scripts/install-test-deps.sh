#!/usr/bin/env bash
# Installs what the test suite needs beyond npm: Debian's Chromium for the browser tests (never a
# browser download). Needs root (or sudo).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
