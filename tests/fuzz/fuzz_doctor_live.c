/* fuzz_doctor_live.c - libFuzzer target for doctor --live's parsers of untrusted bytes: the
 * nftables JSON ruleset, DER certificates (from VICI list-certs) and /proc/net/udp text. All
 * three parsers see every input. */
#include <stddef.h>
#include <stdint.h>

#include "doctor_live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	time_t nb, na;

	buf_init(&out);
	dlive_nft_blocks((const char *)data, size, &out);
	buf_free(&out);
	buf_init(&out);
	dlive_nft_nat((const char *)data, size, &out);
	buf_free(&out);
	dlive_cert_validity(data, size, &nb, &na);
	dlive_udp_bound((const char *)data, size, 500);
	dlive_module_loaded((const char *)data, size, "esp4");
	return 0;
}
