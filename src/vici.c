/* vici.c - VICI wire codec: message builder, packet framing, bounded decoder to a tree. */
#include "vici.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const vici_packet_type_names[VICI_PACKET_TYPES] = {
	[VICI_CMD_REQUEST] = "CMD_REQUEST",
	[VICI_CMD_RESPONSE] = "CMD_RESPONSE",
	[VICI_CMD_UNKNOWN] = "CMD_UNKNOWN",
	[VICI_EVENT_REGISTER] = "EVENT_REGISTER",
	[VICI_EVENT_UNREGISTER] = "EVENT_UNREGISTER",
	[VICI_EVENT_CONFIRM] = "EVENT_CONFIRM",
	[VICI_EVENT_UNKNOWN] = "EVENT_UNKNOWN",
	[VICI_EVENT] = "EVENT",
};

const char *const vici_element_names[VICI_ELEMENTS] = {
	[0] = "INVALID",
	[VICI_SECTION_START] = "SECTION_START",
	[VICI_SECTION_END] = "SECTION_END",
	[VICI_KEY_VALUE] = "KEY_VALUE",
	[VICI_LIST_START] = "LIST_START",
	[VICI_LIST_ITEM] = "LIST_ITEM",
	[VICI_LIST_END] = "LIST_END",
};

const char *const vici_node_type_names[] = {
	[VICI_NODE_SECTION] = "section",
	[VICI_NODE_KV] = "key/value",
	[VICI_NODE_LIST] = "list",
	[VICI_NODE_ITEM] = "list item",
};

bool vici_packet_has_name(enum vici_packet_type type)
{
	return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER ||
	       type == VICI_EVENT_UNREGISTER || type == VICI_EVENT;
}

bool vici_packet_has_message(enum vici_packet_type type)
{
	return type == VICI_CMD_REQUEST || type == VICI_CMD_RESPONSE || type == VICI_EVENT;
}

/* ---- building ---- */

void vici_msg_init(struct vici_msg *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->b);
}

void vici_msg_free(struct vici_msg *m)
{
	buf_free_secret(&m->b);
	memset(m, 0, sizeof(*m));
}

static void msg_fail(struct vici_msg *m, int err)
{
	if (!m->err)
		m->err = err;
}

/* Type byte then a 1-byte-length name. */
static void msg_put_named(struct vici_msg *m, enum vici_element type, const char *name)
{
	size_t l = name ? strlen(name) : 0;
	unsigned char hdr[2] = { (unsigned char)type, (unsigned char)l };

	if (!name || l > VICI_MAX_NAME) {
		msg_fail(m, name ? -E2BIG : -EINVAL);
		return;
	}
	buf_add(&m->b, hdr, 2);
	buf_add(&m->b, name, l);
}

/* 2-byte big-endian length then the value. */
static void msg_put_value(struct vici_msg *m, const void *value, size_t len)
{
	unsigned char hdr[2] = { (unsigned char)(len >> 8), (unsigned char)len };

	buf_add(&m->b, hdr, 2);
	buf_add(&m->b, value, len);
}

void vici_msg_section_start(struct vici_msg *m, const char *name)
{
	if (m->in_list)
		msg_fail(m, -EINVAL);
	/* never build what our own decoder (and so our tests) would refuse */
	if (m->depth == VICI_MAX_DEPTH)
		msg_fail(m, -ELOOP);
	msg_put_named(m, VICI_SECTION_START, name);
	m->depth++;
}

void vici_msg_section_end(struct vici_msg *m)
{
	if (m->in_list || m->depth == 0) {
		msg_fail(m, -EINVAL);
		return;
	}
	buf_addc(&m->b, VICI_SECTION_END);
	m->depth--;
}

void vici_msg_add_kv(struct vici_msg *m, const char *name, const void *value, size_t len)
{
	if (m->in_list)
		msg_fail(m, -EINVAL);
	if (len > VICI_MAX_VALUE) {
		msg_fail(m, -E2BIG);
		return;
	}
	msg_put_named(m, VICI_KEY_VALUE, name);
	msg_put_value(m, value, len);
}

