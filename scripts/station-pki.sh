#!/usr/bin/env bash
# Certificates for a station and its link to central, issued with openssl (docs/deployment.md walks through them).
#
#   station-pki.sh central-init DIR [HOSTS]       central's CA, its broker certificate and central's own client
#                                                 certificate (CN "central"); DIR/central.acl from the template
#   station-pki.sh station-init DIR STATION [HOSTS]
#                                                 a station's CA, its broker certificate, DIR/station.acl
#   station-pki.sh gate DIR GATE                  a gate's client certificate (CN = the gate id), in DIR/gates/;
#                                                 DIR/station.acl gains the gate's block
#   station-pki.sh bridge STATION_DIR CENTRAL_DIR STATION
#                                                 the station bridge's client certificate from central's CA (CN
#                                                 "bridge-STATION"), central's CA beside it; central.acl gains its block
#   station-pki.sh render TEMPLATE OUT KEY=VALUE...
#                                                 a config template with every @KEY@ replaced; refuses a token left
#
# HOSTS: the broker's names and addresses, comma-separated (default localhost,127.0.0.1); a gate's mqtt.urls must
# name one of them, or set mqtt.tls.serverName. Keys are EC P-256; certificates last DAYS (default 825) days.
# Private keys are written 0600 and never leave DIR; a CA key belongs offline once the station's certificates exist.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
templates="$here/../config/mosquitto"
DAYS="${DAYS:-825}"

die() { echo "station-pki: $*" >&2; exit 2; }
command -v openssl >/dev/null || die "openssl is not installed (Debian: apt-get install openssl)"

newkey() { (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null); }

# ca DIR CN: a self-signed CA, allowed to sign leaf certificates only.
ca() {
  [ -e "$1/ca.key" ] && die "$1/ca.key exists: refusing to replace a CA"
  mkdir -p "$1"
  newkey "$1/ca.key"
  openssl req -x509 -new -key "$1/ca.key" -out "$1/ca.crt" -days "$DAYS" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# leaf CADIR OUT CN USAGE [SAN]: a certificate signed by CADIR's CA, written as OUT.crt and OUT.key.
leaf() {
  local cadir="$1" out="$2" cn="$3" usage="$4" san="${5:-}" ext
  [ -e "$cadir/ca.key" ] || die "no CA in $cadir (run the -init command first)"
  mkdir -p "$(dirname "$out")"
  newkey "$out.key"
  ext="$(mktemp)"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$usage" >"$ext"
  [ -n "$san" ] && printf 'subjectAltName=%s\n' "$san" >>"$ext"
  openssl req -new -key "$out.key" -subj "/CN=$cn" 2>/dev/null |
    openssl x509 -req -CA "$cadir/ca.crt" -CAkey "$cadir/ca.key" -CAcreateserial -days "$DAYS" -extfile "$ext" -out "$out.crt" 2>/dev/null
  rm -f "$ext"
}

# localhost,127.0.0.1 -> DNS:localhost,IP:127.0.0.1
sans() {
  local out="" h
  IFS=',' read -ra hs <<<"$1"
  for h in "${hs[@]}"; do
    if [[ "$h" =~ ^[0-9.]+$ || "$h" == *:* ]]; then out+="${out:+,}IP:$h"; else out+="${out:+,}DNS:$h"; fi
  done
  printf '%s' "$out"
}

render() {
  local template="$1" out="$2"; shift 2
  [ -f "$template" ] || die "no template $template"
  local text kv
  text="$(cat "$template")"
  for kv in "$@"; do
    [[ "$kv" == *=* ]] || die "not KEY=VALUE: $kv"
    text="${text//@${kv%%=*}@/${kv#*=}}"
  done
  if grep -o '@[A-Z_]*@' <<<"$text" | head -1 | grep -q .; then
    die "$template: $(grep -o '@[A-Z_]*@' <<<"$text" | sort -u | tr '\n' ' ')left unset"
  fi
  printf '%s\n' "$text" >"$out"
}

valid_id() { [[ "$2" =~ ^[A-Za-z0-9_-]{1,32}$ ]] || die "$1 '$2' must be 1-32 letters, digits, - or _"; }

cmd="${1:-}"; shift || true
case "$cmd" in
  central-init)
    [ $# -ge 1 ] || die "usage: central-init DIR [HOSTS]"
    ca "$1" "station gate central CA"
    leaf "$1" "$1/broker" "${2:-localhost}" serverAuth "$(sans "${2:-localhost,127.0.0.1}")"
    leaf "$1" "$1/central" central clientAuth
    cp "$templates/central.acl" "$1/central.acl"
    echo "central CA, broker and client certificates in $1"
    ;;
  station-init)
    [ $# -ge 2 ] || die "usage: station-init DIR STATION [HOSTS]"
    valid_id station "$2"
    ca "$1" "station gate $2 CA"
    leaf "$1" "$1/broker" "${3:-localhost}" serverAuth "$(sans "${3:-localhost,127.0.0.1}")"
    render "$templates/station.acl" "$1/station.acl" "STATION=$2"
    echo "station $2 CA, broker certificate and ACL in $1"
    ;;
  gate)
    [ $# -eq 2 ] || die "usage: gate DIR GATE"
    valid_id gate "$2"
    [ -e "$1/gates/$2.crt" ] && die "$1/gates/$2.crt exists: a gate keeps its certificate (revoke, then issue)"
    station="$(sed -n 's|^pattern write gates/v1/\([^/]*\)/%u/status$|\1|p' "$1/station.acl")"
    [ -n "$station" ] || die "$1/station.acl names no station (run station-init first)"
    leaf "$1" "$1/gates/$2" "$2" clientAuth
    render "$templates/station-gate.acl" "$1/.gate.acl" "GATE=$2" "STATION=$station"
    cat "$1/.gate.acl" >>"$1/station.acl"
    rm -f "$1/.gate.acl"
    echo "gate $2: $1/gates/$2.crt and $1/gates/$2.key (install as the gate's mqtt.tls cert and key, with $1/ca.crt)"
    ;;
  bridge)
    [ $# -eq 3 ] || die "usage: bridge STATION_DIR CENTRAL_DIR STATION"
    valid_id station "$3"
    leaf "$2" "$1/bridge" "bridge-$3" clientAuth
    cp "$2/ca.crt" "$1/central-ca.crt"
    render "$templates/central-bridge.acl" "$1/.bridge.acl" "STATION=$3"
    cat "$1/.bridge.acl" >>"$2/central.acl"
    rm -f "$1/.bridge.acl"
    echo "bridge-$3: $1/bridge.crt from central's CA; $2/central.acl allows it station $3"
    ;;
  render)
    [ $# -ge 2 ] || die "usage: render TEMPLATE OUT KEY=VALUE..."
    render "$@"
    ;;
  *)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || exit 2
    ;;
esac
