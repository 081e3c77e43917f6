/* table.h - aligned text tables for terminal output (list, status, ...). */
#ifndef TUNNELCTL_TABLE_H
#define TUNNELCTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 16

struct table {
	size_t n_cols;
	const char *head[TABLE_MAX_COLS];
	char **cells;		/* n_rows * n_cols, owned */
	size_t n_rows, cap_rows;
};

/* Start a table with the given column headings (at most TABLE_MAX_COLS, NULL-terminated). */
void table_init(struct table *t, const char *const *head);
/* Append a row: exactly n_cols strings, NULL shown as "-"; copied. */
void table_add_row(struct table *t, const char *const *cells);
/* Print with columns padded to their widest cell, two spaces apart. */
void table_print(const struct table *t, FILE *f);
/* Like table_print, but leaves out columns, in the order of drop (column indexes, ending at
 * -1), until each line fits max_width (0: no limit). Prints nothing else; returns how many
 * columns were left out and, in *left_out (may be NULL), a bit per left-out column. */
size_t table_print_fit(const struct table *t, FILE *f, size_t max_width, const int *drop,
		       unsigned *left_out);
/* The width to fit: $COLUMNS when set (1..10000, also into a pipe), else the width of the
 * terminal f writes to; 0 when f is not a terminal (print everything). */
size_t table_term_width(FILE *f);
void table_free(struct table *t);

#endif
