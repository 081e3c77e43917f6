/* table.c - aligned text tables. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

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

void table_print(const struct table *t, FILE *f)
{
	size_t width[TABLE_MAX_COLS];

	for (size_t c = 0; c < t->n_cols; c++) {
		width[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->n_rows; r++) {
			size_t l = strlen(t->cells[r * t->n_cols + c]);
			if (l > width[c])
				width[c] = l;
		}
	}
	for (size_t r = 0; r <= t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->n_cols + c] : t->head[c];
			if (c + 1 == t->n_cols)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)width[c], s);
		}
	}
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
