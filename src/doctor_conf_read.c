/* doctor_conf_read.c - read a tunnel file or swanctl.conf into a doctor side. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_conf_read.h"
#include "pfsense.h"
#include "swanctl_msg.h"
#include "tunnel.h"

/* True when the text starts like XML (a pfSense config.xml). */
static bool looks_xml(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		char c = b->data[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		return c == '<';
	}
	return false;
}

/* Give the side the text of every file its tree read (for evidence lines). */
static void side_load_texts(struct doctor_conf_side *s)
{
	const char *const *files;
	size_t n = doctor_conf_side_files(s, &files);

	for (size_t i = 0; i < n; i++) {
		struct buf b;
		buf_init(&b);
		if (file_read_all(files[i], TC_MAX_FILE_SIZE, &b) == 0)
			doctor_conf_side_add_text(s, files[i], b.data, b.len);
		buf_free_secret(&b);
	}
}

/* Where an imported config.xml's certificates seem to live: a name only, never read or
 * written; the side gets their contents from the import itself. */
#define XML_CERT_DIR "/pfSense-Cert.Manager"

/* Give an imported side the certificates its entries name, from the import's own files. */
static void xml_load_creds(struct doctor_conf_side *s, const struct pfsense_files *files)
{
	for (size_t i = 0; i < doctor_conf_side_cred_count(s); i++) {
		const char *key, *path;
		doctor_conf_side_cred_name(s, i, &key, &path);
		for (size_t k = 0; path && k < files->n; k++)
			if (!files->v[k].secret && strcmp(files->v[k].path, path) == 0)
				doctor_conf_side_cred_set(s, i, files->v[k].pem.data, files->v[k].pem.len);
	}
}

/* A pfSense config.xml: imported to a tunnel file in memory (as import-pfsense --cert-dir
 * does, certificate entries included), read as one, its evidence mapped back to the
 * config.xml's lines. */
static int read_xml(const char *path, const struct buf *xml, struct doctor_conf_side **out, struct tc_errors *errs)
{
	struct pfsense_files files = { 0 };
	struct pfsense_stats st;
	struct tunnel_file *tf;
	struct conf_tree *tree;
	char *label = xasprintf("%s (imported)", path);
	struct buf text;
	int rc;

	buf_init(&text);
	rc = pfsense_import_certs(xml->data, xml->len, path, XML_CERT_DIR, &text, &files, &st, errs);
	if (rc) {
		buf_free_secret(&text);
		pfsense_files_free(&files);
		free(label);
		return -EINVAL;
	}
	tree = conf_parse(label, text.data, text.len, NULL, errs);
	buf_free_secret(&text);
	free(label);
	if (errs->n_errors) {
		conf_tree_free(tree);
		pfsense_files_free(&files);
		return -EINVAL;
	}
	tf = tunnel_from_tree(tree, errs);
	if (tf && (tunnel_resolve_for_analysis(tf, errs) != 0 || errs->n_errors)) {
		tunnel_file_free(tf);
		tf = NULL;
	}
	if (!tf) {
		pfsense_files_free(&files);
		return -EINVAL;
	}
	*out = doctor_conf_side_from_tunnel(tf, errs);
	xml_load_creds(*out, &files);
	pfsense_files_free(&files);
	doctor_conf_side_set_xml(*out, path, xml->data, xml->len);
	return 0;
}

/* The files of a swanctl.conf's x509ca/ directory that no cacerts key names: charon loads
 * them all, so intermediate CAs there complete a chain. */
static void side_add_x509ca(struct doctor_conf_side *s, const char *dir)
{
	char *path = xasprintf("%s/x509ca", dir);
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		bool named = false;
		if (de->d_name[0] == '.' || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
			continue;
		for (size_t i = 0; i < doctor_conf_side_cred_count(s) && !named; i++) {
			const char *key, *p;
			doctor_conf_side_cred_name(s, i, &key, &p);
			named = strcmp(p, de->d_name) == 0;
		}
		if (!named && doctor_conf_side_cred_add(s, de->d_name) < 0)
			break;
	}
	if (d)
		closedir(d);
	free(path);
}

/* Load the certificate files the side names: a swanctl.conf's relative names from its
 * directory's x509/ and x509ca/ (swanctl's rule), a tunnel file's paths as resolved by the
 * tunnel loader. Files that cannot be read leave trust unknown. */
static void side_load_creds(struct doctor_conf_side *s, const char *conf_path, bool swanctl)
{
	char *dir = xstrdup(conf_path), *slash = strrchr(dir, '/');

	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (swanctl)
		side_add_x509ca(s, dir);
	for (size_t i = 0; i < doctor_conf_side_cred_count(s); i++) {
		const char *key, *path;
		struct buf b;
		int rc;
		doctor_conf_side_cred_name(s, i, &key, &path);
		if (strcmp(key, "x509ca") == 0)
			key = "cacerts";	/* the same directory, found by its own name */
		buf_init(&b);
		rc = swanctl ? swanctl_msg_read_cred_file(dir, key, path, &b) : file_read_all(path, TC_MAX_FILE_SIZE, &b);
		if (rc == 0)
			doctor_conf_side_cred_set(s, i, b.data, b.len);
		buf_free(&b);
	}
	free(dir);
}