void vici_msg_add_str(struct vici_msg *m, const char *name, const char *value)
{
	vici_msg_add_kv(m, name, value, strlen(value));
}

void vici_msg_add_strf(struct vici_msg *m, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	vici_msg_add_str(m, name, s);
	free(s);
}

void vici_msg_list_start(struct vici_msg *m, const char *name)
{
	if (m->in_list)
		msg_fail(m, -EINVAL);
	msg_put_named(m, VICI_LIST_START, name);
	m->in_list = true;
}

void vici_msg_list_item(struct vici_msg *m, const void *value, size_t len)
{
	if (!m->in_list)
		msg_fail(m, -EINVAL);
	if (len > VICI_MAX_VALUE) {
		msg_fail(m, -E2BIG);
		return;
	}
	buf_addc(&m->b, VICI_LIST_ITEM);
	msg_put_value(m, value, len);
}

void vici_msg_list_item_str(struct vici_msg *m, const char *value)
{
	vici_msg_list_item(m, value, strlen(value));
}

void vici_msg_list_end(struct vici_msg *m)
{
	if (!m->in_list) {
		msg_fail(m, -EINVAL);
		return;
	}
	buf_addc(&m->b, VICI_LIST_END);
	m->in_list = false;
}

int vici_msg_error(const struct vici_msg *m)
{
	if (m->err)
		return m->err;
	return m->depth || m->in_list ? -EINVAL : 0;
}

int vici_packet_build(enum vici_packet_type type, const char *name, const struct vici_msg *msg,
		      struct buf *out)
{
	size_t name_len = 0, msg_len = 0, data_len;
	unsigned char hdr[VICI_HEADER_LEN + 2];
	size_t hdr_len = VICI_HEADER_LEN + 1;

	if ((unsigned)type >= VICI_PACKET_TYPES)
		return -EINVAL;
	if (vici_packet_has_name(type)) {
		if (!name)
			return -EINVAL;
		name_len = strlen(name);
		if (name_len > VICI_MAX_NAME)
			return -EINVAL;
		hdr[hdr_len++] = (unsigned char)name_len;
	}
	if (msg && vici_packet_has_message(type)) {
		int err = vici_msg_error(msg);
		if (err)
			return err;
		msg_len = msg->b.len;
	}
	data_len = 1 + (vici_packet_has_name(type) ? 1 + name_len : 0) + msg_len;
	if (data_len > VICI_MAX_MESSAGE)
		return -E2BIG;
	hdr[0] = (unsigned char)(data_len >> 24);
	hdr[1] = (unsigned char)(data_len >> 16);
	hdr[2] = (unsigned char)(data_len >> 8);
	hdr[3] = (unsigned char)data_len;
	hdr[4] = (unsigned char)type;
	buf_add(out, hdr, hdr_len);
	if (name_len)
		buf_add(out, name, name_len);
	if (msg_len)
		buf_add(out, msg->b.data, msg_len);
	return 0;
}

/* ---- decoding ---- */

/* A bounded reader over the input: every read checks what is left first. */
struct reader {
	const unsigned char *p;
	size_t len, pos;
	size_t base;		/* offset of p within the caller's input, for messages */
	struct vici_err *err;
};

static int rd_fail(struct reader *r, size_t at, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int rd_fail(struct reader *r, size_t at, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->err) {
		r->err->offset = r->base + at;
		va_start(ap, fmt);
		vsnprintf(r->err->what, sizeof(r->err->what), fmt, ap);
		va_end(ap);
	}
	return code;
}

static size_t rd_left(const struct reader *r)
{
	return r->len - r->pos;
}

/* A message is decoded in two passes over its bytes: the first checks every element and
 * measures the tree (nodes, bytes of names and values, children of each section and list);
 * the second fills one block with all of it. One allocation per message, not four per node:
 * a list-sas of 1,000 SAs is some 60,000 nodes. */
struct shape {
	size_t nodes;		/* below the root */
	size_t bytes;		/* names and values, each with its NUL */
	size_t *counts;		/* children of each container, in the order they open (root first) */
	size_t n_counts, cap_counts;
};

