#!/usr/bin/env bash
# The VICI client against a real charon: commands, streams, errmsg of failed commands,
# unknown commands/events, event registration and waiting, and the errors for a missing or
# dead socket. Driven by tests/lab/vici_probe.c, built here against build/libtc.a.
source "$(dirname "$0")/lib.sh"
lab_begin

step "build the probe against the library"
make -s -C "$ROOT" build/libtc.a
cc -std=gnu11 -D_GNU_SOURCE -I"$ROOT/src" $(pkg-config --cflags jansson) -o "$TMP/vici_probe" \
	"$ROOT/tests/lab/vici_probe.c" "$ROOT/build/libtc.a" \
	$(pkg-config --libs libnftables jansson libmicrohttpd libxml-2.0 libsystemd)

step "lab up with the example pair"
lab up "$ROOT/examples/lab-a.conf" "$ROOT/examples/lab-b.conf" >/dev/null
wait_ike a con1 || die "con1 did not come up"

step "probe side a's charon"
on a sh -c '"$1" "$TUNNELCTL_VICI" con1' sh "$TMP/vici_probe" | tee "$TMP/probe.out"
assert_contains "$(cat "$TMP/probe.out")" "all vici client checks passed" "every probe check passed"
[ -z "$(ike_uid a con1)" ] || die "the probe's terminate did not take con1 down"
echo "ok: swanctl agrees con1 is down after the probe's terminate"
