#!/usr/bin/env bash
# lab/lab.sh - the tunnelctl lab: two IPsec gateways on this machine (SPEC §11, docs/lab.md).
#
# Each side is a network namespace with a WAN link to the other side (a veth pair), a LAN
# interface holding the first address of each phase 2 local network, and its own charon
# (kernel-libipsec, private /run via a mount namespace, own VICI socket and filelog).
# tunnelctl itself applies the tunnel files. Everything a lab owns lives in one directory
# ($TUNNELCTL_LAB_DIR/NAME) and two namespaces; `down` removes both and is safe anytime.
#
# Run it through `tunnelctl lab ...`, which sets TUNNELCTL_BIN to its own binary.
set -euo pipefail

LAB_ROOT=${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}
LAB_PREFIX=${TUNNELCTL_LAB_PREFIX:-tclab}
LAB_NAME=${TUNNELCTL_LAB_NAME:-lab}
CHARON=${TUNNELCTL_LAB_CHARON:-/usr/lib/ipsec/charon}
LAB_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Deadlines, in tenths of a second: waits poll often and give up at these.
CHARON_START_DS=100	# charon's VICI socket appears
CHARON_STOP_DS=50	# a process exits after SIGTERM (then SIGKILL)
UP_WAIT_S=10		# `up`: how long to wait for start-action tunnels to come up
NAME_RE='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$'
NFT_TABLE=tunnelctl_lab	# the impair table, inside a side's namespace only

usage() {
	cat <<'EOF'
usage: tunnelctl lab [--name N] COMMAND [ARGS]

  up A.conf B.conf [--no-apply] [--wait SEC]   build the two gateways and apply the files
  down [--all]                                  remove everything (safe anytime)
  status                                        both sides' SAs
  exec a|b -- CMD [ARGS]                        run CMD in a side's namespace with TUNNELCTL_*
  apply a|b [FILE]                              (re-)apply a side's tunnel file (FILE replaces it)
  ping [NAME] [--count N]                       LAN A -> LAN B through the tunnel; reports loss
  impair a|b drop-udp 500|4500|esp|all | drop-esp [in|out] | drop-all | clear
  stop-charon a|b [--kill] / start-charon a|b [--no-apply]
  logs a|b [-f]                                 the side's charon log
  doctor                                        tunnelctl doctor on both logs and configs
  daemon a|b                                    start tunnelctl daemon for a side
  env a|b                                       print the side's TUNNELCTL_* variables
  list                                          the labs that exist
  scenario [--family F] NAME|all OUTDIR         run doctor scenarios (lab/scenarios.sh)

Labs are named (--name N or TUNNELCTL_LAB_NAME, default "lab"); state lives in
TUNNELCTL_LAB_DIR/N (default /run/tunnelctl-lab/N), namespaces are PREFIX-N-a and
PREFIX-N-b (TUNNELCTL_LAB_PREFIX, default "tclab"). See docs/lab.md.
EOF
}

die() { echo "tunnelctl lab: $*" >&2; exit 1; }
usage_die() { echo "tunnelctl lab: $*" >&2; echo "run 'tunnelctl lab --help' for usage" >&2; exit 2; }
say() { echo "lab: $*"; }


# --- names and paths ----------------------------------------------------------------------

# Fill the lab's paths from LAB_NAME; a lab's own record (lab.env) wins for the prefix.
lab_paths() {
	[[ $LAB_NAME =~ $NAME_RE ]] || usage_die "bad lab name '$LAB_NAME' (letters, digits, _ . -, up to 32)"
	LAB_DIR=$LAB_ROOT/$LAB_NAME
	if [ -f "$LAB_DIR/lab.env" ]; then
		LAB_PREFIX=$(sed -n 's/^prefix=//p' "$LAB_DIR/lab.env")
	fi
}

ns_of() { echo "$LAB_PREFIX-$LAB_NAME-$1"; }
side_dir() { echo "$LAB_DIR/$1"; }
ns_exists() { [ -e "/run/netns/$1" ]; }

check_side() {
	case "${1:-}" in
	a | b) ;;
	*) usage_die "expected a side, 'a' or 'b', got '${1:-}'" ;;
	esac
}