static size_t shape_open(struct shape *sh)
{
	if (sh->n_counts == sh->cap_counts) {
		sh->cap_counts = sh->cap_counts ? sh->cap_counts * 2 : 64;
		sh->counts = xrealloc(sh->counts, sh->cap_counts * sizeof(*sh->counts));
	}
	sh->counts[sh->n_counts] = 0;
	return sh->n_counts++;
}

/* Check a 1-byte-length name (no NUL inside) and step over it. */
static int rd_name(struct reader *r, size_t at, const char *what, struct shape *sh)
{
	size_t l;

	if (rd_left(r) < 1)
		return rd_fail(r, at, -EBADMSG, "truncated %s: name length missing", what);
	l = r->p[r->pos++];
	if (rd_left(r) < l)
		return rd_fail(r, at, -EBADMSG, "truncated %s: name of %zu bytes, %zu left", what, l,
			       rd_left(r));
	if (memchr(r->p + r->pos, '\0', l))
		return rd_fail(r, at, -EBADMSG, "%s: name contains a NUL byte", what);
	r->pos += l;
	sh->bytes += l + 1;
	return 0;
}

/* Check a 2-byte-length value and step over it. */
static int rd_value(struct reader *r, size_t at, const char *what, struct shape *sh)
{
	size_t l;

	if (rd_left(r) < 2)
		return rd_fail(r, at, -EBADMSG, "truncated %s: value length missing", what);
	l = (size_t)r->p[r->pos] << 8 | r->p[r->pos + 1];
	r->pos += 2;
	if (rd_left(r) < l)
		return rd_fail(r, at, -EBADMSG, "truncated %s: value of %zu bytes, %zu left", what, l,
			       rd_left(r));
	r->pos += l;
	sh->bytes += l + 1;
	return 0;
}

/* The name of the element checked at offset at, for printf's "%.*s". */
#define NAME_AT(r, at) (int)(r)->p[(at) + 1], (const char *)(r)->p + (at) + 2

/* First pass: check the elements and measure the tree into sh. */
static int msg_measure(struct reader *r, struct shape *sh)
{
	size_t stack[VICI_MAX_DEPTH + 1];	/* open sections, as indices into sh->counts */
	size_t opened_at[VICI_MAX_DEPTH + 1];
	size_t list = 0, list_at = 0;		/* the open list's index (0: none; the root is 0) */
	unsigned depth = 0;
	int err;

	stack[0] = shape_open(sh);
	opened_at[0] = 0;
	while (rd_left(r)) {
		size_t at = r->pos;
		unsigned type = r->p[r->pos++];

		if (list && type != VICI_LIST_ITEM && type != VICI_LIST_END)
			return rd_fail(r, at, -EBADMSG, "%s inside list '%.*s'",
				       type && type < VICI_ELEMENTS ? vici_element_names[type] : "unknown element",
				       NAME_AT(r, list_at));
		switch (type) {
		case VICI_SECTION_START:
			if (depth == VICI_MAX_DEPTH)
				return rd_fail(r, at, -EBADMSG, "sections nested deeper than %u", VICI_MAX_DEPTH);
			if ((err = rd_name(r, at, "section start", sh)))
				return err;
			sh->counts[stack[depth]]++;
			stack[++depth] = shape_open(sh);
			opened_at[depth] = at;
			break;
		case VICI_SECTION_END:
			if (depth == 0)
				return rd_fail(r, at, -EBADMSG, "section end without open section");
			depth--;
			continue;
		case VICI_KEY_VALUE:
			if ((err = rd_name(r, at, "key/value", sh)) || (err = rd_value(r, at, "key/value", sh)))
				return err;
			sh->counts[stack[depth]]++;
			break;
		case VICI_LIST_START:
			if ((err = rd_name(r, at, "list start", sh)))
				return err;
			sh->counts[stack[depth]]++;
			list = shape_open(sh);
			list_at = at;
			break;
		case VICI_LIST_ITEM:
			if (!list)
				return rd_fail(r, at, -EBADMSG, "list item outside a list");
			if ((err = rd_value(r, at, "list item", sh)))
				return err;
			sh->bytes += 1;	/* the item's empty name */
			sh->counts[list]++;
			break;
		case VICI_LIST_END:
			if (!list)
				return rd_fail(r, at, -EBADMSG, "list end without open list");
			list = 0;
			continue;
		default:
			return rd_fail(r, at, -EBADMSG, "unknown element type %u", type);
		}
		sh->nodes++;
	}
	if (list)
		return rd_fail(r, list_at, -EBADMSG, "message ends inside list '%.*s'", NAME_AT(r, list_at));
	if (depth)
		return rd_fail(r, opened_at[depth], -EBADMSG, "message ends inside section '%.*s'",
			       NAME_AT(r, opened_at[depth]));
	return 0;
}

