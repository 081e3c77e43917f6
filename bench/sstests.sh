#!/usr/bin/env bash
# bench/sstests.sh - `doctor --config A --peer-config B` scored against strongSwan's own
# integration tests: each scenario's evaltest.dat asserts whether two hosts' swanctl.conf
# establish an IKE SA; the doctor must predict it (issue 15, target >= 98 %).
#
# Usage: bench/sstests.sh STRONGSWAN_CHECKOUT [SUITE...]     (default suites: ikev2 ikev1)
#   STRONGSWAN_CHECKOUT is a directory holding strongSwan's testing/ tree, e.g. made with
#   git -C STRONGSWAN_GIT_DIR archive 6.0.6 testing | tar -x -C /tmp/ss
# Run from anywhere; needs ./tunnelctl built and jq. Without a checkout it says so and
# exits 0 (make bench runs every bench script without arguments).
#
# How scenarios become pairs: every `HOST:: swanctl --list-sas ...::CONN.*state=ESTABLISHED
# ...::YES|NO` line of evaltest.dat names a host and its connection; the peer is the host
# whose address is the line's remote-host (else the other host of IPSECHOSTS, else moon).
# The connection name is the pattern's prefix, which may name several (rw.* for rw-carol
# and rw-dave): the doctor's verdict for one of them that establishes counts.
# A pair is expected to establish when some YES line asserts it (later NO lines follow a
# terminate or a DPD in the scenario), and to fail when only NO lines name it.
#
# Some scenarios assert an IKE SA that comes up while one child is refused for its
# selectors (wildcards, rw-sig-auth: "traffic selectors ... unacceptable::YES"); there a
# ts_mismatch verdict is the asserted outcome.
#
# Certificates: strongSwan generates them (testing/scripts/build-certs), the checkout holds
# none, so certificate trust is unknown to the doctor. Pairs that authenticate with
# certificates and are expected to FAIL (revoked, untrusted, wrong policy...) are decided by
# certificate contents the checkout does not hold: they are listed apart as "needs
# certificates" and not scored. Cert pairs expected to establish are scored (an unknown
# trust must not be reported as a problem).
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
TC=${TUNNELCTL:-$HERE/tunnelctl}
SS=${1:-}
if [ -z "$SS" ]; then
	echo "bench/sstests.sh: skipped (give a strongSwan checkout with testing/: bench/sstests.sh DIR)"
	exit 0
fi
shift
SUITES=${*:-ikev2 ikev1}
T=$SS/testing
[ -d "$T/tests" ] || { echo "bench/sstests.sh: $T/tests: not a strongSwan testing tree" >&2; exit 2; }
[ -x "$TC" ] || { echo "bench/sstests.sh: $TC: build tunnelctl first" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench/sstests.sh: needs jq" >&2; exit 2; }
WORK=$(mktemp -d /tmp/sstests.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# address -> host name ("fec0::1 ip6-moon", "10.1.0.1 moon1" -> moon)
awk '!/^#/ && NF >= 2 {
	n = $2; sub(/\.strongswan\.org$/, "", n); sub(/^ip6-/, "", n); sub(/[0-9]+$/, "", n)
	print $1, n }' "$T/hosts/default/etc/hosts" >"$WORK/hosts"
host_of() { awk -v ip="$1" '$1 == ip { print $2; exit }' "$WORK/hosts"; }

# PH_IP_MOON, PH_IP6_SUN1, ... as load-testconfig replaces them (from testing.conf)
awk '/HOSTNAMEIPV[46]="/ { v6 = /IPV6/; on = 1; next }
     on { last = /"}/; gsub(/[\\"}]/, ""); split($1, f, ","); h = toupper(f[1])
	  p = v6 ? "PH_IP6_" : "PH_IP_"
	  if (f[3] != "") print "s/" p h "1/" f[3] "/g"
	  print "s/" p h "/" f[2] "/g"
	  if (last) on = 0 }' "$T/testing.conf" >"$WORK/ph.sed"

