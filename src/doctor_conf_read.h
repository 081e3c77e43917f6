/* doctor_conf_read.h - read a config for the doctor: a tunnel file, a swanctl.conf (with
 * includes) or a pfSense config.xml (imported as import-pfsense does), detected by content,
 * into a normalized side (doctor_conf.h). */
#ifndef TUNNELCTL_DOCTOR_CONF_READ_H
#define TUNNELCTL_DOCTOR_CONF_READ_H

#include "doctor_conf.h"

/* Read path into *out (caller frees with doctor_conf_side_free). Returns 0; -ENOENT/-EACCES/
 * -EISDIR/-EFBIG when the file cannot be read (nothing in errs); -EBADMSG when it is not
 * in the settings syntax (errs says where, FILE:LINE:COL: an input error); -EINVAL when it
 * parses but does not load (errs says where; for config.xml the XML line or the imported
 * text): a config_error finding.
 * Warnings (algorithms or selectors the doctor does not understand) go to errs too. */
int doctor_conf_read_path(const char *path, struct doctor_conf_side **out, struct tc_errors *errs);

/* A config_error verdict for a config that does not load: its errors as evidence (the real
 * lines, read from disk). Appended to r; inputs registered in d. */
void doctor_conf_read_add_errors(struct doctor_conf_result *r, struct doctor *d, const char *path,
			   const char *side, const struct tc_errors *errs);

#endif
