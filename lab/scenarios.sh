#!/usr/bin/env bash
# lab/scenarios.sh - produce, in the lab, a real failure (or success) of each doctor class.
#
# usage: lab/scenarios.sh [--list] [--family F] NAME|all OUTDIR   (also: tunnelctl lab scenario ...)
#
# --family picks the addresses: ipv4 (default: 192.0.2.x gateways, 10.x networks), ipv6
# (2001:db8::x gateways, fd00:x::/64 networks, mode tunnel6), or mixed (IPv4 gateways,
# IPv6 networks). The scenarios are written for ipv4; map_addr translates.
#
# For each scenario: write both sides' tunnel files, run them in a fresh lab of their own,
# wait for the outcome in charon's log (deadlines, not fixed sleeps), and save
#   OUTDIR/NAME/a.conf b.conf   the two tunnel files
#   OUTDIR/NAME/a.log  b.log    both charons' logs of this run only
#   OUTDIR/NAME/expected        class=, tunnel=, side= (whose tunnel fails), logs= (to feed)
#   OUTDIR/NAME/...             public files the tunnel files name by relative path (KEEP)
# The doctor's tests use the result as their corpus (tests/data/scenarios/).
# A and B are read through a nameref (write_conf), which shellcheck does not follow
# shellcheck disable=SC2034
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/lab.sh
# the same tunnelctl as the lab: TUNNELCTL_BIN, the source tree's, or the one in PATH
if [ -z "${TUNNELCTL_BIN:-}" ]; then
	if [ -x "$HERE/../tunnelctl" ]; then
		TUNNELCTL_BIN=$(cd "$HERE/.." && pwd)/tunnelctl
	else
		TUNNELCTL_BIN=$(command -v tunnelctl || echo tunnelctl)
	fi
fi
export TUNNELCTL_BIN
TUNNELCTL=$TUNNELCTL_BIN
LAB_ROOT=${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}

SCENARIOS=(healthy ike_proposal_mismatch dh_group_mismatch child_proposal_mismatch pfs_mismatch
	ts_mismatch ts_narrowed psk_mismatch auth_failed id_mismatch cert_problem no_ike_config
	peer_unreachable nat_t_blocked version_mismatch dpd_timeout rekey_failure gave_up half_open
	kernel_failure unsupported_algorithm config_error)

FAMILY=ipv4

say() { echo "scenario ${SC:-}: $*"; }

# map_addr ADDR: a scenario's IPv4 address or network in the --family's terms. Gateways
# 192.0.2.N become 2001:db8::N (ipv6); networks 10.N.0.0/24 become fd00:N::/64 and
# 10.N.0.0/16 fd00:N::/48 (ipv6, mixed), so a /16 still holds the /24 it held.
map_addr() {
	local a=$1
	if [ "$FAMILY" = ipv6 ] && [[ $a =~ ^192\.0\.2\.([0-9]+)$ ]]; then
		a=2001:db8::${BASH_REMATCH[1]}
	elif [ "$FAMILY" != ipv4 ] && [[ $a =~ ^10\.([0-9]+)\.0\.0/(24|16)$ ]]; then
		a=fd00:${BASH_REMATCH[1]}::/$([ "${BASH_REMATCH[2]}" = 24 ] && echo 64 || echo 48)
	fi
	echo "$a"
}

# --- the two tunnel files -----------------------------------------------------------------