/* The block of a tree: its nodes (root first), then every child array, then the strings. */
struct block {
	struct vici_node *node;
	struct vici_node **slot;
	char *str;
	const size_t *counts;
};

static struct vici_node *block_node(struct block *b, struct vici_node *parent, enum vici_node_type type)
{
	struct vici_node *n = b->node++;

	n->type = type;
	parent->child[parent->n_child++] = n;
	if (type == VICI_NODE_SECTION || type == VICI_NODE_LIST) {
		n->child = b->slot;
		b->slot += *b->counts++;
	}
	return n;
}

/* Copy l bytes and a NUL into the block's strings. */
static char *block_str(struct block *b, const unsigned char *p, size_t l)
{
	char *s = b->str;

	memcpy(s, p, l);
	s[l] = '\0';
	b->str += l + 1;
	return s;
}

static char *fill_name(struct reader *r, struct block *b)
{
	size_t l = r->p[r->pos++];

	r->pos += l;
	return block_str(b, r->p + r->pos - l, l);
}

static void fill_value(struct reader *r, struct block *b, struct vici_node *n)
{
	size_t l = (size_t)r->p[r->pos] << 8 | r->p[r->pos + 1];

	r->pos += 2;
	n->value = block_str(b, r->p + r->pos, l);
	n->len = l;
	r->pos += l;
}

/* Second pass, over bytes the first has checked: build the tree into the block b. */
static void msg_fill(struct reader *r, struct block *b, struct vici_node *root)
{
	struct vici_node *stack[VICI_MAX_DEPTH + 1], *list = NULL, *n;
	unsigned depth = 0;

	stack[0] = root;
	while (rd_left(r)) {
		switch (r->p[r->pos++]) {
		case VICI_SECTION_START:
			n = block_node(b, stack[depth], VICI_NODE_SECTION);
			n->name = fill_name(r, b);
			stack[++depth] = n;
			break;
		case VICI_SECTION_END:
			depth--;
			break;
		case VICI_KEY_VALUE:
			n = block_node(b, stack[depth], VICI_NODE_KV);
			n->name = fill_name(r, b);
			fill_value(r, b, n);
			break;
		case VICI_LIST_START:
			list = block_node(b, stack[depth], VICI_NODE_LIST);
			list->name = fill_name(r, b);
			break;
		case VICI_LIST_ITEM:
			n = block_node(b, list, VICI_NODE_ITEM);
			n->name = block_str(b, r->p, 0);
			fill_value(r, b, n);
			break;
		default:	/* VICI_LIST_END */
			list = NULL;
			break;
		}
	}
}

void vici_node_free(struct vici_node *n)
{
	if (!n)
		return;
	/* the block may hold a secret (a PSK in a reply): wipe all of it */
	secret_wipe(n, n->block);
	free(n);
}

void vici_nodes_free(struct vici_node **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vici_node_free(v[i]);
	free(v);
}

static int msg_decode(const unsigned char *p, size_t len, size_t base, struct vici_node **out,
		      struct vici_err *err)
{
	struct reader r = { .p = p, .len = len, .base = base, .err = err };
	struct shape sh = { 0 };
	struct vici_node *root;
	struct block b;
	size_t size;
	int ret;

