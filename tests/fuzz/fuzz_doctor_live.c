/* fuzz_doctor_live.c - libFuzzer target for doctor --live's parsers of untrusted bytes: the
 * nftables JSON ruleset, certificates (DER from VICI list-certs, PEM from files) and /proc
 * text. Every parser sees every input. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "doctor_live.h"
#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;

	buf_init(&out);
	doctor_live_nft_blocks((const char *)data, size, &out);
	buf_free(&out);
	buf_init(&out);
	doctor_live_nft_nat((const char *)data, size, &out);
	buf_free(&out);
	struct x509_info xi;
	struct buf der;

	if (x509_parse(data, size, &xi) == 0) {
		buf_init(&der);
		x509_dn_text(xi.subject, xi.subject_len, &der);
		for (size_t i = 0; i < 8 && x509_san_id(&xi, i, &der) != -ENOENT; i++)
			;
		if (xi.crit_oid)
			x509_oid_text(xi.crit_oid, xi.crit_oid_len, &der);
		x509_has_policy(&xi, "2.25.7001", true);
		buf_free(&der);
	}
	buf_init(&der);
	x509_to_der(data, size, &der);
	buf_free(&der);
	doctor_live_udp_bound((const char *)data, size, 500);
	doctor_live_module_loaded((const char *)data, size, "esp4");
	return 0;
}
