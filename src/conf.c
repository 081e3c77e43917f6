/* conf.c - strongSwan settings syntax: lexer and recursive-descent parser to a tree. */
#include "conf.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define LX_EOF (-1)

/* A cursor over one file's bytes. */
struct lexer {
	const char *file;	/* owned by the tree */
	const char *p, *end;
	unsigned line, col;
	unsigned line_len;	/* bytes on the current line so far */
	bool line_too_long;	/* reported once per line */
};

struct parser {
	struct conf_tree *tree;
	const struct conf_io *io;
	struct tc_errors *errs;
	const char *stack[CONF_MAX_INCLUDE_DEPTH + 1];	/* files being parsed, for loop detection */
	unsigned depth;
	unsigned n_reads;	/* files read, counting each include of the same file */
	size_t n_bytes;		/* bytes of all of them */
	bool bound_hit;		/* reported once; later includes are not read */
	size_t n_nodes;		/* keys and sections so far */
	bool nodes_full;	/* CONF_MAX_NODES reached: reported once, the rest is not parsed */
	struct buf manifest;	/* "name\nsha256\n" per file read, hashed into tree->digest */
};

/* Nodes, names and values are carved from blocks of CONF_BLOCK bytes: one allocation per
 * 64 KiB instead of three per key (a 7,999-tunnel file has 100,000 keys), freed and wiped
 * (values may be secrets) in one walk. Only the children arrays are allocated apart. */
#define CONF_BLOCK (64 * 1024)

struct conf_block {
	struct conf_block *next;
	size_t used, cap;
	max_align_t data[];
};

