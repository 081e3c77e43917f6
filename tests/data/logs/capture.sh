#!/usr/bin/env bash
# capture.sh - record real charon logs, both sides, for the doctor's corpus.
# Runs two charons (5.9.x, kernel-libipsec) in two network namespaces, loads each side's
# swanctl.conf with swanctl, initiates from side a and keeps both logs in two formats:
#   a.log / b.log      filelog, "%b %e %T" timestamps, ike_name = yes
#   a.plain / b.plain  filelog, ISO timestamps with ms, no ike_name
#   initiate.out       swanctl --initiate console output (side a)
# Usage (root): tests/data/logs/capture.sh [SCENARIO...]   (default: all)
set -eu
cd "$(dirname "$0")"
OUT=$PWD/lab
TMP=$(mktemp -d /tmp/doctorcap.XXXXXX)
NA=dca$$
NB=dcb$$
PIDS=()

step() { echo "== $*"; }

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

netns_up() {
	ip netns add "$NA"
	ip netns add "$NB"
	ip link add va$$ netns "$NA" type veth peer name vb$$ netns "$NB"
	ip -n "$NA" addr add 10.99.0.1/24 dev va$$
	ip -n "$NB" addr add 10.99.0.2/24 dev vb$$
	ip -n "$NA" link set va$$ up
	ip -n "$NB" link set vb$$ up
	ip -n "$NA" link set lo up
	ip -n "$NB" link set lo up
	ip -n "$NA" addr add 10.1.0.1/24 dev lo
	ip -n "$NB" addr add 10.2.0.1/24 dev lo
}

