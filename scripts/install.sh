#!/usr/bin/env bash
# Install the gate controller on a gate computer (Debian): an unprivileged `gate` user in the dialout group, the
# code in /opt/gate, the config in /etc/gate, the database in /var/lib/gate, a systemd unit that restarts on failure.
# Usage: sudo scripts/install.sh [CONFIG.json]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-}
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }

apt-get install -y -qq --no-install-recommends nodejs npm libusb-1.0-0 udev >/dev/null
id gate >/dev/null 2>&1 || useradd --system --home /var/lib/gate --shell /usr/sbin/nologin gate
usermod -aG dialout,plugdev gate

install -d -o root -g root -m 0755 /opt/gate
cp -a "$src/bin" "$src/src" "$src/firmware-bridge" "$src/config" "$src/package.json" "$src/package-lock.json" "$src/tsconfig.json" "$src/tsconfig.build.json" /opt/gate/
(cd /opt/gate && npm ci --no-audit --no-fund && npm prune --omit=dev)

install -d -o root -g gate -m 0750 /etc/gate
if [ -n "$config" ]; then install -o root -g gate -m 0640 "$config" /etc/gate/gate.json; fi
# Editors check /etc/gate/gate.json against the schema beside it ("$schema": "./schema.json").
install -o root -g gate -m 0644 "$src/config/schema.json" /etc/gate/schema.json
[ -f /etc/gate/gate.json ] || { echo "install.sh: put the site config in /etc/gate/gate.json (see config/gate.example.jsonc)" >&2; }
install -d -o gate -g gate -m 0750 /var/lib/gate

# Let the gate user open HID keyboard-wedge scanners through hidraw.
cat > /etc/udev/rules.d/70-gate-hidraw.rules <<'RULES'
KERNEL=="hidraw*", SUBSYSTEM=="hidraw", GROUP="plugdev", MODE="0660"
RULES
udevadm control --reload-rules 2>/dev/null || true

install -m 0644 "$src/scripts/gate.service" /etc/systemd/system/gate.service
systemctl daemon-reload
systemctl enable gate.service
/usr/bin/node /opt/gate/bin/gate.js doctor --config /etc/gate/gate.json || echo "install.sh: gate doctor found problems (above); fix them, then: systemctl start gate"
