/* nft.h - our nftables table `inet tunnelctl`, built as ruleset text and run through libnftables.
 *
 * The builder and the ruleset analysis are pure (text in, text out) so they are tested without
 * root; nft_run() and nft_list() are the only functions that talk to the kernel. We never
 * touch another table: every transaction we run names only `inet tunnelctl`.
 */
#ifndef TUNNELCTL_NFT_H
#define TUNNELCTL_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include "tunnel.h"
#include "util.h"

#define NFT_FAMILY "inet"
#define NFT_TABLE "tunnelctl"
#define NFT_CHAIN "input"
/* Before every filter-priority chain (iptables-nft's INPUT and the usual `inet filter`
 * are at 0), after conntrack (-200), so the ct mark we set is seen by the admin's chains. */
#define NFT_PRIORITY (-10)
/* The conntrack mark bit our accept rules set; an admin's drop-policy chain accepts it with
 * `ct mark and 0x00100000 == 0x00100000 accept` (see docs/firewall.md). */
#define NFT_CT_MARK 0x00100000u
/* Largest listing we keep from libnftables (a whole ruleset as JSON). */
#define NFT_MAX_LISTING (8u * 1024u * 1024u)

/* The transaction that replaces our table by the rules for tf, atomically: declare the table,
 * delete it, recreate it in full. With global.firewall = off it only removes the table.
 * Phase 1 entries the rules cannot cover (FQDN peers, mixed address families) are left out
 * with a `#` comment in the text and a warning in notes (at the phase 1's position). Pure. */
void nft_build_ruleset(struct buf *out, const struct tunnel_file *tf, struct tc_errors *notes);

/* The transaction that removes our table whether or not it exists. Pure. */
void nft_build_remove(struct buf *out);

/* Run ruleset text as one libnftables transaction. 0, or -EIO with libnftables' message in
 * err (when err is not NULL). */
int nft_run(const char *text, struct buf *err);

/* True when our table exists in the kernel (a cheap `list tables`, not the rules). */
bool nft_table_exists(void);

/* List our table (what = NULL) or the whole ruleset (what = "ruleset") into out, as nft's
 * text or, with json, as its JSON. 0; -ENOENT when our table does not exist; -EIO otherwise
 * with the message in err. */
int nft_list(const char *what, bool json, struct buf *out, struct buf *err);

/* One rule of our table as read back from the kernel. */
struct nft_rule_info {
	char *name;		/* the rule's comment: the tunnel name conN */
	char *text;		/* a short description: "udp 198.51.100.7 -> 192.0.2.1 dport 500,4500" */
	unsigned long long packets, bytes;
};

/* A base chain of another table that would drop the traffic we accept. */
struct nft_drop_chain {
	char *family, *table, *chain;
	long priority;
	bool policy_drop;	/* policy drop (else: an unconditional drop/reject rule) */
	bool accepts_mark;	/* it has a rule accepting our ct mark */
	bool before_us;		/* priority <= NFT_PRIORITY: runs before our mark is set */
	bool iptables;		/* rules use iptables-nft (xt) expressions we cannot read */
};

/* What nft_analyse() finds in `list ruleset` JSON. One owner: nft_analysis_free(). */
struct nft_analysis {
	bool have_table;	/* our table exists */
	struct nft_rule_info *rules;	/* our table's rules, in order */
	size_t n_rules;
	struct nft_drop_chain *drops;	/* other tables' input chains that drop */
	size_t n_drops;
};

/* Analyse a ruleset listed as JSON (`nft -j list ruleset`): our rules with counters, and
 * base chains on the input hook of other ip/ip6/inet tables whose policy is drop or that
 * have an unconditional drop/reject rule. 0 or -EINVAL (not nft JSON). Pure. */
int nft_analyse(const char *json_text, size_t len, struct nft_analysis *out);

/* True when d drops our traffic: it runs before our chain or does not accept our mark. */
bool nft_drop_blocks(const struct nft_drop_chain *d);

/* Free what nft_analyse() filled; the struct itself is the caller's. */
void nft_analysis_free(struct nft_analysis *a);

#endif
