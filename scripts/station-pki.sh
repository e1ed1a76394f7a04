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
#   station-pki.sh revoke DIR GATE|CERT           revokes a gate's certificate (or the certificate file CERT, e.g.
#                                                 a station's bridge.crt with central's DIR) in DIR/ca.crl; a gate's
#                                                 files move to DIR/gates/revoked/ and its ACL block goes, so the
#                                                 gate can be issued again. Restart the broker to load the CRL.
#   station-pki.sh crl DIR                        DIR/ca.crl signed again (it lasts DAYS days: renew it before then)
#   station-pki.sh render TEMPLATE OUT KEY=VALUE...
#                                                 a config template with every @KEY@ replaced; refuses a token left
#
# HOSTS: the broker's names and addresses, comma-separated (default localhost,127.0.0.1); a gate's mqtt.urls must
# name one of them, or set mqtt.tls.serverName. Keys are EC P-256; certificates last DAYS (default 825) days.
# Private keys are written 0600 and never leave DIR; a CA key belongs offline once the station's certificates exist.
# The broker's own keys (broker.key, bridge.key) are group `mosquitto`, 0640, where that group exists: Debian's
# Mosquitto reads them after it has dropped root for the mosquitto user.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
templates="$here/../config/mosquitto"
DAYS="${DAYS:-825}"

die() { echo "station-pki: $*" >&2; exit 2; }
command -v openssl >/dev/null || die "openssl is not installed (Debian: apt-get install openssl)"

newkey() { (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null); }

# ca DIR CN: a self-signed CA, allowed to sign leaf certificates only, with an empty CRL (the brokers' crlfile).
ca() {
  # ca.crt too: once ca.key is moved offline (as docs/deployment.md says), a second -init must not make a new CA that
  # no gate's certificate chains to.
  [ -e "$1/ca.key" ] && die "$1/ca.key exists: refusing to replace a CA"
  [ -e "$1/ca.crt" ] && die "$1/ca.crt exists (its key moved offline?): refusing to replace a CA"
  mkdir -p "$1"
  newkey "$1/ca.key"
  openssl req -x509 -new -key "$1/ca.key" -out "$1/ca.crt" -days "$DAYS" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  crl "$1"
}

need_ca_key() {
  [ -e "$1/ca.key" ] && return 0
  [ -e "$1/ca.crt" ] && die "$1/ca.key is not here (moved offline?): put it back in $1 for this step, then move it off again"
  die "no CA in $1 (run the -init command first)"
}

# crl DIR: DIR/ca.crl from the revocations in DIR/index.txt (openssl ca's database), valid DAYS days.
crl() {
  need_ca_key "$1"
  local cnf
  [ -e "$1/index.txt" ] || : >"$1/index.txt"
  [ -e "$1/crlnumber" ] || echo 1000 >"$1/crlnumber"
  cnf="$(mktemp)"
  printf '[ca]\ndefault_ca=station_ca\n[station_ca]\ndatabase=%s/index.txt\ncrlnumber=%s/crlnumber\ndefault_md=sha256\ndefault_crl_days=%s\n' \
    "$1" "$1" "$DAYS" >"$cnf"
  openssl ca -config "$cnf" -gencrl -keyfile "$1/ca.key" -cert "$1/ca.crt" -out "$1/ca.crl" 2>/dev/null ||
    { rm -f "$cnf"; die "could not sign $1/ca.crl"; }
  if [ -n "${2:-}" ]; then
    openssl ca -config "$cnf" -revoke "$2" -keyfile "$1/ca.key" -cert "$1/ca.crt" 2>/dev/null ||
      { rm -f "$cnf"; die "could not revoke $2 (not issued by $1's CA?)"; }
    openssl ca -config "$cnf" -gencrl -keyfile "$1/ca.key" -cert "$1/ca.crt" -out "$1/ca.crl" 2>/dev/null
  fi
  rm -f "$cnf"
  chmod 0644 "$1/ca.crl"
}

# broker_key FILE: a key the broker reads after dropping root (Debian's mosquitto runs as user mosquitto).
broker_key() {
  if getent group mosquitto >/dev/null 2>&1; then
    chgrp mosquitto "$1" && chmod 0640 "$1"
  else
    echo "station-pki: no mosquitto group here: on the broker, chgrp mosquitto $1 and chmod 0640 it" >&2
  fi
}

# leaf CADIR OUT CN USAGE [SAN]: a certificate signed by CADIR's CA, written as OUT.crt and OUT.key.
leaf() {
  local cadir="$1" out="$2" cn="$3" usage="$4" san="${5:-}" ext
  need_ca_key "$cadir"
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
    broker_key "$1/broker.key"
    leaf "$1" "$1/central" central clientAuth
    cp "$templates/central.acl" "$1/central.acl"
    echo "central CA, broker and client certificates in $1"
    ;;
  station-init)
    [ $# -ge 2 ] || die "usage: station-init DIR STATION [HOSTS]"
    valid_id station "$2"
    ca "$1" "station gate $2 CA"
    leaf "$1" "$1/broker" "${3:-localhost}" serverAuth "$(sans "${3:-localhost,127.0.0.1}")"
    broker_key "$1/broker.key"
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
    broker_key "$1/bridge.key"
    cp "$2/ca.crt" "$1/central-ca.crt"
    render "$templates/central-bridge.acl" "$1/.bridge.acl" "STATION=$3"
    cat "$1/.bridge.acl" >>"$2/central.acl"
    rm -f "$1/.bridge.acl"
    echo "bridge-$3: $1/bridge.crt from central's CA; $2/central.acl allows it station $3"
    ;;
  revoke)
    [ $# -eq 2 ] || die "usage: revoke DIR GATE|CERT"
    if [ -f "$2" ]; then
      crl "$1" "$2"
      echo "revoked $2: $1/ca.crl updated; put it in the broker's PKI folder and restart mosquitto"
    else
      valid_id gate "$2"
      [ -e "$1/gates/$2.crt" ] || die "$1/gates/$2.crt does not exist: no gate $2 to revoke"
      crl "$1" "$1/gates/$2.crt"
      serial="$(openssl x509 -in "$1/gates/$2.crt" -noout -serial | cut -d= -f2)"
      mkdir -p "$1/gates/revoked"
      mv "$1/gates/$2.crt" "$1/gates/revoked/$2-$serial.crt"
      mv "$1/gates/$2.key" "$1/gates/revoked/$2-$serial.key"
      # The gate's block (config/mosquitto/station-gate.acl): its comment, user line and topic lines.
      awk -v gate="$2" '
        $0 ~ "^# Gate " gate ":" { skip = 1; next }
        skip && ($0 == "user " gate || $0 ~ /^topic /) { next }
        { skip = 0; print }' "$1/station.acl" >"$1/.station.acl" && mv "$1/.station.acl" "$1/station.acl"
      echo "gate $2 revoked (serial $serial): $1/ca.crl updated, its ACL block removed; restart mosquitto to load them"
    fi
    ;;
  crl)
    [ $# -eq 1 ] || die "usage: crl DIR"
    crl "$1"
    echo "$1/ca.crl signed, valid $DAYS days"
    ;;
  render)
    [ $# -ge 2 ] || die "usage: render TEMPLATE OUT KEY=VALUE..."
    render "$@"
    ;;
  *)
    sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || exit 2
    ;;
esac