	*out = NULL;
	if (len > VICI_MAX_MESSAGE)
		return rd_fail(&r, 0, -E2BIG, "message of %zu bytes exceeds the %u byte limit", len,
			       VICI_MAX_MESSAGE);
	ret = msg_measure(&r, &sh);
	if (ret) {
		free(sh.counts);
		return ret;
	}
	/* nodes, child slots (one per node below the root), strings (the root's "" too) */
	size = (sh.nodes + 1) * sizeof(struct vici_node) + sh.nodes * sizeof(struct vici_node *) + sh.bytes + 1;
	root = xcalloc(1, size);
	b.node = root + 1;
	b.slot = (struct vici_node **)(root + sh.nodes + 1);
	b.str = (char *)(b.slot + sh.nodes);
	b.counts = sh.counts + 1;
	root->type = VICI_NODE_SECTION;
	root->block = size;
	root->child = b.slot;
	b.slot += sh.counts[0];
	root->name = block_str(&b, p, 0);
	r.pos = 0;
	msg_fill(&r, &b, root);
	free(sh.counts);
	*out = root;
	return 0;
}

int vici_msg_decode(const void *data, size_t len, struct vici_node **out, struct vici_err *err)
{
	return msg_decode(data, len, 0, out, err);
}

void vici_packet_clear(struct vici_packet *pkt)
{
	vici_node_free(pkt->msg);
	memset(pkt, 0, sizeof(*pkt));
}

int vici_packet_decode(const void *data, size_t len, size_t *used, struct vici_packet *pkt,
		       struct vici_err *err)
{
	const unsigned char *p = data;
	struct reader r = { .p = p, .len = len, .err = err };
	size_t seg, pos;
	unsigned type;
	int ret;

	memset(pkt, 0, sizeof(*pkt));
	*used = 0;
	if (len < VICI_HEADER_LEN)
		return rd_fail(&r, 0, -EAGAIN, "truncated length header: %zu of %u bytes", len,
			       VICI_HEADER_LEN);
	seg = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (seg > VICI_MAX_MESSAGE)
		return rd_fail(&r, 0, -E2BIG, "segment length %zu exceeds the %u byte limit", seg,
			       VICI_MAX_MESSAGE);
	if (seg == 0)
		return rd_fail(&r, 0, -EBADMSG, "empty segment: no packet type");
	if (len - VICI_HEADER_LEN < seg)
		return rd_fail(&r, 0, -EAGAIN, "truncated segment: %zu of %zu bytes",
			       len - VICI_HEADER_LEN, seg);
	/* from here on, read only inside this segment */
	r.len = VICI_HEADER_LEN + seg;
	pos = VICI_HEADER_LEN;
	type = p[pos++];
	if (type >= VICI_PACKET_TYPES)
		return rd_fail(&r, pos - 1, -EBADMSG, "unknown packet type %u", type);
	pkt->type = (enum vici_packet_type)type;
	if (vici_packet_has_name(pkt->type)) {
		size_t l;
		if (pos >= r.len)
			return rd_fail(&r, pos, -EBADMSG, "truncated %s: name length missing",
				       vici_packet_type_names[type]);
		l = p[pos++];
		if (r.len - pos < l)
			return rd_fail(&r, pos - 1, -EBADMSG,
				       "truncated %s: name of %zu bytes, %zu left",
				       vici_packet_type_names[type], l, r.len - pos);
		if (memchr(p + pos, '\0', l))
			return rd_fail(&r, pos - 1, -EBADMSG, "%s: name contains a NUL byte",
				       vici_packet_type_names[type]);
		memcpy(pkt->name, p + pos, l);
		pkt->name[l] = '\0';
		pos += l;
	}
	if (vici_packet_has_message(pkt->type)) {
		ret = msg_decode(p + pos, r.len - pos, pos, &pkt->msg, err);
		if (ret)
			return ret;
	} else {
		if (pos != r.len)
			return rd_fail(&r, pos, -EBADMSG, "%zu unexpected bytes after %s",
				       r.len - pos, vici_packet_type_names[type]);
		ret = msg_decode(p + pos, 0, pos, &pkt->msg, err);
		if (ret)
			return ret;
	}
	*used = r.len;
	return 0;
}