int doctor_conf_read_path(const char *path, struct doctor_conf_side **out, struct tc_errors *errs)
{
	struct conf_tree *tree;
	struct stat st;
	struct buf b;
	int rc;

	*out = NULL;
	if (stat(path, &st) != 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	buf_init(&b);
	rc = file_read_all(path, PFSENSE_MAX_XML, &b);
	if (rc == 0 && looks_xml(&b))
		rc = read_xml(path, &b, out, errs);
	else if (rc == 0 && b.len > TC_MAX_FILE_SIZE)
		rc = -EFBIG;
	else if (rc == 0)
		rc = 1;		/* settings syntax: parsed below */
	buf_free_secret(&b);
	if (rc <= 0)
		return rc;

	tree = conf_parse_file(path, errs);
	if (errs->n_errors) {
		/* not even the settings syntax: an input error, not a config charon refuses */
		conf_tree_free(tree);
		return -EBADMSG;
	}
	if (conf_find(tree->root, "connections", CONF_SECTION) ||
	    conf_find(tree->root, "secrets", CONF_SECTION)) {
		*out = doctor_conf_side_from_swanctl(tree, errs);
		side_load_creds(*out, path, true);
	} else {
		struct tunnel_file *tf = tunnel_from_tree(tree, errs);
		if (!tf)
			return -EINVAL;
		if (tunnel_resolve_for_analysis(tf, errs) != 0 || errs->n_errors) {
			tunnel_file_free(tf);
			return -EINVAL;
		}
		*out = doctor_conf_side_from_tunnel(tf, errs);
		side_load_creds(*out, path, false);
	}
	side_load_texts(*out);
	return 0;
}

/* Line `line` of text, trimmed, or NULL. */
static char *text_line(const struct buf *b, unsigned line)
{
	const char *p = b->data, *end = b->data + b->len, *e;

	if (!p)
		return NULL;
	for (unsigned l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	e = memchr(p, '\n', (size_t)(end - p));
	e = e ? e : end;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == '\r' || e[-1] == ' '))
		e--;
	if (e - p > DOCTOR_MAX_EVIDENCE_TEXT)
		e = p + DOCTOR_MAX_EVIDENCE_TEXT;
	return xstrndup(p, (size_t)(e - p));
}

void doctor_conf_read_add_errors(struct doctor_conf_result *r, struct doctor *d, const char *path,
			   const char *side, const struct tc_errors *errs)
{
	struct doctor_verdict *v;
	const struct tc_error *first = NULL;
	size_t last = 0;		/* error of the previous evidence line: same file, same input */

	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	v = &r->v[r->n++];
	memset(v, 0, sizeof(*v));
	v->cls = DOCTOR_CONFIG_ERROR;
	v->tunnel = xstrdup(path);
	v->side = side;
	for (size_t i = 0; i < errs->n; i++) {
		const struct tc_error *e = &errs->v[i];
		struct buf b;
		char *text;
		if (e->warning)
			continue;
		if (!first)
			first = e;
		if (v->n_ev >= DOCTOR_MAX_EVIDENCE || !e->file || e->line == 0)
			continue;
		if (v->n_ev && e->line == v->ev[v->n_ev - 1].line && strcmp(errs->v[last].file, e->file) == 0)
			continue;	/* several errors on one line: cite it once */
		buf_init(&b);
		text = file_read_all(e->file, TC_MAX_FILE_SIZE, &b) == 0 ? text_line(&b, e->line) : NULL;
		buf_free_secret(&b);
		if (!text)
			continue;
		/* never quote a secret the user mistyped */
		if (strstr(text, "psk") || strstr(text, "secret") || strstr(text, "pre-shared-key")) {
			free(text);
			text = xstrdup("(line holds a secret: <hidden>)");
		}
		v->ev[v->n_ev].input = v->n_ev && strcmp(errs->v[last].file, e->file) == 0
					       ? v->ev[v->n_ev - 1].input : doctor_add_input(d, e->file);
		last = i;
		v->ev[v->n_ev].line = e->line;
		v->ev[v->n_ev].text = text;
		v->n_ev++;
	}
	v->summary = first ? xasprintf("this config does not load, so it was not compared: %s:%u:%u: %s",
				       first->file ? first->file : path, first->line, first->col, first->msg)
			   : xstrdup("this config does not load, so it was not compared");
	v->fix = xstrdup("correct the lines shown (tunnelctl check -c FILE lists every error)");
}
