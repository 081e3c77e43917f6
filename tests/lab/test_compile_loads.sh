#!/usr/bin/env bash
# test_compile_loads.sh - every examples/*.conf and tests/data/compile/*.conf, compiled with --show-secrets, loads into a real
# charon (private network and mount namespace, own VICI socket), and charon then has exactly
# the connections and children the tunnel file implies, with the proposals it implies.
#
# The expectations come from the tunnel file itself, read here with a small awk flattener and
# an independent bash version of the naming (SPEC §2) and proposal (SPEC §4.4) rules in
# charon's own notation (AES_CBC_256/HMAC_SHA2_256_128/...). swanctl is only the oracle.
set -euo pipefail
cd "$(dirname "$0")/../.."

TC=$PWD/tunnelctl
NS=tccomp$$
WORK=$(mktemp -d /tmp/tc-compile-loads.XXXXXX)
URI=unix://$WORK/charon.vici
LOG=$WORK/charon.log
CHARON_PID=

step() { echo "== $*"; }
# pki without the host's TPM plugin noise
pki_q() { pki "$@" 2> >(grep -v "TPM 2.0\|plugin 'tpm'" >&2 || true); }
die() { echo "FAIL: $*" >&2; exit 1; }

cleanup() {
	if [ -n "$CHARON_PID" ]; then
		kill "$CHARON_PID" 2>/dev/null || true
		wait "$CHARON_PID" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$TC" ] || die "build ./tunnelctl first (make)"

# --- tunnel file -> "path<TAB>value" lines (tunnels.1.phase2.3.local<TAB>10.1.0.0/24) ---
flatten() {
	awk '
	function emit(k, v,   p, i) {
		p = ""
		for (i = 1; i <= d; i++)
			p = p st[i] "."
		printf "%s%s\t%s\n", p, k, v
	}
	{
		line = $0; out = ""; q = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (c == "\"") q = !q
			if (c == "#" && !q) break
			out = out c
		}
		line = out
		while (1) {
			sub(/^[ \t]+/, "", line)
			if (line == "") break
			if (substr(line, 1, 1) == "}") { d--; line = substr(line, 2); continue }
			if (match(line, /^[A-Za-z0-9_.-]+[ \t]*\{/)) {
				name = substr(line, 1, RLENGTH); sub(/[ \t]*\{$/, "", name)
				st[++d] = name; line = substr(line, RLENGTH + 1); continue
			}
			if (match(line, /^[A-Za-z0-9_.-]+[ \t]*=/)) {
				key = substr(line, 1, RLENGTH); sub(/[ \t]*=$/, "", key)
				line = substr(line, RLENGTH + 1); sub(/^[ \t]+/, "", line)
				if (substr(line, 1, 1) == "\"") {
					val = ""; i = 2
					while (i <= length(line) && substr(line, i, 1) != "\"") {
						if (substr(line, i, 1) == "\\") i++
						val = val substr(line, i, 1); i++
					}
					line = substr(line, i + 1)
				} else {
					e = index(line, "}")
					if (e) { val = substr(line, 1, e - 1); line = substr(line, e) }
					else { val = line; line = "" }
					sub(/[ \t]+$/, "", val)
				}
				emit(key, val); continue
			}
			print "flatten: cannot read: " line > "/dev/stderr"; exit 3
		}
	}' "$1"
}

# --- pfSense names -> charon's transform names, written out independently of proposal.c ---
declare -A ENC=(
	[aes128]=AES_CBC_128 [aes192]=AES_CBC_192 [aes256]=AES_CBC_256
	[aes128gcm64]=AES_GCM_8_128 [aes128gcm96]=AES_GCM_12_128 [aes128gcm128]=AES_GCM_16_128
	[aes192gcm64]=AES_GCM_8_192 [aes192gcm96]=AES_GCM_12_192 [aes192gcm128]=AES_GCM_16_192
	[aes256gcm64]=AES_GCM_8_256 [aes256gcm96]=AES_GCM_12_256 [aes256gcm128]=AES_GCM_16_256
	[3des]=3DES_CBC [chacha20poly1305]=CHACHA20_POLY1305
)
declare -A INTEG=( [md5]=HMAC_MD5_96 [sha1]=HMAC_SHA1_96 [sha256]=HMAC_SHA2_256_128
	[sha384]=HMAC_SHA2_384_192 [sha512]=HMAC_SHA2_512_256 [aesxcbc]=AES_XCBC_96 )
declare -A PRF=( [md5]=PRF_HMAC_MD5 [sha1]=PRF_HMAC_SHA1 [sha256]=PRF_HMAC_SHA2_256
	[sha384]=PRF_HMAC_SHA2_384 [sha512]=PRF_HMAC_SHA2_512 [aesxcbc]=PRF_AES128_XCBC )
declare -A DH=( [1]=MODP_768 [2]=MODP_1024 [5]=MODP_1536 [14]=MODP_2048 [15]=MODP_3072
	[16]=MODP_4096 [17]=MODP_6144 [18]=MODP_8192 [19]=ECP_256 [20]=ECP_384 [21]=ECP_521
	[22]=MODP_1024_160 [23]=MODP_2048_224 [24]=MODP_2048_256 [25]=ECP_192 [26]=ECP_224
	[27]=ECP_224_BP [28]=ECP_256_BP [29]=ECP_384_BP [30]=ECP_512_BP [31]=CURVE_25519
	[32]=CURVE_448 )

is_aead() { case "$1" in *gcm* | chacha20poly1305) return 0 ;; esac; return 1; }
# "aes" stands for every AES key length, longest first (docs/decisions.md)
expand_enc() { if [ "$1" = aes ]; then echo aes256 aes192 aes128; else echo "$1"; fi; }
enc_name() { [ -n "${ENC[$1]:-}" ] || die "test has no charon name for encryption '$1'"; echo "${ENC[$1]}"; }
split_list() { tr ',' '\n' <<<"$1" | sed 's/^[ \t]*//; s/[ \t]*$//' | grep -v '^$' || true; }

declare -A F
get() { echo "${F[$1]:-$2}"; }

# IKE proposals of phase 1 $1, as charon logs them.
expect_ike() {
	local n=$1 out=() ids e h p d x
	ids=$(printf '%s\n' "${!F[@]}" | sed -n "s/^tunnels\.$n\.proposals\.\([0-9]*\)\..*/\1/p" | sort -un)
	[ -n "$ids" ] || ids=default
	for x in $ids; do
		if [ "$x" = default ]; then
			e=aes128 h=sha256 p= d=14
		else
			e=$(get "tunnels.$n.proposals.$x.encryption" aes128)
			h=$(get "tunnels.$n.proposals.$x.hash" "")
			p=$(get "tunnels.$n.proposals.$x.prf" "")
			d=$(get "tunnels.$n.proposals.$x.dh_group" 14)
			is_aead "$e" || h=${h:-sha256}
		fi
		for e in $(expand_enc "$e"); do
			if is_aead "$e"; then
				out+=("IKE:$(enc_name "$e")/${PRF[${p:-${h:-sha256}}]}/${DH[$d]}")
			else
				out+=("IKE:$(enc_name "$e")/${INTEG[$h]}/${PRF[${p:-$h}]}/${DH[$d]}")
			fi
		done
	done
	local IFS=,
	echo "${out[*]}" | sed 's/,/, /g'
}

# ESP/AH proposals of phase 2 $2 under phase 1 $1, one per line.
expect_child_tokens() {
	local pre="tunnels.$1.phase2.$2" proto encs hashes pfs dhp e h
	proto=$(get "$pre.protocol" esp)
	encs=$(get "$pre.encryption" "aes128, aes128gcm128")
	hashes=$(get "$pre.hash" sha256)
	pfs=$(get "$pre.pfs_group" 14)
	dhp=
	[ "$pfs" = 0 ] || dhp="/${DH[$pfs]}"
	if [ "$proto" = ah ]; then
		for h in $(split_list "$hashes"); do echo "AH:${INTEG[$h]}$dhp/NO_EXT_SEQ"; done
		return
	fi
	# AEAD first, in reversed entry order; then the others, one per hash
	for e in $(split_list "$encs" | tac); do
		is_aead "$e" && echo "ESP:$(enc_name "$e")$dhp/NO_EXT_SEQ"
	done
	for e in $(split_list "$encs"); do
		is_aead "$e" && continue
		for e2 in $(expand_enc "$e"); do
			for h in $(split_list "$hashes"); do
				echo "ESP:$(enc_name "$e2")/${INTEG[$h]}$dhp/NO_EXT_SEQ"
			done
		done
	done
}

# --- charon in its own namespaces ---
step "start charon in netns $NS"
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
# the fragment compile --strongswan writes, with its file log moved into $WORK
"$TC" compile --strongswan -c examples/bypass.conf >"$WORK/fragment.conf"
grep -q '^charon {' "$WORK/fragment.conf" || die "fragment has no charon section"
cat >"$WORK/strongswan.conf" <<EOF
include $WORK/fragment.conf
charon {
	load_modular = yes
	install_routes = no
	plugins {
		include /etc/strongswan.d/charon/*.conf
		kernel-libipsec {
			load = yes
		}
		vici {
			socket = $URI
		}
		tpm {
			load = no
		}
	}
	filelog {
		tunnelctl {
			path = $WORK/fragment.log
		}
		lab {
			path = $LOG
			flush_line = yes
			default = 1
			cfg = 2
		}
	}
}
EOF
ip netns exec "$NS" unshare -m --propagation private sh -c \
	"mount -t tmpfs none /run; STRONGSWAN_CONF=$WORK/strongswan.conf exec /usr/lib/ipsec/charon" \
	>"$WORK/charon.out" 2>&1 &
CHARON_PID=$!
for _ in $(seq 100); do
	[ -S "$WORK/charon.vici" ] && break
	kill -0 "$CHARON_PID" 2>/dev/null || { cat "$WORK/charon.out"; die "charon exited"; }
	sleep 0.1
done
[ -S "$WORK/charon.vici" ] || die "no VICI socket after 10 s"

# --- the examples and test files, copied so certificates can be made beside them ---
mkdir -p "$WORK/ex"
cp -a examples/. "$WORK/ex/"
cp tests/data/compile/*.conf "$WORK/ex/"	# files that cover what the examples do not
if grep -lq '^[[:space:]]*auth[[:space:]]*=[[:space:]]*cert' "$WORK"/ex/*.conf; then
	step "make RSA test certificates (this charon has no ECDSA plugin)"
	mkdir -p "$WORK/ex/certs"
	(
		cd "$WORK/ex/certs"
		umask 077
		pki_q --gen --type rsa --size 2048 --outform pem >ca.key
		pki_q --self --ca --lifetime 30 --in ca.key --type rsa \
			--dn "C=CH, O=tunnelctl, CN=tunnelctl test CA" --outform pem >ca.crt
		for side in a b; do
			pki_q --gen --type rsa --size 2048 --outform pem >gw-$side.key
			pki_q --pub --in gw-$side.key --type rsa |
				pki_q --issue --lifetime 30 --cacert ca.crt --cakey ca.key \
					--dn "C=CH, O=tunnelctl, CN=gw-$side.example.com" \
					--san gw-$side.example.com --outform pem >gw-$side.crt
		done
	)
fi

step "charon runs with the compiled fragment: its file log has timestamps and IKE names"
swanctl --stats --uri "$URI" >/dev/null
[ -s "$WORK/fragment.log" ] || die "the fragment's file log stays empty"
grep -Eq '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]+\[[A-Z]+\]' "$WORK/fragment.log" ||
	die "the fragment's time_format is not in effect"

checked=0
for conf in "$WORK"/ex/*.conf; do
	name=$(basename "$conf")
	step "$name: compile"
	"$TC" compile --show-secrets -c "$conf" >"$WORK/$name.swanctl"

	unset F
	declare -A F
	while IFS=$'\t' read -r k v; do F[$k]=$v; done < <(flatten "$conf")

	# expected names and proposals, from the tunnel file
	: >"$WORK/want.names"
	: >"$WORK/want.props"
	if [ -n "$(get global.bypass_networks "")" ]; then
		echo "bypass" >>"$WORK/want.names"
		echo "bypass/bypasslan" >>"$WORK/want.names"
	fi
	for n in $(printf '%s\n' "${!F[@]}" | sed -n 's/^tunnels\.\([0-9]*\)\..*/\1/p' | sort -un); do
		[ "$(get "tunnels.$n.enabled" yes)" = no ] && continue
		echo "con$n" >>"$WORK/want.names"
		echo "ike con$n $(expect_ike "$n")" >>"$WORK/want.props"
		split=no
		[ "$(get "tunnels.$n.version" ikev2)" = ikev1 ] && split=yes
		[ "$(get "tunnels.$n.split_connections" no)" = yes ] && split=yes
		merged=
		first_proto=
		for m in $(printf '%s\n' "${!F[@]}" | sed -n "s/^tunnels\.$n\.phase2\.\([0-9]*\)\..*/\1/p" | sort -un); do
			[ "$(get "tunnels.$n.phase2.$m.enabled" yes)" = no ] && continue
			if [ $split = yes ]; then
				echo "con$n/con${n}_$m" >>"$WORK/want.names"
				echo "child con${n}_$m $(expect_child_tokens "$n" "$m" | paste -sd, | sed 's/,/, /g')" \
					>>"$WORK/want.props"
			else
				proto=$(get "tunnels.$n.phase2.$m.protocol" esp)
				first_proto=${first_proto:-$proto}
				[ "$proto" = "$first_proto" ] && merged+=$(expect_child_tokens "$n" "$m")$'\n'
			fi
		done
		if [ $split = no ] && [ -n "$merged" ]; then
			echo "con$n/con$n" >>"$WORK/want.names"
			# merged child: the entries' proposals in order, each once
			echo "child con$n $(printf '%s' "$merged" | awk 'NF && !seen[$0]++' | paste -sd, | sed 's/,/, /g')" \
				>>"$WORK/want.props"
		fi
	done
	sort -o "$WORK/want.names" "$WORK/want.names"
	sort -o "$WORK/want.props" "$WORK/want.props"

	step "$name: load into charon"
	before=$(wc -l <"$LOG")
	swanctl --load-all --noprompt --file "$WORK/$name.swanctl" --uri "$URI" >"$WORK/load.out" 2>&1 ||
		{ cat "$WORK/load.out"; die "$name: swanctl --load-all failed"; }
	grep -q "successfully loaded" "$WORK/load.out" || { cat "$WORK/load.out"; die "$name: nothing loaded"; }

	step "$name: list-conns shows the expected connections and children"
	swanctl --list-conns --uri "$URI" 2>/dev/null | awk '
		/^[^ ][^:]*:/ { conn = substr($0, 1, index($0, ":") - 1); print conn; next }
		/^  [A-Za-z0-9_-]+: (TUNNEL|TRANSPORT|PASS|DROP|BEET)/ {
			c = substr($0, 3); print conn "/" substr(c, 1, index(c, ":") - 1)
		}' | sort >"$WORK/got.names"
	diff -u "$WORK/want.names" "$WORK/got.names" || die "$name: connection/child names differ"

	step "$name: charon parsed the expected proposals"
	tail -n +"$((before + 1))" "$LOG" | sed 's/^.*\[CFG\]//' | awk '
		/^  conn / { conn = $2; sub(/:$/, "", conn); next }
		/^   child / { child = $2; sub(/:$/, "", child); next }
		/^    proposals = / { sub(/^    proposals = /, ""); print "child " child " " $0; next }
		/^   proposals = / { sub(/^   proposals = /, ""); if (conn != "bypass") print "ike " conn " " $0 }
	' | grep -v '^child bypasslan ' | sort >"$WORK/got.props"
	diff -u "$WORK/want.props" "$WORK/got.props" || die "$name: proposals differ"

	step "$name: secrets loaded"
	for n in $(printf '%s\n' "${!F[@]}" | sed -n 's/^tunnels\.\([0-9]*\)\..*/\1/p' | sort -un); do
		[ "$(get "tunnels.$n.enabled" yes)" = no ] && continue
		if [ "$(get "tunnels.$n.auth" psk)" = psk ]; then
			grep -q "loaded ike secret 'ike-$n'" "$WORK/load.out" || die "$name: ike-$n not loaded"
		else
			# swanctl's private-N only names the key (apply loads it over VICI); the
			# certificates must have reached charon with the connection
			grep -q "private-$n {" "$WORK/$name.swanctl" || die "$name: no private-$n"
			swanctl --list-conns --uri "$URI" 2>/dev/null | grep -q "^    certs: " ||
				die "$name: local certificate of $n not loaded"
			swanctl --list-conns --uri "$URI" 2>/dev/null | grep -q "^    cacerts: " ||
				die "$name: CA certificate of $n not loaded"
		fi
	done
	checked=$((checked + 1))
done

[ "$checked" -ge 9 ] || die "only $checked files checked"
echo "ok: $checked tunnel files load into charon with the expected names and proposals"