/* n bytes aligned to align (a power of two): nodes to a pointer, strings not at all. */
static void *tree_alloc_aligned(struct conf_tree *t, size_t n, size_t align)
{
	struct conf_block *b = t->blocks;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
	void *p;

	if (!b || at > b->cap || b->cap - at < n) {
		size_t cap = n > CONF_BLOCK ? n : CONF_BLOCK;
		b = xmalloc(sizeof(*b) + cap);
		b->used = 0;
		b->cap = cap;
		b->next = t->blocks;
		t->blocks = b;
	} else {
		b->used = at;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

static void *tree_alloc(struct conf_tree *t, size_t n)
{
	return tree_alloc_aligned(t, n, _Alignof(struct conf_node));
}

static char *tree_strndup(struct conf_tree *t, const char *s, size_t n)
{
	char *p = tree_alloc_aligned(t, n + 1, 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void parse_file(struct parser *ps, const char *file, const char *data, size_t len,
		       struct conf_node *sec, unsigned nesting);

static const char *tree_intern_file(struct conf_tree *t, const char *name)
{
	for (size_t i = 0; i < t->n_files; i++)
		if (strcmp(t->files[i], name) == 0)
			return t->files[i];
	t->files = xrealloc(t->files, (t->n_files + 1) * sizeof(*t->files));
	t->files[t->n_files] = xstrdup(name);
	return t->files[t->n_files++];
}

static struct conf_node *node_new(struct conf_tree *t, struct conf_node *parent, enum conf_type type,
				  char *name, const struct lexer *lx, unsigned line, unsigned col)
{
	struct conf_node *n = tree_alloc(t, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->type = type;
	n->name = name;
	n->file = lx->file;
	n->line = line;
	n->col = col;
	n->parent = parent;
	/* grow to the next power of two: a section with millions of keys stays linear */
	if ((parent->n_child & (parent->n_child - 1)) == 0)
		parent->child = xrealloc(parent->child, (parent->n_child ? 2 * parent->n_child : 1) *
						       sizeof(*parent->child));
	parent->child[parent->n_child++] = n;
	return n;
}

static void node_free(struct conf_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_child; i++)
		node_free(n->child[i]);
	free(n->child);
}

void conf_tree_free(struct conf_tree *t)
{
	if (!t)
		return;
	node_free(t->root);
	while (t->blocks) {
		struct conf_block *b = t->blocks;
		t->blocks = b->next;
		secret_wipe(b->data, b->used);
		free(b);
	}
	for (size_t i = 0; i < t->n_files; i++)
		free(t->files[i]);
	free(t->files);
	free(t);
}

static void lx_error(struct parser *ps, const struct lexer *lx, unsigned line, unsigned col,
		     const char *msg)
{
	tc_errors_add(ps->errs, false, lx->file, line, col, "%s", msg);
}

static int lx_peek(const struct lexer *lx)
{
	return lx->p < lx->end ? (unsigned char)*lx->p : LX_EOF;
}

static void lx_advance(struct parser *ps, struct lexer *lx)
{
	if (lx->p >= lx->end)
		return;
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
		lx->line_len = 0;
		lx->line_too_long = false;
	} else {
		lx->col++;
		if (++lx->line_len > CONF_MAX_LINE && !lx->line_too_long) {
			lx->line_too_long = true;
			tc_errors_add(ps->errs, false, lx->file, lx->line, 1,
				      "line longer than %u bytes", CONF_MAX_LINE);
		}
	}
	lx->p++;
}

/* Skip blanks (not newlines) and a comment up to, not including, the newline. */
static void lx_skip_blank(struct parser *ps, struct lexer *lx)
{
	for (;;) {
		int c = lx_peek(lx);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx_advance(ps, lx);
		} else if (c == '#') {
			while (lx_peek(lx) != LX_EOF && lx_peek(lx) != '\n')
				lx_advance(ps, lx);
		} else {
			return;
		}
	}
}

/* Skip blanks, comments and newlines. */
static void lx_skip_space(struct parser *ps, struct lexer *lx)
{
	for (;;) {
		lx_skip_blank(ps, lx);
		if (lx_peek(lx) != '\n')
			return;
		lx_advance(ps, lx);
	}
}

static void lx_skip_line(struct parser *ps, struct lexer *lx)
{
	while (lx_peek(lx) != LX_EOF && lx_peek(lx) != '\n')
		lx_advance(ps, lx);
}

static bool is_name_char(int c)
{
	if (c == LX_EOF || c == '\0' || c == '{' || c == '}' || c == '=' || c == '#' || c == '"' ||
	    c == ':' || c == ',')
		return false;
	return c > ' ' && c != 0x7f;
}

/* A name (section name or key), in the tree's blocks; NULL if none here. */
static char *lx_name(struct parser *ps, struct lexer *lx)
{
	const char *start = lx->p;

	while (is_name_char(lx_peek(lx)))
		lx_advance(ps, lx);
	if (lx->p == start)
		return NULL;
	return tree_strndup(ps->tree, start, (size_t)(lx->p - start));
}

static const struct {
	char esc, out;
} escapes[] = { { 'n', '\n' }, { 't', '\t' }, { 'r', '\r' }, { '"', '"' }, { '\\', '\\' } };

/* A NUL would end the value early in every C string that holds it (a PSK cut to its first
 * bytes): an error at its position, once per value. */
static void lx_check_nul(struct parser *ps, const struct lexer *lx, int c, bool *seen)
{
	if (c != '\0' || *seen)
		return;
	*seen = true;
	lx_error(ps, lx, lx->line, lx->col, "NUL byte in value");
}

/* A double-quoted value; the opening quote is at lx->p. NULL (and an error) if unterminated. */
static char *lx_quoted(struct parser *ps, struct lexer *lx)
{
	unsigned line = lx->line, col = lx->col;
	bool nul = false;
	struct buf b;

	buf_init(&b);
	buf_add(&b, "", 0);
	lx_advance(ps, lx);
	for (;;) {
		int c = lx_peek(lx);
		if (c == LX_EOF) {
			lx_error(ps, lx, line, col, "unterminated quoted value");
			buf_free_secret(&b);
			return NULL;
		}
		lx_check_nul(ps, lx, c, &nul);
		lx_advance(ps, lx);
		if (c == '"')
			return buf_steal(&b);
		if (c == '\\' && lx_peek(lx) != LX_EOF) {
			int e = lx_peek(lx);
			size_t i;
			for (i = 0; i < ARRAY_SIZE(escapes); i++)
				if (escapes[i].esc == e)
					break;
			if (i < ARRAY_SIZE(escapes)) {
				buf_addc(&b, escapes[i].out);
				lx_advance(ps, lx);
				continue;
			}
		}
		buf_addc(&b, (char)c);
	}
}

/* An unquoted value: to the end of the line, a comment, or a closing brace; trimmed.
 * Returns its start, its length in *len. */
static const char *lx_bare_value(struct parser *ps, struct lexer *lx, size_t *len)
{
	const char *start = lx->p, *last = lx->p;
	bool nul = false;

	for (;;) {
		int c = lx_peek(lx);
		if (c == LX_EOF || c == '\n' || c == '#' || c == '}')
			break;
		lx_check_nul(ps, lx, c, &nul);
		lx_advance(ps, lx);
		if (c != ' ' && c != '\t' && c != '\r')
			last = lx->p;
	}
	*len = (size_t)(last - start);
	return start;
}

static bool at_line_end(const struct lexer *lx)
{
	int c = lx_peek(lx);
	return c == LX_EOF || c == '\n' || c == '}';
}

static void parse_kv(struct parser *ps, struct lexer *lx, struct conf_node *sec, char *name,
		     unsigned line, unsigned col)
{
	struct conf_node *n;
	unsigned vline, vcol;
	bool quoted = false;
	char *value;
	size_t len;

	lx_advance(ps, lx);	/* '=' */
	lx_skip_blank(ps, lx);
	vline = lx->line;
	vcol = lx->col;
	if (lx_peek(lx) == '"') {
		quoted = true;
		char *q = lx_quoted(ps, lx);
		if (!q)
			return;
		value = tree_strndup(ps->tree, q, strlen(q));
		secret_free(q);
		lx_skip_blank(ps, lx);
		if (!at_line_end(lx)) {
			lx_error(ps, lx, lx->line, lx->col, "unexpected text after quoted value");
			lx_skip_line(ps, lx);
		}
	} else {
		const char *start = lx_bare_value(ps, lx, &len);
		value = tree_strndup(ps->tree, start, len);
	}
	n = node_new(ps->tree, sec, CONF_KV, name, lx, line, col);
	ps->n_nodes++;
	n->value = value;
	n->vline = vline;
	n->vcol = vcol;
	n->quoted = quoted;
}

/* Section references after ':' up to '{' (swanctl.conf templates), in the tree's blocks. */
static char *lx_refs(struct parser *ps, struct lexer *lx)
{
	const char *start, *last;

	lx_advance(ps, lx);	/* ':' */
	lx_skip_blank(ps, lx);
	start = last = lx->p;
	while (lx_peek(lx) != LX_EOF && lx_peek(lx) != '{' && lx_peek(lx) != '\n' &&
	       lx_peek(lx) != '#') {
		int c = lx_peek(lx);
		lx_advance(ps, lx);
		if (c != ' ' && c != '\t')
			last = lx->p;
	}
	return tree_strndup(ps->tree, start, (size_t)(last - start));
}

static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	return slash ? xstrndup(file, (size_t)(slash - file)) : xstrdup(".");
}

static void parse_include(struct parser *ps, struct lexer *lx, struct conf_node *sec,
			  unsigned nesting, unsigned line, unsigned col)
{
	char *pattern, *full, **paths = NULL;
	int n;

	lx_skip_blank(ps, lx);
	if (lx_peek(lx) == '"') {
		pattern = lx_quoted(ps, lx);
		if (!pattern)
			return;
	} else {
		size_t len;
		const char *start = lx_bare_value(ps, lx, &len);
		pattern = xstrndup(start, len);
	}
	if (!*pattern) {
		lx_error(ps, lx, line, col, "include needs a file or pattern");
		free(pattern);
		return;
	}
	if (!ps->io) {
		lx_error(ps, lx, line, col, "include is not allowed here");
		free(pattern);
		return;
	}
	if (pattern[0] == '/') {
		full = pattern;
	} else {
		char *dir = dir_of(lx->file);
		full = xasprintf("%s/%s", dir, pattern);
		free(dir);
		free(pattern);
	}
	n = ps->io->glob(ps->io->arg, full, &paths);
	if (n < 0)
		tc_errors_add(ps->errs, false, lx->file, line, col, "include %s: %s", full,
			      strerror(-n));
	for (int i = 0; i < n; i++) {
		struct buf data;
		unsigned k;
		int rc;

		if (ps->bound_hit) {
			free(paths[i]);
			continue;
		}
		for (k = 0; k < ps->depth; k++)
			if (strcmp(ps->stack[k], paths[i]) == 0)
				break;
		if (k < ps->depth) {
			tc_errors_add(ps->errs, false, lx->file, line, col,
				      "include loop: %s includes itself", paths[i]);
		} else if (ps->depth >= CONF_MAX_INCLUDE_DEPTH || ps->n_reads >= CONF_MAX_FILES) {
			tc_errors_add(ps->errs, false, lx->file, line, col,
				      "too many nested or included files (at most %u deep, %u reads)",
				      CONF_MAX_INCLUDE_DEPTH, CONF_MAX_FILES);
			ps->bound_hit = true;
		} else if ((rc = ps->io->read(ps->io->arg, paths[i], &data)) < 0) {
			tc_errors_add(ps->errs, false, lx->file, line, col, "include %s: %s",
				      paths[i], file_read_strerror(rc));
		} else if (data.len > CONF_MAX_TOTAL - ps->n_bytes) {
			tc_errors_add(ps->errs, false, lx->file, line, col,
				      "include %s: included files exceed %u bytes in total", paths[i],
				      CONF_MAX_TOTAL);
			buf_free_secret(&data);
			ps->bound_hit = true;
		} else {
			ps->n_reads++;
			ps->n_bytes += data.len;
			parse_file(ps, paths[i], data.data, data.len, sec, nesting);
			buf_free_secret(&data);
		}
		free(paths[i]);
	}
	free(paths);
	free(full);
}

/* Statements until LX_EOF (closing == false) or a '}' (closing == true). */
static void parse_block(struct parser *ps, struct lexer *lx, struct conf_node *sec,
			unsigned nesting, bool closing, unsigned oline, unsigned ocol)
{
	for (;;) {
		unsigned line, col;
		char *name;
		int c;

		lx_skip_space(ps, lx);
		c = lx_peek(lx);
		if (ps->n_nodes >= CONF_MAX_NODES && c != LX_EOF) {
			/* every nesting level returns here; the innermost reports */
			if (!ps->nodes_full)
				tc_errors_add(ps->errs, false, lx->file, lx->line, lx->col,
					      "more than %u keys and sections: the rest is not read",
					      CONF_MAX_NODES);
			ps->nodes_full = true;
			return;
		}
		if (c == LX_EOF) {
			if (closing)
				lx_error(ps, lx, oline, ocol, "section is not closed: '}' missing");
			return;
		}
		line = lx->line;
		col = lx->col;
		if (c == '}') {
			lx_advance(ps, lx);
			if (closing)
				return;
			lx_error(ps, lx, line, col, "'}' without an open section");
			continue;
		}
		name = lx_name(ps, lx);
		if (!name) {
			tc_errors_add(ps->errs, false, lx->file, line, col,
				      "unexpected '%c': expected a key or section name",
				      c >= ' ' && c < 0x7f ? c : '?');
			lx_advance(ps, lx);
			lx_skip_line(ps, lx);
			continue;
		}
		lx_skip_blank(ps, lx);
		c = lx_peek(lx);
		if (strcmp(name, "include") == 0 && c != '=' && c != '{' && c != ':') {
			parse_include(ps, lx, sec, nesting, line, col);
			continue;
		}
		if (c == '=') {
			parse_kv(ps, lx, sec, name, line, col);
			continue;
		}
		if (c == ':' || c == '{') {
			char *refs = c == ':' ? lx_refs(ps, lx) : NULL;
			struct conf_node *sub;

			if (lx_peek(lx) != '{') {
				tc_errors_add(ps->errs, false, lx->file, lx->line, lx->col,
					      "expected '{' after '%s'", name);
				lx_skip_line(ps, lx);
				continue;
			}
			lx_advance(ps, lx);
			sub = node_new(ps->tree, sec, CONF_SECTION, name, lx, line, col);
			ps->n_nodes++;
			sub->refs = refs;
			if (nesting + 1 >= CONF_MAX_DEPTH) {
				tc_errors_add(ps->errs, false, lx->file, line, col,
					      "sections nested deeper than %u", CONF_MAX_DEPTH);
				return;
			}
			parse_block(ps, lx, sub, nesting + 1, true, line, col);
			continue;
		}
		tc_errors_add(ps->errs, false, lx->file, lx->line, lx->col,
			      "expected '=' or '{' after '%s'", name);
		lx_skip_line(ps, lx);
	}
}

static void parse_file(struct parser *ps, const char *file, const char *data, size_t len,
		       struct conf_node *sec, unsigned nesting)
{
	char sum[65];
	struct lexer lx = {
		.file = tree_intern_file(ps->tree, file),
		.p = data,
		.end = data + len,
		.line = 1,
		.col = 1,
	};

	sha256_hex(data, len, sum);
	buf_printf(&ps->manifest, "%s\n%s\n", file, sum);
	ps->stack[ps->depth++] = lx.file;
	parse_block(ps, &lx, sec, nesting, false, 0, 0);
	ps->depth--;
}

struct conf_tree *conf_parse(const char *file, const char *data, size_t len,
			     const struct conf_io *io, struct tc_errors *errs)
{
	struct conf_tree *t = xcalloc(1, sizeof(*t));
	struct parser ps = { .tree = t, .io = io, .errs = errs, .n_reads = 1, .n_bytes = len };

	t->root = tree_alloc(t, sizeof(*t->root));
	memset(t->root, 0, sizeof(*t->root));
	t->root->type = CONF_SECTION;
	t->root->name = tree_strndup(t, "", 0);
	t->root->file = tree_intern_file(t, file);
	buf_init(&ps.manifest);
	parse_file(&ps, file, data, len, t->root, 0);
	sha256_hex(ps.manifest.data, ps.manifest.len, t->digest);
	buf_free(&ps.manifest);
	return t;
}

static int io_read(void *arg, const char *path, struct buf *out)
{
	(void)arg;
	return file_read_all(path, CONF_MAX_TOTAL, out);
}

static int io_glob(void *arg, const char *pattern, char ***paths)
{
	glob_t g;
	int rc, n = 0;

	(void)arg;
	rc = glob(pattern, GLOB_ERR, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		/* a plain name that does not exist is an error; an unmatched pattern is not */
		return strpbrk(pattern, "*?[") ? 0 : -ENOENT;
	}
	if (rc)
		return -EIO;
	*paths = xcalloc(g.gl_pathc, sizeof(char *));
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char real[PATH_MAX];
		(*paths)[n++] = xstrdup(realpath(g.gl_pathv[i], real) ? real : g.gl_pathv[i]);
	}
	globfree(&g);
	return n;
}