void vici_msg_add_node(struct vici_msg *m, const struct vici_node *sec)
{
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct vici_node *c = sec->child[i];
		switch (c->type) {
		case VICI_NODE_SECTION:
			vici_msg_section_start(m, c->name);
			vici_msg_add_node(m, c);
			vici_msg_section_end(m);
			break;
		case VICI_NODE_KV:
			vici_msg_add_kv(m, c->name, c->value, c->len);
			break;
		case VICI_NODE_LIST:
			vici_msg_list_start(m, c->name);
			for (size_t k = 0; k < c->n_child; k++)
				vici_msg_list_item(m, c->child[k]->value, c->child[k]->len);
			vici_msg_list_end(m);
			break;
		case VICI_NODE_ITEM:
			msg_fail(m, -EINVAL);
			break;
		}
	}
}

/* ---- lookups ---- */

struct vici_node *vici_child(const struct vici_node *sec, const char *name)
{
	if (!sec || !name)
		return NULL;
	for (size_t i = 0; i < sec->n_child; i++)
		if (strcmp(sec->child[i]->name, name) == 0)
			return sec->child[i];
	return NULL;
}

struct vici_node *vici_find(const struct vici_node *sec, const char *path)
{
	const struct vici_node *cur = sec;

	if (!sec || !path)
		return NULL;
	for (;;) {
		const char *dot = strchr(path, '.');
		size_t l = dot ? (size_t)(dot - path) : strlen(path);
		const struct vici_node *next = NULL;

		if (cur->type != VICI_NODE_SECTION)
			return NULL;
		for (size_t i = 0; i < cur->n_child; i++)
			if (strlen(cur->child[i]->name) == l &&
			    memcmp(cur->child[i]->name, path, l) == 0) {
				next = cur->child[i];
				break;
			}
		if (!next)
			return NULL;
		if (!dot)
			return (struct vici_node *)next;
		cur = next;
		path = dot + 1;
	}
}

static bool node_is_str(const struct vici_node *n)
{
	return n && n->value && memchr(n->value, '\0', n->len) == NULL;
}

const char *vici_find_str(const struct vici_node *sec, const char *path, const char *dflt)
{
	const struct vici_node *n = vici_find(sec, path);

	return n && n->type == VICI_NODE_KV && node_is_str(n) ? n->value : dflt;
}

char *vici_get_str(const struct vici_node *sec, const char *path)
{
	const char *s = vici_find_str(sec, path, NULL);

	return s ? xstrdup(s) : NULL;
}

int vici_get_u64(const struct vici_node *sec, const char *path, uint64_t *out)
{
	const char *s = vici_find_str(sec, path, NULL);
	uint64_t v = 0;

	if (!vici_find(sec, path))
		return -ENOENT;
	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

const char *vici_list_str(const struct vici_node *list, size_t i)
{
	if (!list || list->type != VICI_NODE_LIST || i >= list->n_child)
		return NULL;
	return node_is_str(list->child[i]) ? list->child[i]->value : NULL;
}

size_t vici_log_format(const struct vici_node *msg, const char *stamp, char *out, size_t cap)
{
	const char *ike = vici_find_str(msg, "ikesa-name", NULL);
	int thread = atoi(vici_find_str(msg, "thread", "0"));
	const char *group = vici_find_str(msg, "group", "???"), *text = vici_find_str(msg, "msg", "");
	const char *sp = stamp && *stamp ? " " : "";
	int len;

	if (!cap)
		return 0;
	stamp = stamp ? stamp : "";
	if (ike)
		len = snprintf(out, cap, "%s%s%02d[%s] <%s|%s> %s", stamp, sp, thread, group, ike,
			       vici_find_str(msg, "ikesa-uniqueid", "0"), text);
	else
		len = snprintf(out, cap, "%s%s%02d[%s] %s", stamp, sp, thread, group, text);
	return len < 0 ? 0 : (size_t)len >= cap ? cap - 1 : (size_t)len;
}

bool vici_list_has(const struct vici_node *list, const char *s)
{
	for (size_t i = 0; list && i < list->n_child; i++)
		if (str_eq(vici_list_str(list, i), s))
			return true;
	return false;
}