# Parameters of side a and b; each scenario changes a few, then write_conf renders them.
reset_params() {
	declare -gA A=([version]=ikev2 [local]=192.0.2.1 [remote]=192.0.2.2 [local_id]=myaddress
		[remote_id]=peeraddress [psk]=lab-shared-secret-0123456789 [enc]=aes256
		[hash]=sha256 [dh]=14 [dpd]=10s [natt]=auto [start]=start [p2local]=10.1.0.0/24
		[p2remote]=10.2.0.0/24 [p2enc]=aes256 [p2hash]=sha256 [pfs]=14 [p2life]="" [p2rekey]="" [p2rand]=""
		[tries]=3 [timeout]=1.0 [auth]=psk [cert]="" [key]="" [ca]="" [mode]="" [life]="" [rekey]="" [rand]="")
	declare -gA B=([version]=ikev2 [local]=192.0.2.2 [remote]=192.0.2.1 [local_id]=myaddress
		[remote_id]=peeraddress [psk]=lab-shared-secret-0123456789 [enc]=aes256
		[hash]=sha256 [dh]=14 [dpd]=10s [natt]=auto [start]=none [p2local]=10.2.0.0/24
		[p2remote]=10.1.0.0/24 [p2enc]=aes256 [p2hash]=sha256 [pfs]=14 [p2life]="" [p2rekey]="" [p2rand]=""
		[tries]=3 [timeout]=1.0 [auth]=psk [cert]="" [key]="" [ca]="" [mode]="" [life]="" [rekey]="" [rand]="")
}

