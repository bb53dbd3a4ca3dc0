/*
 * www.h - the web UI's files (console/www/), compiled into kastro-console
 * by console/www-embed.sh, so the console serves them with no files to
 * install beside it.
 */
#ifndef KASTRO_WWW_H
#define KASTRO_WWW_H

#include <stddef.h>

struct www_file {
	const char *name;               /* "app.js" */
	const unsigned char *data;
	size_t len;
};

extern const struct www_file www_files[];
extern const size_t www_n_files;

#endif
