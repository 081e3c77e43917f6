/* compile.h - the tunnel model to swanctl.conf and strongswan.conf text. Pure: no I/O. */
#ifndef TUNNELCTL_COMPILE_H
#define TUNNELCTL_COMPILE_H

#include <stdbool.h>
#include "tunnel.h"
#include "util.h"

/* Relative paths of the generated files under --out-dir. */
#define COMPILE_SWANCTL_PATH "etc/swanctl/conf.d/tunnelctl.conf"
/* Files in strongswan.d/ are included at the top level of strongswan.conf; strongswan.d/charon/
 * would land inside charon.plugins. */
#define COMPILE_STRONGSWAN_PATH "etc/strongswan.d/tunnelctl.conf"
/* charon's file log as the fragment configures it (read by `logs` and `doctor`). */
#define COMPILE_CHARON_LOG "/var/log/charon.log"

struct compile_opts {
	bool show_secrets;	/* false: secrets are written as <hidden> */
};

/* swanctl.conf text (connections, secrets) for tf into out. Deterministic: the same model
 * gives byte-identical text. Disabled phase 1/2 entries are left out. */
void compile_swanctl(struct buf *out, const struct tunnel_file *tf, const struct compile_opts *o);

/* Takes the text of compile_swanctl_stream piece by piece: returns 0, or -errno to stop. */
struct compile_sink {
	int (*write)(void *arg, const char *data, size_t len);
	void *arg;
};

/* compile_swanctl, handing the text to sink in pieces of about COMPILE_PIECE bytes instead
 * of holding all of it (7,999 tunnels make 7 MB): each piece is wiped once written, as it
 * may hold secrets. 0, or the first error the sink returned (the rest is not written). */
#define COMPILE_PIECE (64 * 1024)
int compile_swanctl_stream(const struct tunnel_file *tf, const struct compile_opts *o,
			   const struct compile_sink *sink);

/* strongswan.conf fragment (charon logging, retransmits, make_before_break) into out. charon's
 * file log goes to charon_log (NULL: COMPILE_CHARON_LOG). */
void compile_strongswan(struct buf *out, const struct tunnel_file *tf, const char *charon_log);

/* The start_action charon gets for phase 2 p2 of p1: "none", "start" or "trap"
 * (docs/compile.md, Children). */
const char *compile_start_action(const struct tunnel_phase1 *p1, const struct tunnel_phase2 *p2);

#endif