need_lab() {
	[ -f "$LAB_DIR/lab.env" ] || die "no lab '$LAB_NAME' (run 'tunnelctl lab up A.conf B.conf --name $LAB_NAME')"
}

# A side's tunnel file: the user's own file, by absolute path (so its includes and relative
# cert/key/psk_file paths mean what they mean outside the lab).
side_conf() { cat "$(side_dir "$1")/conf.path"; }

# Make FILE the side's tunnel file.
set_side_conf() { realpath -e "$2" >"$(side_dir "$1")/conf.path"; }

# The four variables every tunnelctl call of a side gets (charon sees run/ as its /run).
side_env_vars() {
	local d
	d=$(side_dir "$1")
	echo "TUNNELCTL_VICI=unix://$d/run/charon.vici"
	echo "TUNNELCTL_OUT_DIR=$d/run/out"
	echo "TUNNELCTL_STATE_DIR=$d/state"
	echo "TUNNELCTL_CONF=$(side_conf "$1")"
}

# Run a command inside a side's namespace with its TUNNELCTL_* variables, and with this
# lab's tunnelctl first in PATH, so `lab exec a -- tunnelctl status` runs the same binary.
side_exec() {
	local s=$1
	shift
	local -a vars
	mapfile -t vars < <(side_env_vars "$s")
	if [[ $TC == /* ]]; then
		mkdir -p "$LAB_DIR/bin"
		ln -sfn "$TC" "$LAB_DIR/bin/tunnelctl"
	fi
	ip netns exec "$(ns_of "$s")" env "${vars[@]}" TUNNELCTL_BIN="$TC" PATH="$LAB_DIR/bin:$PATH" "$@"
}

side_vici() { echo "unix://$(side_dir "$1")/run/charon.vici"; }

find_tunnelctl() {
	if [ -n "${TUNNELCTL_BIN:-}" ]; then
		TC=$TUNNELCTL_BIN
	elif [ -x "$LAB_SCRIPT_DIR/../tunnelctl" ]; then
		TC=$(cd "$LAB_SCRIPT_DIR/.." && pwd)/tunnelctl
	else
		# commands that need it fail when they call it; down, logs and impair do not
		TC=$(command -v tunnelctl) || TC=tunnelctl
	fi
}

# --- reading tunnel files -----------------------------------------------------------------

# Validate a tunnel file; on errors tunnelctl check has printed them.
validate_file() {
	[ -r "$1" ] || usage_die "$1: cannot read"
	if ! "$TC" check -c "$1" >/dev/null; then
		echo "tunnelctl lab: $1 has errors; nothing was created" >&2
		exit 2
	fi
}

# The first host of a CIDR (the address itself for /31, /32 and plain addresses), with
# the prefix length: 10.1.0.0/24 -> 10.1.0.1/24. IPv6 networks get ::1.
first_host() {
	local cidr=$1 ip len
	ip=${cidr%/*}
	len=${cidr#*/}
	[ "$len" = "$cidr" ] && len=
	if [[ $ip == *:* ]]; then
		[ -z "$len" ] && { echo "$ip/128"; return; }
		[[ $ip == *:: ]] && ip=${ip}1
		echo "$ip/$len"
		return
	fi
	[[ $ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || return 1
	[ -z "$len" ] && { echo "$ip/32"; return; }
	local IFS=. o1 o2 o3 o4 n mask
	read -r o1 o2 o3 o4 <<<"$ip"
	n=$(((o1 << 24) | (o2 << 16) | (o3 << 8) | o4))
	mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
	if [ "$len" -lt 31 ]; then
		n=$(((n & mask) + 1))
	fi
	echo "$(((n >> 24) & 255)).$(((n >> 16) & 255)).$(((n >> 8) & 255)).$((n & 255))/$len"
}

# Save `tunnelctl list --json` of a side's file and derive its addresses:
# wan.addrs (local_address of enabled phase 1), wan.peers, lan.addrs (first host per P2 local).
read_side_file() {
	local s=$1 d
	d=$(side_dir "$s")
	"$TC" -c "$(side_conf "$s")" list --json >"$d/list.json"
	jq -r '.[] | select(.enabled) | .local // empty' "$d/list.json" | sort -u >"$d/wan.addrs"
	jq -r '.[] | select(.enabled) | .peer // empty' "$d/list.json" | sort -u >"$d/wan.peers"
	: >"$d/lan.addrs"
	local net h
	for net in $(jq -r '.[] | select(.enabled) | .phase2[] | select(.enabled) | .local // empty' "$d/list.json" | sort -u); do
		if h=$(first_host "$net"); then
			echo "$h" >>"$d/lan.addrs"
		else
			say "side $s: phase 2 local '$net' is not a network; no LAN address for it"
		fi
	done
	local a
	while read -r a; do
		[[ $a =~ ^[0-9.]+$ || $a == *:* ]] ||
			die "side $s: local '$a' is an interface name; the lab needs local_address = IP"
	done <"$d/wan.addrs"
	[ -s "$d/wan.addrs" ] || die "side $s: no enabled phase 1 with a local_address"
}

# --- building -----------------------------------------------------------------------------

# Both addresses in one IPv4 /24: plain /24 on each end; otherwise host addresses plus routes.
same_24() { [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ && ${1%.*} == "${2%.*}" ]]; }

# The first of a side's WAN addresses in the family of ADDR (IPv6 has a ':'), empty if none.
wan_addr_like() {
	local d=$1 want=$2 a
	while read -r a; do
		if [[ $a == *:* && $want == *:* ]] || [[ $a != *:* && $want != *:* ]]; then
			echo "$a"
			return
		fi
	done <"$d/wan.addrs"
}

setup_wan() {
	local s=$1 d od ns a p src onlink=0
	d=$(side_dir "$s")
	od=$(side_dir "$([ "$s" = a ] && echo b || echo a)")
	ns=$(ns_of "$s")
	ip -n "$ns" link set lo up
	ip -n "$ns" link set wan up
	while read -r a; do
		if [[ $a == *:* ]]; then
			# nodad: usable at once, not "tentative" for a second (charon would send from
			# nowhere); a /128, so the peer needs a route below
			ip -n "$ns" addr add "$a/128" dev wan nodad
			onlink=1
		elif [ "$(wc -l <"$d/wan.peers")" -ge 1 ] && same_24 "$a" "$(head -1 "$d/wan.peers")"; then
			ip -n "$ns" addr add "$a/24" dev wan
		else
			ip -n "$ns" addr add "$a/32" dev wan
			onlink=1
		fi
	done <"$d/wan.addrs"
	# Host routes on the link, from our address of the same family: to the configured peers
	# outside our subnet, and to the other side's addresses even when no tunnel names them
	# (a responder configured for another peer must still reach the initiator to answer it).
	while read -r p; do
		[[ $p =~ ^[0-9.]+$ || $p == *:* ]] || continue
		[ "$p" = 0.0.0.0 ] || [ "$p" = :: ] && continue
		src=$(wan_addr_like "$d" "$p")
		if [ "$onlink" = 1 ] || [ -z "$src" ] || ! same_24 "$src" "$p"; then
			ip -n "$ns" route replace "$p" dev wan ${src:+src "$src"} 2>/dev/null ||
				ip -n "$ns" route replace "$p" dev wan
		fi
	done < <(sort -u "$d/wan.peers" "$od/wan.addrs")
}

# The LAN: a veth pair inside the namespace (this kernel has no dummy driver), first host
# address of each phase 2 local network on "lan".
setup_lan() {
	local s=$1 d ns h
	d=$(side_dir "$s")
	ns=$(ns_of "$s")
	if ! ip -n "$ns" link add lan type dummy 2>/dev/null; then
		ip -n "$ns" link add lan type veth peer name lan-host
		ip -n "$ns" link set lan-host up
	fi
	ip -n "$ns" link set lan up
	while read -r h; do
		ip -n "$ns" addr add "$h" dev lan nodad 2>/dev/null || ip -n "$ns" addr add "$h" dev lan
	done <"$d/lan.addrs"
}

# strongswan.conf for a side's charon. Paths are as charon sees them: its /run is side/run.
write_strongswan_conf() {
	local d
	d=$(side_dir "$1")
	mkdir -p "$d/run/out/etc/strongswan.d/charon" "$d/run/out/etc/swanctl/conf.d" "$d/run/out/var/log"
	cat >"$d/run/strongswan.conf" <<'EOF'
# Written by tunnelctl lab: one private charon per lab side; this file's /run is the side's run/.
charon {
	load_modular = yes
	plugins {
		include /etc/strongswan.d/charon/*.conf
		# this kernel has no in-kernel ESP: userland IPsec through a TUN device
		kernel-libipsec {
			load = yes
		}
		vici {
			load = yes
			socket = unix:///run/charon.vici
		}
		# quiet and independent of the host: no stroke socket, resolv.conf, TPM, multicast
		stroke {
			load = no
		}
		resolve {
			load = no
		}
		tpm {
			load = no
		}
		pkcs11 {
			load = no
		}
		forecast {
			load = no
		}
		farp {
			load = no
		}
		ha {
			load = no
		}
		eap-radius {
			load = no
		}
		dhcp {
			load = no
		}
		led {
			load = no
		}
	}
	filelog {
		lab {
			path = /run/charon.log
			time_format = %b %e %T
			ike_name = yes
			flush_line = yes
			append = yes
			default = 1
			ike = 2
			chd = 2
			cfg = 2
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
}
# what tunnelctl generates (tunnelctl compile --strongswan), at the lab's out dir
include /run/out/etc/strongswan.d/*.conf
include /run/out/etc/strongswan.d/charon/*.conf
# lab-only overrides for this side (TUNNELCTL_LAB_STRONGSWAN_A/_B at `lab up`)
include /run/lab-extra.conf
EOF
	local extra_var=TUNNELCTL_LAB_STRONGSWAN_${1^^}
	if [ -n "${!extra_var:-}" ]; then
		cp "${!extra_var}" "$d/run/lab-extra.conf"
	else
		: >"$d/run/lab-extra.conf"
	fi
}

# The generated strongswan.conf fragment, written before charon starts so its first start
# already has the tunnel file's logging and retransmit settings.
write_strongswan_fragment() {
	local d
	d=$(side_dir "$1")
	if "$TC" -c "$(side_conf "$1")" --out-dir "$d/run/out" compile --strongswan >"$d/run/out/etc/strongswan.d/tunnelctl.conf.tmp" 2>/dev/null; then
		mv "$d/run/out/etc/strongswan.d/tunnelctl.conf.tmp" "$d/run/out/etc/strongswan.d/tunnelctl.conf"
	else
		rm -f "$d/run/out/etc/strongswan.d/tunnelctl.conf.tmp"
	fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# Wait until pid is gone (SIGTERM, then SIGKILL at the deadline).
kill_wait() {
	local pid=$1 i
	pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < CHARON_STOP_DS; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < CHARON_STOP_DS; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
}

charon_pid() {
	local f
	f=$(side_dir "$1")/charon.pid
	[ -f "$f" ] && cat "$f"
	return 0
}

# Start a side's charon: in the namespace, in a private mount namespace whose /run is the
# side's run/ directory and /var/log its log/ (pid file, VICI socket and logs stay apart
# from the host's and the other side's). The side's run/ is also mounted at its host path
# inside, so paths tunnelctl writes into generated files (the out dir's log file) mean the
# same for charon as for tunnelctl.
start_charon() {
	local s=$1 d ns pid i
	d=$(side_dir "$s")
	ns=$(ns_of "$s")
	pid=$(charon_pid "$s")
	if pid_alive "$pid"; then
		say "side $s: charon already runs (pid $pid)"
		return 0
	fi
	rm -f "$d/run/charon.vici" "$d/run/charon.pid"
	mkdir -p "$d/log"
	# /var/log first (its source is under /run), so the generated filelog stays in the lab
	setsid ip netns exec "$ns" unshare -m --propagation private sh -c \
		'mount --bind "$1" /var/log && mount --bind "$2" /run && mkdir -p "$2" && mount --bind /run "$2" &&
		 STRONGSWAN_CONF=/run/strongswan.conf exec "$3"' \
		sh "$d/log" "$d/run" "$CHARON" </dev/null >>"$d/charon.out" 2>&1 &
	pid=$!
	echo "$pid" >"$d/charon.pid"
	for ((i = 0; i < CHARON_START_DS; i++)); do
		if [ -S "$d/run/charon.vici" ]; then
			say "side $s: charon running (pid $pid, vici $(side_vici "$s"))"
			return 0
		fi
		pid_alive "$pid" || break
		sleep 0.1
	done
	tail -5 "$d/charon.out" >&2 || true
	die "side $s: charon did not start (see $d/charon.out, $d/run/charon.log)"
}

# stop_charon SIDE [--kill]: SIGTERM lets charon send DELETE for its SAs (a gateway shut
# down); --kill is a crash: the peer is not told and keeps its SAs until DPD notices.
stop_charon() {
	local s=$1 pid
	pid=$(charon_pid "$s")
	if pid_alive "$pid" && [ "${2:-}" = --kill ]; then
		kill -KILL "$pid"
		while pid_alive "$pid"; do sleep 0.05; done
		say "side $s: charon killed"
	elif pid_alive "$pid"; then
		kill_wait "$pid"
		say "side $s: charon stopped"
	else
		say "side $s: charon not running"
	fi
	rm -f "$(side_dir "$s")/run/charon.vici"
}

# Apply a side's tunnel file with tunnelctl apply, inside its namespace.
apply_side() {
	say "side $1: tunnelctl apply"
	side_exec "$1" "$TC" apply
}

# --- subcommands --------------------------------------------------------------------------

cmd_up() {
	local files=() no_apply=0 wait_s=$UP_WAIT_S
	while [ $# -gt 0 ]; do
		case "$1" in
		--no-apply) no_apply=1 ;;
		--wait) wait_s=${2:?--wait needs seconds}; shift ;;
		-*) usage_die "up: unknown option '$1'" ;;
		*) files+=("$1") ;;
		esac
		shift
	done
	[ ${#files[@]} -eq 2 ] || usage_die "up needs two tunnel files: A.conf B.conf"
	# Validate before creating anything.
	validate_file "${files[0]}"
	validate_file "${files[1]}"
	local s ns
	for s in a b; do
		ns=$(ns_of "$s")
		if ns_exists "$ns" || [ -e "$LAB_DIR" ]; then
			echo "tunnelctl lab: lab '$LAB_NAME' exists already (namespace $ns or $LAB_DIR)" >&2
			echo "clean it up with: tunnelctl lab --name $LAB_NAME down" >&2
			exit 1
		fi
	done
	mkdir -p "$LAB_ROOT"
	mkdir -m 0700 "$LAB_DIR" || die "cannot create $LAB_DIR"
	printf 'name=%s\nprefix=%s\nns_a=%s\nns_b=%s\n' "$LAB_NAME" "$LAB_PREFIX" "$(ns_of a)" "$(ns_of b)" >"$LAB_DIR/lab.env"
	# From here on a failure (or Ctrl-C) leaves a partial lab: remove it on the way out.
	UP_DONE=0
	trap 'if [ "$UP_DONE" = 0 ]; then echo "tunnelctl lab: up failed; removing the partial lab" >&2; remove_lab >/dev/null 2>&1; fi' EXIT
	trap 'exit 130' INT TERM
	local i=0
	for s in a b; do
		mkdir -p "$(side_dir "$s")/run" "$(side_dir "$s")/state"
		set_side_conf "$s" "${files[$i]}"
		i=$((i + 1))
		read_side_file "$s"
	done
	ip netns add "$(ns_of a)"
	ip netns add "$(ns_of b)"
	ip link add wan netns "$(ns_of a)" type veth peer name wan netns "$(ns_of b)"
	for s in a b; do
		setup_wan "$s"
		setup_lan "$s"
		write_strongswan_conf "$s"
		write_strongswan_fragment "$s"
		say "side $s: namespace $(ns_of "$s"), wan $(paste -sd' ' "$(side_dir "$s")/wan.addrs"), lan $(paste -sd' ' "$(side_dir "$s")/lan.addrs")"
	done
	start_charon a
	start_charon b
	# The gateways stand; an apply that fails is an outcome to look at, not a broken lab.
	UP_DONE=1
	if [ "$no_apply" = 1 ]; then
		say "lab '$LAB_NAME' is up (tunnel files not applied)"
		return 0
	fi
	# the responder first, so A's start action finds B ready
	local failed=""
	apply_side b || failed+=" b"
	apply_side a || failed+=" a"
	if [ -n "$failed" ]; then
		echo "tunnelctl lab: apply failed (side${failed}); the lab stays up for a look:" \
			"'tunnelctl lab --name $LAB_NAME logs${failed% *}', then '... down'" >&2
		exit 1
	fi
	wait_tunnels "$wait_s"
}

# Wait (up to SEC) for side A's start-action tunnels, then print which came up.
wait_tunnels() {
	local wait_s=$1 i names n up
	names=$(jq -r '.[] | select(.enabled) | .phase2[] | select(.enabled) | .name' "$(side_dir a)/list.json" | sort -u)
	n=$(echo "$names" | grep -c . || true)
	for ((i = 0; i < wait_s * 10; i++)); do
		up=$(sas_up a | sort -u | grep -cxF -f <(echo "$names") || true)
		[ "$up" -ge "$n" ] && break
		sleep 0.1
	done
	local name
	for name in $names; do
		if grep -qxF "$name" <<<"$(sas_up a)"; then
			say "tunnel $name: up"
		else
			say "tunnel $name: down (see 'tunnelctl lab logs a')"
		fi
	done
	say "lab '$LAB_NAME' is up"
}

# Names of the installed child SAs of a side, one per line.
sas_up() {
	side_exec "$1" "$TC" status --json 2>/dev/null |
		jq -r '.ike_sas[]?.children[]? | select(.state == "INSTALLED") | .name' 2>/dev/null || true
}

cmd_down() {
	local all=0
	[ "${1:-}" = --all ] && all=1
	if [ "$all" = 1 ]; then
		local d
		for d in "$LAB_ROOT"/*/; do
			[ -d "$d" ] || continue
			LAB_NAME=$(basename "$d")
			LAB_PREFIX=${TUNNELCTL_LAB_PREFIX:-tclab}
			lab_paths
			remove_lab
		done
		# namespaces whose directory is gone (a crashed run with another root)
		local ns
		for ns in $(ip netns list | awk '{print $1}' | grep "^${LAB_PREFIX}-.*-[ab]\$" || true); do
			remove_ns "$ns"
		done
		return 0
	fi
	remove_lab
}

# Kill every process in a namespace, then delete it.
remove_ns() {
	local ns=$1 pid
	ns_exists "$ns" || return 0
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill_wait "$pid"
	done
	ip netns del "$ns" 2>/dev/null || true
	say "removed namespace $ns"
}

remove_lab() {
	local s found=0
	for s in a b; do
		# a process started from this lab that left the namespace still goes
		local f
		for f in "$(side_dir "$s")/charon.pid" "$(side_dir "$s")/daemon.pid"; do
			[ -f "$f" ] && kill_wait "$(cat "$f")" && found=1
		done
		if ns_exists "$(ns_of "$s")"; then
			remove_ns "$(ns_of "$s")"
			found=1
		fi
	done
	if [ -e "$LAB_DIR" ]; then
		rm -rf "$LAB_DIR"
		found=1
	fi
	if [ "$found" = 1 ]; then
		say "lab '$LAB_NAME' removed"
	else
		say "no lab '$LAB_NAME' to remove"
	fi
}

cmd_status() {
	need_lab
	local s
	for s in a b; do
		echo "=== side $s ($(ns_of "$s"), $(paste -sd' ' "$(side_dir "$s")/wan.addrs")) ==="
		if ! pid_alive "$(charon_pid "$s")"; then
			echo "charon not running"
		else
			side_exec "$s" "$TC" status || true
		fi
	done
}

cmd_exec() {
	need_lab
	local s=${1:-}
	check_side "$s"
	shift
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || usage_die "exec $s -- CMD [ARGS]"
	side_exec "$s" "$@"
}

cmd_env() {
	need_lab
	check_side "${1:-}"
	side_env_vars "$1" | sed 's/^/export /'
	echo "# run commands in the namespace with: ip netns exec $(ns_of "$1") CMD"
}

cmd_apply() {
	need_lab
	local s=${1:-}
	check_side "$s"
	if [ -n "${2:-}" ]; then
		validate_file "$2"
		set_side_conf "$s" "$2"
	fi
	apply_side "$s"
}

# ping [NAME] [--count N]: from the first host of A's phase 2 local network to the first host
# of its remote network (B's LAN address when the pair matches), through the tunnel.
cmd_ping() {
	need_lab
	local name="" count=3
	while [ $# -gt 0 ]; do
		case "$1" in
		# not -c: tunnelctl takes -c (the tunnel file) out of every command line
		--count) count=${2:?--count needs a number}; shift ;;
		--count=*) count=${1#--count=} ;;
		-*) usage_die "ping: unknown option '$1'" ;;
		*) name=$1 ;;
		esac
		shift
	done
	local sel line src dst
	# NAME matches conN, conN_M, N or the description
	sel='.[] | select(.enabled) | . as $p | .phase2[] | select(.enabled)
	     | select($n == "" or .name == $n or $p.name == $n or ($p.ikeid|tostring) == $n
	              or $p.description == $n or .description == $n)
	     | "\(.name) \(.local) \(.remote)"'
	line=$(jq -r --arg n "$name" "$sel" "$(side_dir a)/list.json" | head -1)
	[ -n "$line" ] || die "no enabled phase 2 on side a matches '$name'"
	set -- $line
	src=$(first_host "$2") || die "phase 2 $1: local '$2' is not a network"
	dst=$(first_host "$3") || die "phase 2 $1: remote '$3' is not a network"
	src=${src%/*}
	dst=${dst%/*}
	local out sent recv
	out=$(ip netns exec "$(ns_of a)" ping -n -q -c "$count" -i 0.2 -W 1 -I "$src" "$dst" 2>&1 || true)
	sent=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	recv=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	if [ -z "$sent" ]; then
		echo "$out" >&2
		die "ping failed"
	fi
	echo "ping $1: $src -> $dst: $sent sent, $recv received, $(((sent - recv) * 100 / sent))% loss"
	[ "$recv" -gt 0 ]
}

# impair: an nftables table inside the side's namespace; rules add up until `clear`.
cmd_impair() {
	need_lab
	local s=${1:-} mode=${2:-} arg=${3:-} ns rules chains="input output"
	check_side "$s"
	ns=$(ns_of "$s")
	if [ "$mode" = drop-udp ]; then
		case "$arg" in
		esp) mode=drop-esp arg= ;;
		all) mode=drop-all arg= ;;
		'') usage_die "impair $s drop-udp 500|4500|esp|all" ;;
		*) [[ $arg =~ ^[0-9]+$ ]] || usage_die "impair: bad port '$arg'" ;;
		esac
	fi
	case "$mode" in
	drop-udp)
		rules="udp dport $arg counter drop comment \"drop-udp $arg\"
		       udp sport $arg counter drop comment \"drop-udp $arg\"" ;;
	drop-esp)
		# one way only: in = what arrives at this side, out = what it sends
		case "$arg" in
		in) chains=input ;;
		out) chains=output ;;
		'') ;;
		*) usage_die "impair $s drop-esp [in|out]" ;;
		esac
		# kernel-libipsec sends ESP inside UDP 4500 (non-zero first word: an SPI, whereas IKE
		# on 4500 starts with the four-byte zero non-ESP marker); raw ESP for other charons.
		rules="meta l4proto esp counter drop comment \"drop-esp\"
		       udp dport 4500 @th,64,32 != 0 counter drop comment \"drop-esp\"
		       udp sport 4500 @th,64,32 != 0 counter drop comment \"drop-esp\"" ;;
	drop-all)
		rules="meta iifname \"wan\" counter drop comment \"drop-all\"
		       meta oifname \"wan\" counter drop comment \"drop-all\"" ;;
	clear)
		ip netns exec "$ns" nft delete table inet "$NFT_TABLE" 2>/dev/null || true
		say "side $s: impairments cleared"
		return 0 ;;
	list)
		ip netns exec "$ns" nft list table inet "$NFT_TABLE" 2>/dev/null || say "side $s: no impairment"
		return 0 ;;
	*) usage_die "impair a|b drop-udp 500|4500|esp|all | drop-esp [in|out] | drop-all | clear | list" ;;
	esac
	local chain r nftin
	nftin="table inet $NFT_TABLE {
	chain input { type filter hook input priority -10; policy accept; }
	chain output { type filter hook output priority -10; policy accept; }
}"
	for chain in $chains; do
		while read -r r; do
			[ -n "$r" ] && nftin+=$'\n'"add rule inet $NFT_TABLE $chain $r"
		done <<<"$rules"
	done
	ip netns exec "$ns" nft -f - <<<"$nftin"
	say "side $s: $mode${arg:+ $arg} active"
}

cmd_logs() {
	need_lab
	local s=${1:-} f
	check_side "$s"
	f=$(side_dir "$s")/run/charon.log
	[ -f "$f" ] || die "side $s: no log yet"
	if [ "${2:-}" = -f ]; then
		exec tail -n 50 -f "$f"
	fi
	cat "$f"
}

cmd_doctor() {
	need_lab
	local confs=()
	# the configs too, once the doctor compares them (SPEC §10 --config/--peer-config)
	if grep -q -- --peer-config <<<"$("$TC" doctor --help 2>/dev/null)"; then
		confs=(--config "$(side_conf a)" --peer-config "$(side_conf b)")
	fi
	"$TC" doctor "${confs[@]}" "$@" "$(side_dir a)/run/charon.log" "$(side_dir b)/run/charon.log"
}

cmd_daemon() {
	need_lab
	local s=${1:-} d
	check_side "$s"
	d=$(side_dir "$s")
	local -a vars
	mapfile -t vars < <(side_env_vars "$s")
	setsid ip netns exec "$(ns_of "$s")" env "${vars[@]}" "$TC" daemon </dev/null >>"$d/daemon.log" 2>&1 &
	echo $! >"$d/daemon.pid"
	say "side $s: tunnelctl daemon started (pid $!, log $d/daemon.log)"
}

cmd_list() {
	local d
	for d in "$LAB_ROOT"/*/; do
		[ -f "$d/lab.env" ] || continue
		echo "$(basename "$d")  $(sed -n 's/^ns_a=//p' "$d/lab.env") $(sed -n 's/^ns_b=//p' "$d/lab.env")  $d"
	done
}

# --- main ---------------------------------------------------------------------------------

main() {
	local args=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--) args+=("$@"); break ;;
		--name) LAB_NAME=${2:?--name needs a value}; shift ;;
		--name=*) LAB_NAME=${1#--name=} ;;
		-h | --help) usage; exit 0 ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	set -- "${args[@]+"${args[@]}"}"
	local cmd=${1:-}
	[ -n "$cmd" ] || { usage >&2; exit 2; }
	shift
	case "$cmd" in
	-h | --help | help) usage; exit 0 ;;
	esac
	[ "$(id -u)" -eq 0 ] || die "the lab needs root (network namespaces, nftables)"
	find_tunnelctl
	lab_paths
	case "$cmd" in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status ;;
	exec) cmd_exec "$@" ;;
	env) cmd_env "$@" ;;
	apply) cmd_apply "$@" ;;
	ping) cmd_ping "$@" ;;
	impair) cmd_impair "$@" ;;
	stop-charon) need_lab; check_side "${1:-}"; stop_charon "$1" "${2:-}" ;;
	start-charon)
		need_lab
		check_side "${1:-}"
		start_charon "$1"
		[ "${2:-}" = --no-apply ] || apply_side "$1" ;;
	logs) cmd_logs "$@" ;;
	doctor) cmd_doctor "$@" ;;
	daemon) cmd_daemon "$@" ;;
	list) cmd_list ;;
	scenario) exec "$LAB_SCRIPT_DIR/scenarios.sh" "$@" ;;
	*) usage_die "unknown command '$cmd'" ;;
	esac
}

main "$@"
