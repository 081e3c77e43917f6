/* swanctl_msg.c - swanctl.conf sections to load-conn / load-shared VICI messages (swanctl's rules). */
#include "swanctl_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SWANCTL_MAX_CRED_FILE (1024u * 1024u)	/* one certificate or public key file */

static const char *const list_keys[] = {
	"local_addrs", "remote_addrs", "proposals", "esp_proposals", "ah_proposals",
	"local_ts", "remote_ts", "vips", "pools", "groups", "cert_policy",
};

/* File list keys and the swanctl subdirectory relative names are found in. */
static const struct {
	const char *key;
	const char *dir;
} file_list_keys[] = {
	{ "certs", "x509" },
	{ "cacerts", "x509ca" },
	{ "pubkeys", "pubkey" },
};

/* Secret section prefixes, in swanctl's order; only the first five are shared secrets. */
static const struct {
	const char *prefix;
	bool shared;
} secret_types[] = {
	{ "eap", true }, { "xauth", true }, { "ntlm", true }, { "ike", true }, { "ppk", true },
	{ "private", false }, { "rsa", false }, { "ecdsa", false }, { "pkcs8", false },
	{ "pkcs12", false }, { "token", false },
};

bool swanctl_msg_is_list_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(list_keys); i++)
		if (strcasecmp(list_keys[i], key) == 0)
			return true;
	return false;
}

static const char *file_list_dir(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_list_keys); i++)
		if (strcasecmp(file_list_keys[i].key, key) == 0)
			return file_list_keys[i].dir;
	return NULL;
}

bool swanctl_msg_is_file_list_key(const char *key)
{
	return file_list_dir(key) != NULL;
}

/* Next comma-separated token of *s (blanks trimmed, empty tokens skipped, quotes kept whole)
 * into a fresh string; NULL at the end. */
static char *next_token(const char **s)
{
	const char *p = *s, *end, *next;

	while (*p == ' ' || *p == ',')
		p++;
	if (!*p) {
		*s = p;
		return NULL;
	}
	if ((*p == '"' || *p == '\'') && (end = strchr(p + 1, *p))) {
		*s = end + 1;
		return xstrndup(p + 1, (size_t)(end - p - 1));
	}
	end = strchr(p, ',');
	next = end ? end + 1 : p + strlen(p);
	if (!end)
		end = p + strlen(p);
	while (end > p && end[-1] == ' ')
		end--;
	*s = next;
	return xstrndup(p, (size_t)(end - p));
}

/* Decode hex (an even number of digits) into out. 0 or -EINVAL. */
static int hex_decode(const char *s, struct buf *out)
{
	size_t l = strlen(s);

	if (l % 2)
		return -EINVAL;
	for (size_t i = 0; i < l; i += 2) {
		int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		buf_addc(out, (char)(hi << 4 | lo));
	}
	return 0;
}

static int b64_value(char c)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tbl, c) : NULL;

	return p ? (int)(p - tbl) : -1;
}

/* Decode standard base64 (padding optional) into out. 0 or -EINVAL. */
static int base64_decode(const char *s, struct buf *out)
{
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t pad = 0;

	for (; *s; s++) {
		int v;
		if (*s == '=') {
			pad++;
			continue;
		}
		v = b64_value(*s);
		if (v < 0 || pad)
			return -EINVAL;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)(acc >> bits));
		}
	}
	return pad > 2 ? -EINVAL : 0;
}

/* Inline blob forms 0x<hex> and 0s<base64>: 1 when s is one (decoded into out), 0 when not,
 * -EINVAL when malformed. */
static int blob_decode(const char *s, struct buf *out)
{
	if (strncasecmp(s, "0x", 2) == 0)
		return hex_decode(s + 2, out) ? -EINVAL : 1;
	if (strncasecmp(s, "0s", 2) == 0)
		return base64_decode(s + 2, out) ? -EINVAL : 1;
	return 0;
}

int swanctl_msg_secret_decode(const char *s, struct buf *out)
{
	int rc = blob_decode(s, out);

	if (rc < 0)
		return rc;
	if (rc == 0)
		buf_adds(out, s);
	return 0;
}

static void err_at(struct tc_errors *errs, const struct conf_node *n, const char *fmt,
		   const char *a, const char *b)
{
	tc_errors_add(errs, false, n->file ? n->file : "-", n->line, n->col, fmt, a, b);
}

static int add_list(struct vici_msg *m, const struct conf_node *kv)
{
	const char *s = kv->value ? kv->value : "";
	char *tok;

	vici_msg_list_start(m, kv->name);
	while ((tok = next_token(&s))) {
		vici_msg_list_item_str(m, tok);
		free(tok);
	}
	vici_msg_list_end(m);
	return 0;
}

