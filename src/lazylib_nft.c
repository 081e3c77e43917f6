/* lazylib_nft.c - the libnftables functions nft.c calls, found on first use (lazylib.h). */
#include <nftables/libnftables.h>

#include "lazylib.h"

struct nft_ctx *nft_ctx_new(uint32_t flags)
{
	struct nft_ctx *(*fn)(uint32_t) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_new");
	return fn(flags);
}

void nft_ctx_free(struct nft_ctx *ctx)
{
	void (*fn)(struct nft_ctx *) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_free");
	fn(ctx);
}

unsigned int nft_ctx_output_get_flags(struct nft_ctx *ctx)
{
	unsigned int (*fn)(struct nft_ctx *) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_output_get_flags");
	return fn(ctx);
}

void nft_ctx_output_set_flags(struct nft_ctx *ctx, unsigned int flags)
{
	void (*fn)(struct nft_ctx *, unsigned int) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_output_set_flags");
	fn(ctx, flags);
}

int nft_ctx_buffer_output(struct nft_ctx *ctx)
{
	int (*fn)(struct nft_ctx *) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_buffer_output");
	return fn(ctx);
}

const char *nft_ctx_get_output_buffer(struct nft_ctx *ctx)
{
	const char *(*fn)(struct nft_ctx *) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_get_output_buffer");
	return fn(ctx);
}

int nft_ctx_buffer_error(struct nft_ctx *ctx)
{
	int (*fn)(struct nft_ctx *) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_buffer_error");
	return fn(ctx);
}

const char *nft_ctx_get_error_buffer(struct nft_ctx *ctx)
{
	const char *(*fn)(struct nft_ctx *) = lazylib_sym(LAZYLIB_NFT, "nft_ctx_get_error_buffer");
	return fn(ctx);
}

int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf)
{
	int (*fn)(struct nft_ctx *, const char *) = lazylib_sym(LAZYLIB_NFT, "nft_run_cmd_from_buffer");
	return fn(nft, buf);
}
