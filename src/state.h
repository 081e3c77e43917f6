/* state.h - tunnelctl's state directory (/var/lib/tunnelctl): manual-down marks and the last
 * applied tunnel file. Small files, one per fact, so a crash never leaves half a state. */
#ifndef TUNNELCTL_STATE_H
#define TUNNELCTL_STATE_H

#include <stdbool.h>

/* True when `tunnelctl down NAME` marked this connection (IKE or child name) as manually down. */
bool state_is_down(const char *state_dir, const char *name);
/* Set (down = true) or clear the manual-down mark of a connection. 0 or -errno. */
int state_set_down(const char *state_dir, const char *name, bool down);
/* Keep a copy of the tunnel file that was applied (mode 0600: it may hold PSKs). 0 or -errno. */
int state_save_applied(const char *state_dir, const char *tunnel_file);

#endif