struct conf_tree *conf_parse_file(const char *path, struct tc_errors *errs)
{
	static const struct conf_io io = { io_read, io_glob, NULL };
	struct conf_tree *t;
	struct buf data;
	int rc;

	rc = file_read_all(path, CONF_MAX_TOTAL, &data);
	if (rc < 0) {
		tc_errors_add(errs, false, path, 0, 0, "cannot read: %s", file_read_strerror(rc));
		return NULL;
	}
	t = conf_parse(path, data.data, data.len, &io, errs);
	buf_free_secret(&data);
	return t;
}

int conf_file_digest(const char *path, char out[65])
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse_file(path, &errs);
	int rc = t ? 0 : -EIO;

	if (t)
		memcpy(out, t->digest, 65);
	conf_tree_free(t);
	tc_errors_free(&errs);
	return rc;
}

struct conf_node *conf_find(const struct conf_node *sec, const char *name, enum conf_type type)
{
	if (!sec)
		return NULL;
	for (size_t i = 0; i < sec->n_child; i++)
		if (sec->child[i]->type == type && strcmp(sec->child[i]->name, name) == 0)
			return sec->child[i];
	return NULL;
}

const char *conf_get(const struct conf_node *sec, const char *key)
{
	struct conf_node *n = conf_find(sec, key, CONF_KV);
	return n ? n->value : NULL;
}

static const struct {
	char suffix;
	unsigned long long factor;
} duration_units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };

int conf_parse_duration(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, factor = 1;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(duration_units); i++)
			if (duration_units[i].suffix == *p)
				break;
		if (i == ARRAY_SIZE(duration_units) || p[1])
			return -EINVAL;
		factor = duration_units[i].factor;
	}
	if (v > ULLONG_MAX / factor)
		return -ERANGE;
	*out = v * factor;
	return 0;
}
