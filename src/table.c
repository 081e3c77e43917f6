/* table.c - aligned text tables. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"

void table_init(struct table *t, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	while (t->n_cols < TABLE_MAX_COLS && head[t->n_cols]) {
		t->head[t->n_cols] = head[t->n_cols];
		t->n_cols++;
	}
}

void table_add_row(struct table *t, const char *const *cells)
{
	if (t->n_rows == t->cap_rows) {
		t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap_rows * t->n_cols * sizeof(char *));
	}
	for (size_t c = 0; c < t->n_cols; c++)
		t->cells[t->n_rows * t->n_cols + c] = xstrdup(cells[c] ? cells[c] : "-");
	t->n_rows++;
}

static void col_widths(const struct table *t, size_t *width)
{
	for (size_t c = 0; c < t->n_cols; c++) {
		width[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->n_rows; r++) {
			size_t l = strlen(t->cells[r * t->n_cols + c]);
			if (l > width[c])
				width[c] = l;
		}
	}
}

/* Print the columns whose bit in hide is clear. */
static void print_cols(const struct table *t, FILE *f, const size_t *width, unsigned hide)
{
	size_t last = 0;

	for (size_t c = 0; c < t->n_cols; c++)
		if (!(hide & (1u << c)))
			last = c;
	for (size_t r = 0; r <= t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->n_cols + c] : t->head[c];
			if (hide & (1u << c))
				continue;
			if (c == last)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)width[c], s);
		}
	}
}

void table_print(const struct table *t, FILE *f)
{
	size_t width[TABLE_MAX_COLS];

	col_widths(t, width);
	print_cols(t, f, width, 0);
}

size_t table_print_fit(const struct table *t, FILE *f, size_t max_width, const int *drop,
		       unsigned *left_out)
{
	size_t width[TABLE_MAX_COLS], total = 0, n = 0;
	unsigned hide = 0;

	_Static_assert(TABLE_MAX_COLS <= 32, "hidden columns are bits of an unsigned");
	col_widths(t, width);
	for (size_t c = 0; c < t->n_cols; c++)
		total += width[c] + (c ? 2 : 0);
	for (size_t i = 0; max_width && total > max_width && drop && drop[i] >= 0; i++) {
		size_t c = (size_t)drop[i];
		if (c >= t->n_cols || (hide & (1u << c)))
			continue;
		hide |= 1u << c;
		total -= width[c] + 2;
		n++;
	}
	print_cols(t, f, width, hide);
	if (left_out)
		*left_out = hide;
	return n;
}

size_t table_term_width(FILE *f)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);
		if (!*end && v >= 1 && v <= 10000)
			return v;
	}
	if (!isatty(fileno(f)))
		return 0;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
