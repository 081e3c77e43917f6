/* fuzz_nft.c - libFuzzer target for the analysis of `nft -j list ruleset` output. */
#include <stddef.h>
#include <stdint.h>

#include "nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_analysis a;

	if (nft_analyse((const char *)data, size, &a) == 0) {
		for (size_t i = 0; i < a.n_drops; i++)
			nft_drop_blocks(&a.drops[i]);
	}
	nft_analysis_free(&a);
	return 0;
}
