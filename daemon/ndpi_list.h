/*
 * ndpi_list.h - `kastrod --list apps|categories|risks`: the names a policy
 * may use in `app`, `category` and `risk`, as nDPI 4.2 spells them (with
 * the custom protocols of the configuration's protocols file), one per
 * line: applications with their default category and nDPI's rating,
 * categories with their id (what a categories file names) and how many
 * applications fall in them by default, risks with their severity.
 */
#ifndef KASTRO_NDPI_LIST_H
#define KASTRO_NDPI_LIST_H

#include <stdio.h>

/*
 * Print the list `what` ("apps", "categories" or "risks") to out.
 * protocols_path: the custom protocols file, "" for none. 0, or -1 with a
 * message in err.
 */
int ndpi_list_print(const char *what, const char *protocols_path, FILE *out, char *err,
		    size_t errlen);

#endif
