# lab_charon.sh - sourced by capture.sh: two gateways (network namespaces
# a and b joined by a veth pair), each with a private charon (kernel-libipsec, own /run, own
# VICI socket, filelog). Requires root. Usage:
#   . tests/data/vici/lab_charon.sh
#   lab_init            # names unique per run, cleanup on EXIT
#   lab_net             # netns + veth: a 192.0.2.1, b 192.0.2.2 (LANs 10.1.0.1, 10.2.0.1 on lo)
#   lab_charon a        # start charon in a; socket: $LAB_DIR/a/charon.vici
#   lab_swanctl a ARGS  # swanctl against side a's charon (the oracle; never the product)
#   lab_charon_stop a

LAB_ID=${LAB_ID:-tc$$}
LAB_DIR=${LAB_DIR:-}
LAB_PIDS=()

step() { echo "== $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

lab_cleanup() {
	local p
	for p in "${LAB_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${LAB_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	ip netns del "${LAB_ID}a" 2>/dev/null || true
	ip netns del "${LAB_ID}b" 2>/dev/null || true
	[ -n "$LAB_DIR" ] && [ -z "${LAB_KEEP:-}" ] && rm -rf "$LAB_DIR"
	return 0
}

lab_init() {
	[ "$(id -u)" -eq 0 ] || die "lab tests need root"
	LAB_DIR=$(mktemp -d /tmp/tunnelctl-lab.XXXXXX)
	mkdir -p "$LAB_DIR/a" "$LAB_DIR/b"
	trap lab_cleanup EXIT
}

lab_net() {
	step "namespaces ${LAB_ID}a/${LAB_ID}b with veth"
	ip netns add "${LAB_ID}a"
	ip netns add "${LAB_ID}b"
	ip link add "${LAB_ID}va" type veth peer name "${LAB_ID}vb"
	ip link set "${LAB_ID}va" netns "${LAB_ID}a"
	ip link set "${LAB_ID}vb" netns "${LAB_ID}b"
	ip -n "${LAB_ID}a" addr add 192.0.2.1/24 dev "${LAB_ID}va"
	ip -n "${LAB_ID}b" addr add 192.0.2.2/24 dev "${LAB_ID}vb"
	ip -n "${LAB_ID}a" link set "${LAB_ID}va" up
	ip -n "${LAB_ID}b" link set "${LAB_ID}vb" up
	ip -n "${LAB_ID}a" link set lo up
	ip -n "${LAB_ID}b" link set lo up
	# no dummy module on this kernel: the LAN addresses live on lo
	ip -n "${LAB_ID}a" addr add 10.1.0.1/24 dev lo
	ip -n "${LAB_ID}b" addr add 10.2.0.1/24 dev lo
}

# lab_charon SIDE: start charon in SIDE's namespace with a private /run; wait for its socket.
lab_charon() {
	local side=$1 dir="$LAB_DIR/$1" i
	step "charon on side $side"
	cat >"$dir/strongswan.conf" <<CONF
charon {
	plugins {
		vici {
			socket = unix://$dir/charon.vici
		}
		kernel-libipsec {
			load = yes
		}
		# with kernel-libipsec its routed bypass policies send the link itself into ipsec0
		bypass-lan {
			load = no
		}
	}
	filelog {
		log {
			path = $dir/charon.log
			time_format = %b %e %T
			ike_name = yes
			flush_line = yes
			default = 1
			ike = 2
			chd = 2
			cfg = 2
		}
	}
}
CONF
	ip netns exec "${LAB_ID}$side" unshare -m --propagation private sh -c \
		"mount -t tmpfs none /run; STRONGSWAN_CONF=$dir/strongswan.conf exec /usr/lib/ipsec/charon" \
		>"$dir/charon.out" 2>&1 &
	LAB_PIDS+=($!)
	echo $! >"$dir/charon.pid"
	for i in $(seq 100); do
		[ -S "$dir/charon.vici" ] && return 0
		kill -0 "$(cat "$dir/charon.pid")" 2>/dev/null || break
		sleep 0.1
	done
	cat "$dir/charon.out" "$dir/charon.log" 2>/dev/null | tail -20
	die "charon on side $side did not open its VICI socket"
}

lab_charon_stop() {
	local dir="$LAB_DIR/$1"
	kill "$(cat "$dir/charon.pid")" 2>/dev/null || true
	wait "$(cat "$dir/charon.pid")" 2>/dev/null || true
	rm -f "$dir/charon.vici"
}

lab_swanctl() {
	local side=$1
	shift
	swanctl "$@" --uri "unix://$LAB_DIR/$side/charon.vici" 2> >(grep -v "^plugin '" >&2)
}
