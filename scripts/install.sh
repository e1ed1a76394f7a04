#!/usr/bin/env bash
# Install the gate controller on a gate computer running Debian 13 (trixie) or newer, with Debian's own nodejs and
# npm packages (Node 20 in trixie; no third-party Node repository, whose nodejs conflicts with Debian's npm): an
# unprivileged `gate` user in the dialout and plugdev groups, the code in /opt/gate, the config in /etc/gate, the
# database in /var/lib/gate, udev rules for HID scanners, and a systemd unit (Type=notify, watchdog) that restarts on
# failure. No socat: production talks to real serial ports; socat is for the simulator and the tests only.
# Usage: sudo scripts/install.sh [CONFIG.json]
# GATE_OS_RELEASE names another os-release file (the tests' preflight cases); GATE_INSTALL_PREFLIGHT_ONLY=1 stops
# after the checks.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-}
os_release=${GATE_OS_RELEASE:-/etc/os-release}
stop() { echo "install.sh: $*" >&2; exit 1; }

# --- preflight: each failure is one line saying what is needed ------------------------------------------------------
[ -r "$os_release" ] || stop "needs Debian 13 (trixie) or newer; cannot read $os_release"
# In a subshell: os-release is shell syntax, and its names must not leak into this script.
os_id=$(. "$os_release"; echo "${ID:-unknown}")
os_version=$(. "$os_release"; echo "${VERSION_ID:-}")
os_name=$(. "$os_release"; echo "${PRETTY_NAME:-${ID:-unknown}}")
[ "$os_id" = debian ] || stop "needs Debian 13 (trixie) or newer, whose nodejs package is Node 20 or newer; this is $os_name"
# testing and unstable have no VERSION_ID: they are newer than the last release.
if [ -n "$os_version" ] && [ "${os_version%%.*}" -lt 13 ] 2>/dev/null; then
  stop "needs Debian 13 (trixie) or newer, whose nodejs package is Node 20 or newer; this is $os_name: upgrade the gate OS first"
fi
[ "$(id -u)" = 0 ] || stop "run as root (sudo)"
[ "${GATE_INSTALL_PREFLIGHT_ONLY:-}" = 1 ] && { echo "install.sh: preflight ok ($os_name)"; exit 0; }

# --- packages: Debian's own; update the lists first (a fresh image has none, an old one names removed versions) -----
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# better-sqlite3 fetches a prebuilt binary from GitHub during `npm ci`, and compiles one where GitHub cannot be
# reached (a station network), which needs make and g++. They are there for the build only: removed again
# afterwards unless they were installed before.
build_tools=()
for pkg in make g++; do dpkg -s "$pkg" >/dev/null 2>&1 || build_tools+=("$pkg"); done
apt-get install -y -qq --no-install-recommends nodejs npm ca-certificates libusb-1.0-0 udev systemd "${build_tools[@]}" >/dev/null
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || stop "needs Node 20 or newer; /usr/bin/node is $(node --version) (another nodejs package pinned? apt-cache policy nodejs)"

id gate >/dev/null 2>&1 || useradd --system --home /var/lib/gate --shell /usr/sbin/nologin gate
getent group plugdev >/dev/null || groupadd --system plugdev
usermod -aG dialout,plugdev gate

install -d -o root -g root -m 0755 /opt/gate
cp -a "$src/bin" "$src/src" "$src/firmware-bridge" "$src/config" "$src/package.json" "$src/package-lock.json" "$src/tsconfig.json" "$src/tsconfig.build.json" /opt/gate/
(cd /opt/gate && npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund)
if ((${#build_tools[@]})); then apt-get purge -y -qq --auto-remove "${build_tools[@]}" >/dev/null; fi
# `gate doctor`, `gate status` ... as the docs write them: the CLI on every user's PATH.
ln -sfn /opt/gate/bin/gate.js /usr/local/bin/gate

install -d -o root -g gate -m 0750 /etc/gate
if [ -n "$config" ]; then install -o root -g gate -m 0640 "$config" /etc/gate/gate.json; fi
# Editors check /etc/gate/gate.json against the schema beside it ("$schema": "./schema.json").
install -o root -g gate -m 0644 "$src/config/schema.json" /etc/gate/schema.json
[ -f /etc/gate/gate.json ] || echo "install.sh: put the site config in /etc/gate/gate.json (see config/gate.example.jsonc)" >&2
install -d -o gate -g gate -m 0750 /var/lib/gate

# Let the gate user open HID keyboard-wedge scanners through hidraw; serial ports are dialout's already.
cat > /etc/udev/rules.d/70-gate-hidraw.rules <<'RULES'
KERNEL=="hidraw*", SUBSYSTEM=="hidraw", GROUP="plugdev", MODE="0660"
RULES
# Reload the rules and apply them to the devices already plugged in (a rule alone only affects the next plug-in).
if udevadm control --ping >/dev/null 2>&1; then
  udevadm control --reload && udevadm trigger --subsystem-match=hidraw --action=change
else
  echo "install.sh: udev is not running here (chroot or container): the hidraw rule applies from the next boot" >&2
fi

install -m 0644 "$src/scripts/gate.service" /etc/systemd/system/gate.service
# Without a running systemd (a chroot) only the enable symlink is made; the unit starts at the next boot.
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
systemctl enable gate.service
if [ -f /etc/gate/gate.json ]; then
  # As the user the unit runs as: root reads a TLS key or secret file that the gate user cannot, and doctor would
  # pass where `gate run` fails.
  runuser -u gate -- /usr/bin/node /opt/gate/bin/gate.js doctor --config /etc/gate/gate.json || echo "install.sh: gate doctor (run as user gate) found problems (above); fix them, then: systemctl start gate"
fi