# write_conf A|B FILE: the tunnel file of one side.
write_conf() {
	local -n p=$1
	local side=${1,,}
	{
		echo "# $SC, side $side: written by lab/scenarios.sh"
		echo "global {"
		echo "    retransmit {"
		echo "        tries = ${p[tries]}"
		echo "        timeout = ${p[timeout]}"
		echo "    }"
		echo "}"
		echo "tunnels {"
		echo "    1 {"
		echo "        description = $SC side $side"
		echo "        version = ${p[version]}"
		echo "        local_address = $(map_addr "${p[local]}")"
		echo "        remote_gateway = $(map_addr "${p[remote]}")"
		echo "        local_id = ${p[local_id]}"
		echo "        remote_id = ${p[remote_id]}"
		echo "        auth = ${p[auth]}"
		if [ "${p[auth]}" = cert ]; then
			echo "        cert = ${p[cert]}"
			echo "        key = ${p[key]}"
			echo "        ca = ${p[ca]}"
		else
			echo "        psk = \"${p[psk]}\""
		fi
		echo "        proposals {"
		echo "            1 {"
		echo "                encryption = ${p[enc]}"
		[ -n "${p[hash]}" ] && echo "                hash = ${p[hash]}"
		echo "                dh_group = ${p[dh]}"
		echo "            }"
		echo "        }"
		[ -n "${p[life]}" ] && echo "        lifetime = ${p[life]}"
		[ -n "${p[rekey]}" ] && echo "        rekey_time = ${p[rekey]}"
		[ -n "${p[rand]}" ] && echo "        rand_time = ${p[rand]}"
		echo "        dpd_delay = ${p[dpd]}"
		echo "        nat_traversal = ${p[natt]}"
		echo "        start_action = ${p[start]}"
		echo "        phase2 {"
		echo "            1 {"
		local mode=${p[mode]} p2local p2remote
		p2local=$(map_addr "${p[p2local]}")
		p2remote=$(map_addr "${p[p2remote]}")
		# IPv6 networks need tunnel6 (tunnelctl check, as pfSense)
		[ -z "$mode" ] && [[ $p2local == *:*/* ]] && mode=tunnel6
		[ -n "$mode" ] && echo "                mode = $mode"
		echo "                local = $p2local"
		echo "                remote = $p2remote"
		echo "                encryption = ${p[p2enc]}"
		[ -n "${p[p2hash]}" ] && echo "                hash = ${p[p2hash]}"
		echo "                pfs_group = ${p[pfs]}"
		[ -n "${p[p2life]}" ] && echo "                lifetime = ${p[p2life]}"
		[ -n "${p[p2rekey]}" ] && echo "                rekey_time = ${p[p2rekey]}"
		[ -n "${p[p2rand]}" ] && echo "                rand_time = ${p[p2rand]}"
		echo "            }"
		echo "        }"
		echo "    }"
		echo "}"
	} >"$2"
}

# --- running one scenario -----------------------------------------------------------------

lab() { "$LAB" --name "$LABNAME" "$@"; }
log_of() { echo "$LAB_ROOT/$LABNAME/$1/run/charon.log"; }

# wait_log SIDE SECONDS ERE: until the side's log has a line matching ERE.
wait_log() {
	local side=$1 secs=$2 re=$3 i f
	f=$(log_of "$side")
	for ((i = 0; i < secs * 10; i++)); do
		if [ -f "$f" ] && grep -Eq -- "$re" "$f"; then
			say "side $side: seen /$re/"
			return 0
		fi
		sleep 0.1
	done
	say "side $side: timed out after ${secs}s waiting for /$re/"
	return 1
}

# no_log_after SIDE SECONDS ERE LINE: the log gets no line matching ERE after line LINE
# within SECONDS (an observation window: that nothing happens is the outcome here).
no_log_after() {
	local side=$1 secs=$2 re=$3 from=$4
	sleep "$secs"
	if grep -Eq -- "$re" <(tail -n +"$((from + 1))" "$(log_of "$side")"); then
		say "side $side: unexpected /$re/"
		return 1
	fi
}

lines_of() { wc -l <"$(log_of "$1")"; }

up() { lab up "$WORK/a.conf" "$WORK/b.conf" --wait 0 "$@"; }

ESTABLISHED='CHILD_SA con1\{[0-9]+\} established'

# Each scenario: setup adjusts A and B, steps drive the lab until the outcome is in the log;
# CLASS_SIDE and LOGS are set where they are not "a" and "a.log+b.log".
sc_healthy() {
	setup() { :; }
	steps() {
		up
		wait_log a 15 "$ESTABLISHED"
		lab ping --count 3
	}
}
sc_ike_proposal_mismatch() {
	setup() { B[enc]=aes128; B[hash]=sha1; }
	steps() { up; wait_log a 20 'NO_PROPOSAL_CHOSEN'; }
}
sc_dh_group_mismatch() {
	setup() { B[dh]=19; }
	steps() { up; wait_log a 20 'NO_PROPOSAL_CHOSEN|INVALID_KE_PAYLOAD'; }
}
sc_child_proposal_mismatch() {
	setup() { B[p2enc]=aes128; }
	steps() { up; wait_log a 20 'NO_PROPOSAL_CHOSEN'; }
}
# The first CHILD_SA is created inside IKE_AUTH without a key exchange, so PFS differences
# only show at the first rekey: a short phase 2 rekey time brings it within seconds.
sc_pfs_mismatch() {
	setup() {
		B[pfs]=0
		A[p2life]=60s; A[p2rekey]=5s; A[p2rand]=1s
		B[p2life]=60s; B[p2rekey]=5s; B[p2rand]=1s
	}
	steps() {
		up
		wait_log a 15 "$ESTABLISHED"
		wait_log a 40 'NO_PROPOSAL_CHOSEN|INVALID_KE_PAYLOAD|rekeying failed|failed to establish CHILD_SA' ||
			wait_log b 1 'NO_PROPOSAL_CHOSEN|INVALID_KE_PAYLOAD'
	}
}
sc_ts_mismatch() {
	setup() { B[p2local]=10.3.0.0/24; }
	steps() { up; wait_log a 20 'TS_UNACCEPTABLE'; }
}
# A asks for 10.2.0.0/16, B offers only its /24: the SA comes up, narrowed.
sc_ts_narrowed() {
	setup() { A[p2remote]=10.2.0.0/16; }
	steps() { up; wait_log a 20 "$ESTABLISHED"; }
}
sc_psk_mismatch() {
	setup() { B[psk]=another-secret-0123456789; }
	steps() { up; wait_log a 20 'AUTHENTICATION_FAILED'; }
}
# The same failure seen only from the initiator: AUTHENTICATION_FAILED and nothing that
# says why (verdict from a.log alone).
sc_auth_failed() {
	setup() { B[psk]=another-secret-0123456789; }
	steps() { up; wait_log a 20 'AUTHENTICATION_FAILED'; }
	LOGS=a.log
}
# Certificates: A's is issued by a CA that B does not trust (each CA is made fresh with pki).
# Paths are relative to the tunnel files, and the public certificates are saved beside them
# (not the keys: the doctor compares configs without them), so the saved files compare.
sc_cert_problem() {
	setup() {
		local ca
		for ca in ca1 ca2; do
			mkdir -p "$WORK/$ca"
			bash "$HERE/../examples/certs/make-certs.sh" "$WORK/$ca" >/dev/null 2>&1
		done
		A[auth]=cert; A[cert]=ca1/gw-a.crt; A[key]=ca1/gw-a.key; A[ca]=ca2/ca.crt
		B[auth]=cert; B[cert]=ca2/gw-b.crt; B[key]=ca2/gw-b.key; B[ca]=ca2/ca.crt
		KEEP=(ca1/ca.crt ca1/gw-a.crt ca2/ca.crt ca2/gw-b.crt)
		A[local_id]='asn1dn:"C=CH, O=tunnelctl, CN=gw-a.example.com"'
		A[remote_id]='asn1dn:"C=CH, O=tunnelctl, CN=gw-b.example.com"'
		B[local_id]=${A[remote_id]}
		B[remote_id]=${A[local_id]}
	}
	steps() { up; wait_log a 20 'AUTHENTICATION_FAILED'; wait_log b 5 'no trusted'; }
	CLASS_SIDE=b
}
# B expects A to call itself gw-x.lab.example; A says gw-a.lab.example.
sc_id_mismatch() {
	setup() { A[local_id]=fqdn:gw-a.lab.example; B[remote_id]=fqdn:gw-x.lab.example; }
	steps() { up; wait_log a 20 'AUTHENTICATION_FAILED'; }
}
# B has a tunnel, but to another peer: nothing matches A's address.
sc_no_ike_config() {
	setup() { B[remote]=192.0.2.99; }
	steps() { up; wait_log a 20 'NO_PROPOSAL_CHOSEN'; wait_log b 5 'no IKE config found'; }
}
sc_peer_unreachable() {
	setup() { :; }
	steps() {
		up --no-apply
		lab impair b drop-all
		lab apply b
		lab apply a
		wait_log a 40 'establishing IKE_SA failed, peer not responding|giving up after'
	}
}
# IKE_SA_INIT on 500 is answered; IKE_AUTH moves to 4500 (NAT-T forced; kernel-libipsec
# always encapsulates) and is dropped at B.
sc_nat_t_blocked() {
	setup() { A[natt]=force; B[natt]=force; }
	steps() {
		up --no-apply
		lab impair b drop-udp 4500
		lab apply b
		lab apply a
		wait_log a 40 'establishing IKE_SA failed, peer not responding|giving up after'
	}
}
sc_version_mismatch() {
	setup() { A[version]=ikev1; }
	steps() {
		up
		wait_log b 20 'no IKE config found|IKEv1|unsupported'
		wait_log a 40 'giving up after|peer not responding|NO_PROPOSAL_CHOSEN|INVALID|failed'
	}
}
# Established, then B falls silent: A's DPD gives up and deletes the SA.
sc_dpd_timeout() {
	setup() { A[dpd]=2s; B[dpd]=2s; }
	steps() {
		up
		wait_log a 15 "$ESTABLISHED"
		lab impair b drop-all
		wait_log a 40 'giving up after [0-9]+ retransmits'
	}
}
# Established, then B falls silent just before A rekeys the IKE SA: the CREATE_CHILD_SA
# rekey request goes unanswered and A gives up ("rekeying IKE_SA failed, peer not
# responding"). Both DPD delays are longer than that, so the rekey is the first exchange
# that finds the peer gone (and b's log has no DPD of its own racing a's rekey).
sc_rekey_failure() {
	setup() { A[life]=60s; A[rekey]=8s; A[rand]=1s; A[dpd]=30s; B[dpd]=60s; }
	steps() {
		up
		wait_log a 15 "$ESTABLISHED"
		lab impair b drop-all
		wait_log a 40 'rekeying IKE_SA failed, peer not responding'
	}
}
# A's one attempt finds B's charon stopped and gives up; B comes back and nothing retries.
sc_gave_up() {
	setup() { :; }
	steps() {
		up --no-apply
		lab stop-charon b
		lab apply a
		wait_log a 40 'establishing IKE_SA failed, peer not responding|giving up after'
		lab start-charon b
		local n
		n=$(lines_of a)
		no_log_after a 5 'initiating IKE_SA' "$n"
	}
}
# B never sees IKE_AUTH: A's firewall drops its UDP 4500. Verdict from B's log alone.
sc_half_open() {
	setup() { :; }
	steps() {
		up --no-apply
		lab impair a drop-udp 4500
		lab apply b
		lab apply a
		wait_log b 20 'IKE_SA_INIT'
		wait_log b 45 'half.open'
	}
	CLASS_SIDE=b
	LOGS=b.log
}
# B's charon is built without the plugins that provide AES-GCM (aesni, openssl, gcm), as
# Debian's charon is without libstrongswan-standard-plugins; both sides configure AES-GCM.
sc_unsupported_algorithm() {
	setup() {
		A[p2enc]=aes128gcm128; A[p2hash]=; B[p2enc]=aes128gcm128; B[p2hash]=
		printf 'charon {\n plugins {\n  aesni {\n   load = no\n  }\n  openssl {\n   load = no\n  }\n  gcm {\n   load = no\n  }\n }\n}\n' >"$WORK/b-extra.conf"
		export TUNNELCTL_LAB_STRONGSWAN_B=$WORK/b-extra.conf
	}
	steps() {
		up
		wait_log a 20 'NO_PROPOSAL_CHOSEN|no acceptable|not supported|unsupported'
	}
	CLASS_SIDE=b
}
# Transport mode: kernel-libipsec implements tunnel mode only, so installing the SAs fails
# ("IPsec SA: unsupported mode", "unable to install ... SAD in kernel") on both sides.
sc_kernel_failure() {
	setup() {
		A[mode]=transport; A[p2local]=${A[local]}; A[p2remote]=${A[remote]}
		B[mode]=transport; B[p2local]=${B[local]}; B[p2remote]=${B[remote]}
	}
	steps() {
		up
		wait_log b 20 'unable to install .*in kernel'
		wait_log a 10 'failed to establish CHILD_SA|NO_PROPOSAL_CHOSEN'
	}
	CLASS_SIDE=b
}
# tunnelctl check refuses everything charon would refuse (as far as we found), so this one
# is an administrator's own swanctl.conf for side a (tunnelctl's output with a DH group
# typo) loaded with swanctl; the evidence is swanctl's console output, a.swanctl.log.
sc_config_error() {
	setup() { :; }
	steps() {
		up --no-apply
		lab apply b
		local dir=$WORK/a-swanctl
		mkdir -p "$dir/conf.d"
		"$TUNNELCTL" -c "$WORK/a.conf" compile --show-secrets |
			sed 's/^\([[:space:]]*proposals = .*\)modp2048/\1modp2084/' >"$dir/conf.d/tunnelctl.conf"
		echo 'include conf.d/*.conf' >"$dir/swanctl.conf"
		swanctl --load-all --noprompt --file "$dir/swanctl.conf" \
			--uri "unix://$LAB_ROOT/$LABNAME/a/run/charon.vici" 2>&1 |
			grep -v "^plugin '\|^opening directory" >"$WORK/a.swanctl.log" || true
		cat "$WORK/a.swanctl.log"
		grep -q 'invalid value for: proposals' "$WORK/a.swanctl.log"
		cp "$dir/conf.d/tunnelctl.conf" "$WORK/a.swanctl.conf"
		# the secret stays out of the corpus
		sed -i 's/^\([[:space:]]*secret = \).*/\1<hidden>/' "$WORK/a.swanctl.conf"
	}
	LOGS=a.swanctl.log
}

# run SCENARIO OUTDIR
run_scenario() {
	SC=$1
	local out=$2/$1 rc=0
	declare -F "sc_$SC" >/dev/null || { echo "unknown scenario '$SC' (see --list)" >&2; return 2; }
	LABNAME=sc-$$-${SC//_/-}
	LABNAME=${LABNAME:0:32}
	WORK=$(mktemp -d)
	CLASS_SIDE=a
	LOGS=a.log+b.log
	KEEP=()
	unset TUNNELCTL_LAB_STRONGSWAN_A TUNNELCTL_LAB_STRONGSWAN_B
	reset_params
	"sc_$SC"
	setup
	write_conf A "$WORK/a.conf"
	write_conf B "$WORK/b.conf"
	say "lab $LABNAME"
	# steps run with errexit in a subshell; an `if` around it would switch errexit off
	set +e
	(
		set -e
		steps
	)
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		mkdir -p "$out"
		cp "$WORK/a.conf" "$WORK/b.conf" "$out/"
		cp "$WORK"/a.swanctl.* "$out/" 2>/dev/null || true
		# files the tunnel files name by relative path (certificates), same layout
		local f
		for f in "${KEEP[@]}"; do
			mkdir -p "$out/$(dirname "$f")"
			cp "$WORK/$f" "$out/$f"
		done
		cp "$(log_of a)" "$out/a.log" 2>/dev/null || : >"$out/a.log"
		cp "$(log_of b)" "$out/b.log" 2>/dev/null || : >"$out/b.log"
		printf 'class=%s\ntunnel=con1\nside=%s\nlogs=%s\n' "$SC" "$CLASS_SIDE" "$LOGS" >"$out/expected"
		say "saved in $out"
	else
		rc=1
		say "FAILED; last lines of the logs:"
		tail -n 15 "$(log_of a)" 2>/dev/null | sed 's/^/  a: /' || true
		tail -n 15 "$(log_of b)" 2>/dev/null | sed 's/^/  b: /' || true
	fi
	lab down >/dev/null 2>&1 || true
	rm -rf "$WORK"
	return "$rc"
}

cleanup() { [ -n "${LABNAME:-}" ] && "$LAB" --name "$LABNAME" down >/dev/null 2>&1 || true; }

main() {
	if [ "${1:-}" = --list ]; then
		printf '%s\n' "${SCENARIOS[@]}"
		return 0
	fi
	if [ "${1:-}" = --family ]; then
		FAMILY=${2:-}
		shift 2 || true
	fi
	case "$FAMILY" in
	ipv4 | ipv6 | mixed) ;;
	*) echo "lab/scenarios.sh: --family ipv4|ipv6|mixed, not '$FAMILY'" >&2; return 2 ;;
	esac
	if [ $# -ne 2 ]; then
		echo "usage: lab/scenarios.sh [--list] [--family ipv4|ipv6|mixed] NAME|all OUTDIR" >&2
		return 2
	fi
	local names=("$1") failed=() n rc
	[ "$1" = all ] && names=("${SCENARIOS[@]}")
	mkdir -p "$2"
	for n in "${names[@]}"; do
		# a subshell per scenario: errexit stays on inside (it would be off under `||`),
		# and its EXIT trap removes that scenario's lab whatever happens
		set +e
		(
			trap cleanup EXIT
			trap 'exit 130' INT TERM
			run_scenario "$n" "$2"
		)
		rc=$?
		set -e
		[ "$rc" -eq 130 ] && exit 130
		[ "$rc" -eq 0 ] || failed+=("$n")
	done
	echo "scenarios: $((${#names[@]} - ${#failed[@]})) produced, ${#failed[@]} failed${failed[*]:+: ${failed[*]}}"
	[ ${#failed[@]} -eq 0 ]
}

main "$@"