static int add_file_list(struct vici_msg *m, const struct conf_node *kv,
			 const struct swanctl_msg_io *io, struct tc_errors *errs)
{
	const char *s = kv->value ? kv->value : "";
	char *tok;
	int ret = 0;

	vici_msg_list_start(m, kv->name);
	while (!ret && (tok = next_token(&s))) {
		struct buf b;
		int r;

		buf_init(&b);
		r = blob_decode(tok, &b);
		if (r < 0) {
			err_at(errs, kv, "%s: malformed inline blob '%s'", kv->name, tok);
			ret = -EINVAL;
		} else if (r == 0 && !(io && io->read)) {
			err_at(errs, kv, "%s: cannot read file '%s' here", kv->name, tok);
			ret = -EINVAL;
		} else if (r == 0 && (r = io->read(io->arg, kv->name, tok, &b)) < 0) {
			tc_errors_add(errs, false, kv->file ? kv->file : "-", kv->line, kv->col,
				      "%s: loading '%s' failed: %s", kv->name, tok, strerror(-r));
			ret = -EINVAL;
		} else {
			vici_msg_list_item(m, b.data, b.len);
		}
		buf_free(&b);
		free(tok);
	}
	vici_msg_list_end(m);
	return ret;
}

/* Key/values of sec in file order, then its subsections, recursively. */
static int add_section(struct vici_msg *m, const struct conf_node *sec,
		       const struct swanctl_msg_io *io, struct tc_errors *errs)
{
	int ret = 0;

	if (sec->refs) {
		err_at(errs, sec, "section '%s': templates (': %s') are not supported", sec->name,
		       sec->refs);
		return -EINVAL;
	}
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *c = sec->child[i];
		if (c->type != CONF_KV)
			continue;
		if (swanctl_msg_is_list_key(c->name))
			add_list(m, c);
		else if (swanctl_msg_is_file_list_key(c->name)) {
			if (add_file_list(m, c, io, errs))
				ret = -EINVAL;
		} else
			vici_msg_add_str(m, c->name, c->value ? c->value : "");
	}
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *c = sec->child[i];
		if (c->type != CONF_SECTION)
			continue;
		vici_msg_section_start(m, c->name);
		if (add_section(m, c, io, errs))
			ret = -EINVAL;
		vici_msg_section_end(m);
	}
	return ret;
}

static int check_msg(const struct vici_msg *m, const struct conf_node *n, struct tc_errors *errs)
{
	int err = vici_msg_error(m);

	if (err)
		err_at(errs, n, "section '%s': cannot be encoded for VICI (%s)", n->name,
		       err == -E2BIG ? "a name or value is too long"
		       : err == -ELOOP ? "sections nested too deep" : "bad structure");
	return err ? -EINVAL : 0;
}

int swanctl_msg_conn(const struct conf_node *conn, const struct swanctl_msg_io *io,
		     struct vici_msg *out, struct tc_errors *errs)
{
	int ret;

	if (conn->type != CONF_SECTION) {
		err_at(errs, conn, "'%s' is not a connection section%s", conn->name, "");
		return -EINVAL;
	}
	vici_msg_section_start(out, conn->name);
	ret = add_section(out, conn, io, errs);
	vici_msg_section_end(out);
	return ret ? ret : check_msg(out, conn, errs);
}

int swanctl_msg_shared(const struct conf_node *secret, struct vici_msg *out,
		       struct tc_errors *errs)
{
	const char *type = NULL, *value;
	bool shared = false;
	struct buf data;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(secret_types) && !type; i++)
		if (str_startswith(secret->name, secret_types[i].prefix)) {
			type = secret_types[i].prefix;
			shared = secret_types[i].shared;
		}
	if (!type || secret->type != CONF_SECTION) {
		err_at(errs, secret, "unsupported secret '%s'%s", secret->name, "");
		return -EINVAL;
	}
	if (!shared)
		return -ENOTSUP;
	value = conf_get(secret, "secret");
	if (!value) {
		err_at(errs, secret, "secret '%s' has no 'secret' key%s", secret->name, "");
		return -EINVAL;
	}
	buf_init(&data);
	r = blob_decode(value, &data);
	if (r < 0) {
		buf_free_secret(&data);
		err_at(errs, secret, "secret '%s': malformed 0x/0s value%s", secret->name, "");
		return -EINVAL;
	}
	if (r == 0)
		buf_adds(&data, value);
	vici_msg_add_str(out, "id", secret->name);
	vici_msg_add_str(out, "type", type);
	vici_msg_add_kv(out, "data", data.data, data.len);
	buf_free_secret(&data);
	vici_msg_list_start(out, "owners");
	for (size_t i = 0; i < secret->n_child; i++) {
		const struct conf_node *c = secret->child[i];
		if (c->type == CONF_KV && str_startswith(c->name, "id"))
			vici_msg_list_item_str(out, c->value ? c->value : "");
	}
	vici_msg_list_end(out);
	return check_msg(out, secret, errs);
}

int swanctl_msg_read_cred_file(void *arg, const char *key, const char *path, struct buf *out)
{
	const char *dir = file_list_dir(key);
	char *full;
	int ret;

	if (!dir)
		return -EINVAL;
	full = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s/%s", (const char *)arg, dir, path);
	ret = file_read_all(full, SWANCTL_MAX_CRED_FILE, out);
	free(full);
	return ret;
}
