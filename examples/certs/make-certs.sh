#!/usr/bin/env bash
# Make a throw-away CA and certificates for examples/cert-auth.conf (needs strongswan-pki).
# Usage: make-certs.sh [DIR]   (default: this script's directory)
set -euo pipefail
dir=${1:-$(dirname "$0")}
cd "$dir"
umask 077
pki --gen --type ecdsa --size 256 --outform pem > ca.key
pki --self --ca --lifetime 3650 --in ca.key --type ecdsa --dn "C=CH, O=tunnelctl, CN=tunnelctl test CA" \
	--outform pem > ca.crt
for side in a b; do
	pki --gen --type ecdsa --size 256 --outform pem > gw-$side.key
	pki --pub --in gw-$side.key --type ecdsa |
		pki --issue --lifetime 1825 --cacert ca.crt --cakey ca.key \
			--dn "C=CH, O=tunnelctl, CN=gw-$side.example.com" --san gw-$side.example.com \
			--outform pem > gw-$side.crt
done
chmod 644 ca.crt gw-a.crt gw-b.crt
echo "certificates in $(pwd)"