# strongswan.conf for one side: $1 dir, $2 libipsec yes|no
write_strongswan_conf() {
	cat >"$1/strongswan.conf" <<EOC
charon {
	load_modular = yes
	install_routes = no
	retransmit_tries = 3
	retransmit_timeout = 1.0
	retransmit_base = 1.4
	plugins {
		include /etc/strongswan.d/charon/*.conf
		kernel-libipsec {
			load = $2
		}
		vici {
			socket = unix://$1/charon.vici
		}
	}
	filelog {
		main {
			path = $1/charon.log
			time_format = %b %e %T
			ike_name = yes
			default = 1
			ike = 2
			chd = 2
			cfg = 2
			knl = 2
			flush_line = yes
		}
		plain {
			path = $1/charon.plain
			time_format = %Y-%m-%dT%H:%M:%S
			time_add_ms = yes
			default = 1
			ike = 2
			chd = 2
			cfg = 2
			knl = 1
			flush_line = yes
		}
	}
	syslog {
		identifier = charon
	}
}
EOC
}

# swanctl.conf for one side from variables: LOCAL REMOTE LID RID PSK IKE ESP LTS RTS VER
# EXTRA_CONN EXTRA_CHILD
write_swanctl_conf() {
	cat >"$1" <<EOC
connections {
	$CONN {
		version = $VER
		local_addrs = $LOCAL
		remote_addrs = $REMOTE
		proposals = $IKE
		dpd_delay = ${DPD:-10s}
		$EXTRA_CONN
		local {
			auth = ${AUTH:-psk}
			id = $LID
			${LCERT:+certs = $LCERT}
		}
		remote {
			auth = ${AUTH:-psk}
			id = $RID
		}
		children {
			$CHILD {
				mode = tunnel
				local_ts = $LTS
				remote_ts = $RTS
				esp_proposals = $ESP
				start_action = none
				$EXTRA_CHILD
			}
		}
	}
}
$EXTRA_CONNS
secrets {
	ike-1 {
		secret = "$PSK"
		id-0 = %any
		id-1 = $RID
	}
	$EXTRA_SECRETS
}
EOC
}

start_charon() { # $1 side a|b, $2 ns
	local d=$TMP/$1
	ip netns exec "$2" unshare -m --propagation private sh -c \
		"mount -t tmpfs none /run; STRONGSWAN_CONF=$d/strongswan.conf exec /usr/lib/ipsec/charon" \
		>"$d/stdout" 2>&1 &
	PIDS+=($!)
	echo $! >"$d/pid"
	for _ in $(seq 50); do
		[ -S "$d/charon.vici" ] && return 0
		sleep 0.1
	done
	echo "charon $1 did not start" >&2
	cat "$d/stdout" >&2
	return 1
}

swan() { # $1 side, $2 ns, rest: swanctl args
	local s=$1 ns=$2
	shift 2
	ip netns exec "$ns" swanctl "$@" --uri "unix://$TMP/$s/charon.vici"
}

stop_charon() { # $1 side
	local p
	p=$(cat "$TMP/$1/pid" 2>/dev/null) || return 0
	pkill -TERM -P "$p" 2>/dev/null || true
	kill "$p" 2>/dev/null || true
	sleep 0.5
}

# certificates (RSA: this charon has no ECDSA implementation) for the pubkey scenarios:
# $1 = ok | untrusted (b trusts another CA) | expired (a's certificate expired) | nokey
make_certs() {
	local c=$TMP/pki
	mkdir -p "$c"
	pki --gen --type rsa --size 2048 >"$c/ca.key" 2>/dev/null
	pki --self --ca --lifetime 3650 --in "$c/ca.key" --type rsa --dn "CN=Lab CA" >"$c/ca.crt" 2>/dev/null
	pki --gen --type rsa --size 2048 >"$c/other.key" 2>/dev/null
	pki --self --ca --lifetime 3650 --in "$c/other.key" --type rsa --dn "CN=Other CA" >"$c/other.crt" 2>/dev/null
	for s in a b; do
		local v=()
		[ "$1" = expired ] && [ $s = a ] && v=(--not-before "01.01.20 00:00:00" --not-after "01.01.21 00:00:00")
		pki --gen --type rsa --size 2048 >"$c/$s.key" 2>/dev/null
		pki --pub --in "$c/$s.key" --type rsa 2>/dev/null |
			pki --issue --cacert "$c/ca.crt" --cakey "$c/ca.key" --dn "CN=gw-$s" --san "gw-$s" \
				"${v[@]}" >"$c/$s.crt" 2>/dev/null
		mkdir -p "$TMP/$s/swanctl/x509" "$TMP/$s/swanctl/x509ca" "$TMP/$s/swanctl/rsa"
		cp "$c/$s.crt" "$TMP/$s/swanctl/x509/"
		[ "$1" = nokey ] && [ $s = b ] || cp "$c/$s.key" "$TMP/$s/swanctl/rsa/"
		if [ "$1" = untrusted ] && [ $s = b ]; then
			cp "$c/other.crt" "$TMP/$s/swanctl/x509ca/"
		else
			cp "$c/ca.crt" "$TMP/$s/swanctl/x509ca/"
		fi
	done
}

# defaults for both sides, overridden per scenario by A_* / B_* variables
defaults() {
	VER=2 IKE=aes128-sha256-modp2048 ESP=aes128-sha256-modp2048 PSK=s3cret-shared-key-0123
	EXTRA_CONN= EXTRA_CHILD= DPD=10s CONN=con1 CHILD=con1 AUTH=psk LCERT= EXTRA_CONNS= EXTRA_SECRETS=
}

side_a() { defaults; LOCAL=10.99.0.1 REMOTE=10.99.0.2 LID=10.99.0.1 RID=10.99.0.2
	LTS=10.1.0.0/24 RTS=10.2.0.0/24; eval "${A_SET:-}"; write_swanctl_conf "$1"; eval "${A_POST:-}"; }
side_b() { defaults; LOCAL=10.99.0.2 REMOTE=10.99.0.1 LID=10.99.0.2 RID=10.99.0.1
	LTS=10.2.0.0/24 RTS=10.1.0.0/24; eval "${B_SET:-}"; write_swanctl_conf "$1"; eval "${B_POST:-}"; }

# a second connection con2 between the same gateways (sections merge in swanctl.conf):
# $1 file, $2 local id, $3 remote id, $4 local net, $5 remote net, $6 PSK
add_con2() {
	cat >>"$1" <<EOC
connections {
	con2 {
		version = 2
		local_addrs = $LOCAL
		remote_addrs = $REMOTE
		proposals = aes128-sha256-modp2048
		local {
			auth = psk
			id = fqdn:$2
		}
		remote {
			auth = psk
			id = fqdn:$3
		}
		children {
			con2 {
				local_ts = $4
				remote_ts = $5
				esp_proposals = aes128-sha256
				start_action = none
			}
		}
	}
}
secrets {
	ike-2 {
		secret = "$6"
		id-0 = fqdn:$2
		id-1 = fqdn:$3
	}
}
EOC
}

# run one scenario: $1 name; uses A_SET, B_SET, B_DOWN, B_LIBIPSEC, WAIT, AFTER, NFT_B
run_scenario() {
	local name=$1 dst=$OUT/$1
	step "scenario $name"
	rm -rf "$TMP/a" "$TMP/b" "$dst/initiate.out"
	mkdir -p "$TMP/a" "$TMP/b" "$dst"
	netns_up
	write_strongswan_conf "$TMP/a" yes
	write_strongswan_conf "$TMP/b" "${B_LIBIPSEC:-yes}"
	mkdir -p "$TMP/a/swanctl" "$TMP/b/swanctl"
	side_a "$TMP/a/swanctl/swanctl.conf"
	side_b "$TMP/b/swanctl/swanctl.conf"
	cp "$TMP/a/swanctl/swanctl.conf" "$dst/a.conf"
	cp "$TMP/b/swanctl/swanctl.conf" "$dst/b.conf"
	[ -n "${CERTS:-}" ] && make_certs "$CERTS"
	start_charon a "$NA"
	swan a "$NA" --load-all --file "$TMP/a/swanctl/swanctl.conf" >"$dst/load.out" 2>&1 || true
	if [ -z "${B_DOWN:-}" ]; then
		start_charon b "$NB"
		swan b "$NB" --load-all --file "$TMP/b/swanctl/swanctl.conf" >/dev/null 2>&1 || true
	fi
	if [ -n "${NFT_B:-}" ]; then
		ip netns exec "$NB" nft "$NFT_B"
	fi
	step "initiate con1 from a"
	for c in ${INITIATE:-con1}; do
		swan a "$NA" --initiate --child "$c" --timeout 30 >>"$dst/initiate.out" 2>/dev/null || true
	done
	if [ -n "${AFTER:-}" ]; then
		step "after: $AFTER"
		eval "$AFTER"
	fi
	sleep "${WAIT:-1}"
	stop_charon a
	stop_charon b
	cp "$TMP/a/charon.log" "$dst/a.log"
	cp "$TMP/a/charon.plain" "$dst/a.plain"
	if [ -f "$TMP/b/charon.log" ]; then
		cp "$TMP/b/charon.log" "$dst/b.log"
		cp "$TMP/b/charon.plain" "$dst/b.plain"
	fi
	ip netns del "$NA"
	ip netns del "$NB"
	unset A_SET B_SET A_POST B_POST B_DOWN B_LIBIPSEC WAIT AFTER NFT_B CERTS INITIATE
}

scenario() {
	case $1 in
	healthy) run_scenario healthy ;;
	ike_proposal_mismatch)
		A_SET='IKE=aes256-sha256-modp2048' B_SET='IKE=aes128-sha1-modp2048' run_scenario "$1" ;;
	dh_group_mismatch)
		A_SET='IKE=aes128-sha256-modp2048' B_SET='IKE=aes128-sha256-ecp256' run_scenario "$1" ;;
	invalid_ke_harmless)
		A_SET='IKE=aes128-sha256-modp2048-curve25519' B_SET='IKE=aes128-sha256-curve25519' run_scenario "$1" ;;
	unsupported_dh)
		# this charon has no ECP implementation (no openssl plugin): the group is refused
		A_SET='IKE=aes128-sha256-modp2048-ecp256' B_SET='IKE=aes128-sha256-ecp256' run_scenario "$1" ;;
	pfs_rekey)
		# a real rekey (REKEY_SA) well before the CHILD_SA's hard lifetime
		A_SET='ESP=aes128-sha256-modp2048; EXTRA_CHILD=$'"'"'rekey_time = 5s\n\t\t\t\tlife_time = 60s\n\t\t\t\trand_time = 0s'"'"'' \
			B_SET='ESP=aes128-sha256' WAIT=10 run_scenario "$1" ;;
	pfs_mismatch_reverse)
		A_SET='ESP=aes128-sha256; EXTRA_CHILD="rekey_time = 6s"' B_SET='ESP=aes128-sha256-modp2048' \
			WAIT=12 run_scenario "$1" ;;
	ikev1_healthy)
		A_SET='VER=1' B_SET='VER=1' run_scenario "$1" ;;
	ikev1_psk_mismatch)
		A_SET='VER=1' B_SET='VER=1; PSK=another-shared-key-999' run_scenario "$1" ;;
	psk_mismatch)
		B_SET='PSK=another-shared-key-999' run_scenario "$1" ;;
	id_mismatch)
		A_SET='LID=fqdn:gw-a.example.org' B_SET='RID=fqdn:gw-other.example.org' run_scenario "$1" ;;
	ts_mismatch)
		B_SET='LTS=10.3.0.0/24' run_scenario "$1" ;;
	ts_narrowed)
		A_SET='RTS=10.2.0.0/16' run_scenario "$1" ;;
	child_proposal_mismatch)
		A_SET='ESP=aes256-sha256-modp2048' B_SET='ESP=aes128-sha1-modp2048' run_scenario "$1" ;;
	pfs_mismatch)
		A_SET='ESP=aes128-sha256-modp2048; EXTRA_CHILD="rekey_time = 6s"' B_SET='ESP=aes128-sha256' \
			WAIT=12 run_scenario "$1" ;;
	peer_unreachable)
		B_DOWN=1 WAIT=1 run_scenario "$1" ;;
	nat_t_blocked)
		A_SET='EXTRA_CONN="encap = yes"' \
		NFT_B='add table inet t; add chain inet t in { type filter hook input priority 0; }; add rule inet t in udp dport 4500 drop' \
			WAIT=2 run_scenario "$1" ;;
	dpd_timeout)
		A_SET='DPD=2s' AFTER='kill -9 $(pgrep -P $(cat $TMP/b/pid)) $(cat $TMP/b/pid) 2>/dev/null; sleep 2' \
			WAIT=14 run_scenario "$1" ;;
	dpd_off_peer_restart)
		# DPD off on a; b's charon dies and comes back without the SA: a never notices
		A_SET='DPD=0s' AFTER='kill -9 $(pgrep -P $(cat $TMP/b/pid)) $(cat $TMP/b/pid) 2>/dev/null; sleep 1;
			start_charon b "$NB"; swan b "$NB" --load-all --file "$TMP/b/swanctl/swanctl.conf" >/dev/null 2>&1 || true' \
			WAIT=3 run_scenario "$1" ;;
	peer_delete)
		AFTER='sleep 1; swan b "$NB" --terminate --ike con1 --timeout 5 >/dev/null 2>&1 || true' \
			WAIT=2 run_scenario "$1" ;;
	version_mismatch)
		A_SET='VER=1' run_scenario "$1" ;;
	no_ike_config)
		B_SET='REMOTE=10.99.0.77' run_scenario "$1" ;;
	kernel_failure)
		B_LIBIPSEC=no run_scenario "$1" ;;
	unsupported_algorithm)
		A_SET='IKE=aes128-sha256-modp2048-foo99' run_scenario "$1" ;;
	cert_healthy|cert_untrusted|cert_expired|cert_nokey)
		local kind=${1#cert_}
		[ "$kind" = healthy ] && kind=ok
		A_SET='AUTH=pubkey; LID=gw-a; RID=gw-b; LCERT=a.crt' B_SET='AUTH=pubkey; LID=gw-b; RID=gw-a; LCERT=b.crt' \
			CERTS=$kind run_scenario "$1" ;;
	two_tunnels)
		# con1 is fine; con2 (other identities, other networks) has a PSK mismatch
		A_POST='add_con2 "$1" a2.example b2.example 10.1.2.0/24 10.2.2.0/24 two-shared-key-0123' \
		B_POST='add_con2 "$1" b2.example a2.example 10.2.2.0/24 10.1.2.0/24 wrong-shared-key-999' \
			INITIATE="con1 con2" run_scenario "$1" ;;
	ikev1_proposal_mismatch)
		A_SET='VER=1; IKE=aes256-sha256-modp2048' B_SET='VER=1; IKE=aes128-sha1-modp2048' run_scenario "$1" ;;
	ikev1_ts_mismatch)
		A_SET='VER=1' B_SET='VER=1; LTS=10.3.0.0/24' run_scenario "$1" ;;
	*) echo "unknown scenario $1" >&2; return 1 ;;
	esac
}

ALL="healthy ike_proposal_mismatch dh_group_mismatch invalid_ke_harmless unsupported_dh psk_mismatch id_mismatch
pfs_mismatch_reverse ikev1_healthy ikev1_psk_mismatch
ts_mismatch ts_narrowed child_proposal_mismatch pfs_mismatch peer_unreachable nat_t_blocked
dpd_timeout peer_delete version_mismatch no_ike_config kernel_failure unsupported_algorithm"
for s in ${@:-$ALL}; do
	scenario "$s"
done
step "done: logs in $OUT"
