#!/usr/bin/env bash
# Installs what the test suite needs beyond npm, from Debian's packages (never a download of its own):
# Chromium for the browser tests; nginx, Caddy and HAProxy for the gateway test, which runs the README's
# configurations. Only what is missing is installed, with one apt-get update. The packages' services
# are not started: the tests run each binary themselves, on free ports. Needs root (or sudo).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  # policy-rc.d answering 101 keeps the new services from starting on ports 80 and 443 (Debian's
  # invoke-rc.d honours it); an existing one is left as it was.
  POLICY=/usr/sbin/policy-rc.d
  ADDED=""
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY" && ADDED=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ -n "$ADDED" ]; then $SUDO rm -f "$POLICY"; fi
  # Where systemd runs, keep them off after a reboot too.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for s in nginx caddy haproxy; do $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true; done
  fi
fi
