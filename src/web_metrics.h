/* web_metrics.h - a status document to Prometheus text (/metrics). Pure: no I/O. */
#ifndef TUNNELCTL_WEB_METRICS_H
#define TUNNELCTL_WEB_METRICS_H

#include <jansson.h>
#include <time.h>

#include "util.h"

#define WEB_METRICS_MAX_TUNNELS 100000	/* metric rows rendered at most */

/* Render the Prometheus text exposition (format 0.0.4) of a status document into out; now is
 * the wall clock used to age SAs collected at the document's "generated" time. Pure. */
void web_metrics_render(const json_t *status, time_t now, struct buf *out);

#endif
