/* bundle.c - redaction for `tunnelctl bundle`; see bundle.h. */
#include "bundle.h"

#include <stdlib.h>
#include <string.h>

/* psk: the tunnel file's; secret: swanctl.conf's secrets section (ike-, eap-, xauth-, private-
 * passphrases); the rest for any other settings file a user feeds in. */
const char *const bundle_secret_keys[] = { "psk", "secret", "passphrase", "password", "pin", NULL };

struct span {
	size_t off, len;
	bool quoted;
};

static bool secret_key(const char *name)
{
	for (size_t i = 0; bundle_secret_keys[i]; i++)
		if (str_eq(name, bundle_secret_keys[i]))
			return true;
	return false;
}

/* Byte offset of 1-based (line, col) in text, or len when past the end. */
static size_t offset_of(const char *text, size_t len, unsigned line, unsigned col)
{
	size_t off = 0;

	for (unsigned l = 1; l < line && off < len; off++)
		if (text[off] == '\n')
			l++;
	off += col ? col - 1 : 0;
	return off < len ? off : len;
}

/* The raw bytes of a quoted value starting at its quote: up to the closing quote, escapes
 * skipped as the lexer does; to the end when unterminated. */
static size_t quoted_len(const char *p, size_t left)
{
	for (size_t i = 1; i < left; i++) {
		if (p[i] == '\\' && i + 1 < left)
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return left;
}

static void collect(const struct conf_node *n, const char *text, size_t len, const char *file,
		    struct span **v, size_t *nv, size_t *cap)
{
	for (size_t i = 0; i < n->n_child; i++) {
		const struct conf_node *c = n->child[i];
		struct span s;

		if (c->type == CONF_SECTION) {
			collect(c, text, len, file, v, nv, cap);
			continue;
		}
		if (!secret_key(c->name) || !str_eq(c->file, file))
			continue;
		s.off = offset_of(text, len, c->vline, c->vcol);
		s.quoted = c->quoted;
		s.len = c->quoted ? quoted_len(text + s.off, len - s.off) : strlen(c->value);
		if (s.off + s.len > len)
			s.len = len - s.off;
		if (*nv == *cap) {
			*cap = *cap ? 2 * *cap : 8;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[(*nv)++] = s;
	}
}

static int by_offset(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

size_t bundle_redact_conf(const char *text, size_t len, const struct conf_tree *tree, const char *file,
			  struct buf *out)
{
	struct span *v = NULL;
	size_t nv = 0, cap = 0, pos = 0;

	if (tree && tree->root)
		collect(tree->root, text, len, file, &v, &nv, &cap);
	if (nv)
		qsort(v, nv, sizeof(*v), by_offset);
	for (size_t i = 0; i < nv; i++) {
		if (v[i].off < pos)	/* overlapping: cannot happen with a tree of this text */
			continue;
		buf_add(out, text + pos, v[i].off - pos);
		buf_adds(out, v[i].quoted ? "\"" BUNDLE_HIDDEN "\"" : BUNDLE_HIDDEN);
		pos = v[i].off + v[i].len;
	}
	buf_add(out, text + pos, len - pos);
	free(v);
	return nv;
}

size_t bundle_scrub(struct buf *b, char *const *secrets, size_t n)
{
	size_t count = 0;

	for (size_t k = 0; k < n; k++) {
		const char *s = secrets[k];
		size_t sl = s ? strlen(s) : 0;
		struct buf out = { 0 };
		size_t pos = 0;
		const char *hit;

		if (!sl || !b->len)
			continue;
		while ((hit = memmem(b->data + pos, b->len - pos, s, sl)) != NULL) {
			size_t at = (size_t)(hit - b->data);
			buf_add(&out, b->data + pos, at - pos);
			buf_adds(&out, BUNDLE_HIDDEN);
			pos = at + sl;
			count++;
		}
		if (!pos) {
			buf_free(&out);
			continue;
		}
		buf_add(&out, b->data + pos, b->len - pos);
		/* the old text held the secret */
		buf_free_secret(b);
		*b = out;
	}
	return count;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* charon's chunk dump line, after whatever prefix: "   0: 4E 06 8A ..." (offset, colon,
 * space, two hex digits and a space). */
static bool dump_line(const char *p, size_t n)
{
	for (size_t i = 0; i + 6 <= n; i++) {
		size_t j = i;
		if (p[i] != ' ' || (i + 1 < n && !(p[i + 1] >= '0' && p[i + 1] <= '9')))
			continue;
		j = i + 1;
		while (j < n && p[j] >= '0' && p[j] <= '9')
			j++;
		if (j + 5 <= n && p[j] == ':' && p[j + 1] == ' ' && is_hex(p[j + 2]) && is_hex(p[j + 3]) &&
		    p[j + 4] == ' ')
			return true;
	}
	return false;
}

size_t bundle_log_clean(const char *text, size_t len, struct buf *out)
{
	size_t pos = 0, dropped = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;
		if (dump_line(text + pos, end - pos))
			dropped++;
		else
			buf_add(out, text + pos, end - pos);
		pos = end;
	}
	return dropped;
}

json_t *bundle_vici_json(const struct vici_node *n)
{
	json_t *o;

	if (!n)
		return json_null();
	switch (n->type) {
	case VICI_NODE_KV:
	case VICI_NODE_ITEM:
		o = json_stringn(n->value ? n->value : "", n->value ? n->len : 0);
		return o ? o : json_string("<not UTF-8>");
	case VICI_NODE_LIST:
		o = json_array();
		for (size_t i = 0; i < n->n_child; i++)
			json_array_append_new(o, bundle_vici_json(n->child[i]));
		return o;
	case VICI_NODE_SECTION:
	default:
		o = json_object();
		for (size_t i = 0; i < n->n_child; i++)
			json_object_set_new(o, n->child[i]->name, bundle_vici_json(n->child[i]));
		return o;
	}
}