conf_of() {	# scenario dir, host -> the path of its swanctl.conf, placeholders replaced, or ""
	local src=$1/hosts/$2/etc/swanctl dst=$WORK/conf/${1##*/}/$2
	[ -f "$src/swanctl.conf" ] || src=$T/hosts/$2/etc/swanctl
	[ -f "$src/swanctl.conf" ] || return 0
	if [ ! -d "$dst" ]; then
		mkdir -p "$dst"
		cp -r "$src/." "$dst/"
		find "$dst" -type f -name '*.conf' -exec sed -i -f "$WORK/ph.sed" {} +
	fi
	echo "$dst/swanctl.conf"
}

uses_certs() {	# a config that authenticates with certificates (pubkey is charon's default)
	grep -Eq '^[[:space:]]*(certs|cacerts|pubkeys)[[:space:]]*=|auth[[:space:]]*=[[:space:]]*(pubkey|rsa|ecdsa|ed25519|ed448)' "$1" ||
		! grep -Eq 'auth[[:space:]]*=' "$1"
}

# scenario -> lines "HOST CONN PEER YES|NO"
pairs_of() {
	local d=$1 ipsec
	ipsec=$(sed -n 's/^IPSECHOSTS="\(.*\)"/\1/p' "$d/test.conf")
	grep -E '^[a-z]+:: *swanctl --list-sas' "$d/evaltest.dat" | grep -E 'ESTABLISHED|INSTALLED' |
	while IFS= read -r line; do
		local host=${line%%::*} rest pat res conn rip peer cands
		rest=${line#*::}; rest=${rest#*::}
		res=${rest##*::}; pat=${rest%::*}
		conn=$(printf '%s' "$pat" | sed -n 's/^\([A-Za-z0-9_-]*\).*/\1/p')
		[ -n "$conn" ] || continue
		rip=$(printf '%s' "$pat" | sed -n 's/.*remote-host=\([0-9a-fA-F.:]*\).*/\1/p')
		peer=""
		cands=""
		for h in $ipsec; do
			[ "$h" != "$host" ] && [ -n "$(conf_of "$d" "$h")" ] && cands="$cands $h"
		done
		# the host whose config holds that address (a virtual gateway's), else by name
		for h in $cands; do
			[ -n "$rip" ] && [ -z "$peer" ] &&
				grep -Eq "local_addrs[[:space:]]*=.*(^|[ ,=])$rip([ ,]|\$)" "$(conf_of "$d" "$h")" && peer=$h
		done
		[ -n "$rip" ] && [ -z "$peer" ] && peer=$(host_of "$rip")
		case " $cands " in *" $peer "*) ;; *) peer="" ;; esac
		if [ -z "$peer" ]; then
			set -- $cands
			if [ $# -eq 1 ]; then peer=$1
			elif [[ " $cands " == *" moon "* ]]; then peer=moon
			fi
		fi
		[ -n "$peer" ] && echo "$host $conn $peer $res"
	done
}

total_right=0 total_scored=0
for suite in $SUITES; do
	right=0 scored=0 skipped=0
	: >"$WORK/misses" ; : >"$WORK/skips"
	for d in "$T/tests/$suite"/*/; do
		d=${d%/}; scen=$suite/${d##*/}
		[ -f "$d/evaltest.dat" ] || continue
		pairs_of "$d" >"$WORK/p"
		# one verdict per host/connection/peer: YES anywhere wins (it did establish)
		awk '{ k = $1 " " $2 " " $3; if (!(k in e) || $4 == "YES") e[k] = $4 }
		     END { for (k in e) print k, e[k] }' "$WORK/p" | sort >"$WORK/u"
		while read -r host conn peer want; do
			a=$(conf_of "$d" "$host") b=$(conf_of "$d" "$peer")
			[ -n "$a" ] && [ -n "$b" ] || continue
			if [ "$want" = NO ] && { uses_certs "$a" || uses_certs "$b"; }; then
				echo "  $scen $host/$conn-$peer: expected to fail, needs certificates" >>"$WORK/skips"
				skipped=$((skipped + 1))
				continue
			fi
			out=$(timeout 20 "$TC" doctor --json --config "$a" --peer-config "$b" 2>"$WORK/err")
			rc=$?
			# the line's name is a regex prefix (rw.* is rw-carol or rw-dave): a healthy
			# one of them is the one charon picks
			sel='[.verdicts[]? | select(.side == "local" and (.tunnel | startswith($c)))]
			     | (map(select(.class == "healthy")) + .)[0]'
			cls=$(printf '%s' "$out" | jq -r --arg c "$conn" "$sel.class // empty" 2>/dev/null)
			why=$(printf '%s' "$out" | jq -r --arg c "$conn" "$sel.summary // empty" 2>/dev/null)
			if [ -z "$cls" ]; then
				case $rc in 0) cls=healthy ;; 1) cls=problem why="(no verdict for $conn)" ;;
				*) cls=error why=$(head -c 200 "$WORK/err") ;; esac
			fi
			got=NO
			[ "$cls" = healthy ] && got=YES
			# the scenario asserts an IKE SA that comes up with a child refused for its
			# selectors ("traffic selectors ... unacceptable::YES"): ts_mismatch names it
			[ "$cls" = ts_mismatch ] && [ "$want" = YES ] &&
				grep -Eq 'unacceptable.*::YES|TS_UNACCEPTABLE.*::YES' "$d/evaltest.dat" && got=YES
			scored=$((scored + 1))
			if [ "$got" = "$want" ]; then
				right=$((right + 1))
			else
				printf '  %s %s/%s-%s: expected %s, doctor: %s: %.220s\n' "$scen" "$host" "$conn" "$peer" \
					"$([ "$want" = YES ] && echo establish || echo fail)" "$cls" "$why" >>"$WORK/misses"
			fi
		done <"$WORK/u"
	done
	awk -v s="$suite" -v r=$right -v n=$scored -v k=$skipped \
		'BEGIN { printf "%s: %d of %d pairs right (%.1f %%), %d not scored (needs certificates)\n", s, r, n, n ? 100 * r / n : 0, k }'
	if [ -s "$WORK/misses" ]; then echo " misses:"; cat "$WORK/misses"; fi
	if [ -s "$WORK/skips" ] && [ -n "${VERBOSE:-}" ]; then echo " not scored:"; cat "$WORK/skips"; fi
	total_right=$((total_right + right)) total_scored=$((total_scored + scored))
done
[ "$total_scored" -gt 0 ] || { echo "bench/sstests.sh: no pair scored in $T/tests: nothing measured" >&2; exit 1; }
awk -v r=$total_right -v n=$total_scored \
	'BEGIN { printf "total: %d of %d pairs right (%.1f %%)\n", r, n, 100 * r / n }'
