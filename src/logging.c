/* logging.c - charon's log levels with pfSense's names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "logging.h"

const char *const logging_level_names[LOGGING_MAX - LOGGING_MIN + 1] = {
	"Silent", "Audit", "Control", "Diag", "Raw", "Highest",
};

const char *logging_level_name(int level)
{
	if (level < LOGGING_MIN || level > LOGGING_MAX)
		return "?";
	return logging_level_names[level - LOGGING_MIN];
}

/* A level as a number -1..4 or a pfSense name. 0 or -EINVAL. */
static int parse_level(const char *s, int *out)
{
	char *end;
	long v;

	for (int l = LOGGING_MIN; l <= LOGGING_MAX; l++) {
		if (strcasecmp(s, logging_level_names[l - LOGGING_MIN]) == 0) {
			*out = l;
			return 0;
		}
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < LOGGING_MIN || v > LOGGING_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int category_index(const char *name, size_t len)
{
	for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
		if (strlen(tunnel_log_category_names[i]) == len &&
		    strncmp(tunnel_log_category_names[i], name, len) == 0)
			return i;
	return -1;
}

int logging_parse_assignment(const char *arg, int levels[TUNNEL_LOG_CATEGORIES], char **err)
{
	const char *eq = strchr(arg, '=');
	size_t n;
	int cat, level;

	if (!eq || eq == arg) {
		*err = xasprintf("'%s': expected CATEGORY=LEVEL, e.g. ike=3", arg);
		return -EINVAL;
	}
	n = (size_t)(eq - arg);
	cat = category_index(arg, n);
	if (cat < 0 && !(n == 3 && strncmp(arg, "all", 3) == 0)) {
		*err = xasprintf("'%.*s': not a log category (dmn mgr ike chd job cfg knl net asn enc imc imv pts tls esp lib, or all)",
				 (int)n, arg);
		return -EINVAL;
	}
	if (parse_level(eq + 1, &level) != 0) {
		*err = xasprintf("'%s': level must be -1..4 or Silent, Audit, Control, Diag, Raw, Highest", eq + 1);
		return -EINVAL;
	}
	for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
		if (cat < 0 || i == cat)
			levels[i] = level;
	return 0;
}

int logging_read_fragment(const char *text, size_t len, int levels[TUNNEL_LOG_CATEGORIES])
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("fragment", text, len, NULL, &errs);
	struct conf_node *sec = conf_find(t->root, "charon", CONF_SECTION);
	int rc = 0;

	sec = sec ? conf_find(sec, "filelog", CONF_SECTION) : NULL;
	sec = sec ? conf_find(sec, "tunnelctl", CONF_SECTION) : NULL;
	if (errs.n_errors)
		rc = -EINVAL;
	else if (!sec)
		rc = -ENOENT;
	for (int i = 0; rc == 0 && i < TUNNEL_LOG_CATEGORIES; i++) {
		const char *v = conf_get(sec, tunnel_log_category_names[i]);
		if (!v)
			rc = -ENOENT;
		else if (parse_level(v, &levels[i]) != 0)
			rc = -EINVAL;
	}
	conf_tree_free(t);
	tc_errors_free(&errs);
	return rc;
}
