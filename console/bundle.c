/*
 * bundle.c - see bundle.h.
 */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cfg.h"

struct rf {
	char *name;
	char *data;
	size_t len;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct rf *)a)->name, ((const struct rf *)b)->name);
}

static int rule_file_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && ((l > 4 && strcmp(n + l - 4, ".yar") == 0) ||
			       (l > 5 && strcmp(n + l - 5, ".yara") == 0));
}

int bundle_path(const char *data_dir, const char *version, char *out, size_t outlen)
{
	if (strlen(version) != RULEHASH_LEN || strspn(version, "0123456789abcdef") != RULEHASH_LEN)
		return -1;
	snprintf(out, outlen, "%s/bundles/%s.json", data_dir, version);
	return 0;
}

/* The bundle's JSON text, written to fd. */
static int write_bundle(FILE *f, const char *version, const struct rf *files, size_t n)
{
	fprintf(f, "{\"version\":\"%s\",\"files\":[", version);
	for (size_t i = 0; i < n; i++) {
		size_t cap = 4 * ((files[i].len + 2) / 3) + 1;
		unsigned char *b = malloc(cap);

		if (!b)
			return -1;
		EVP_EncodeBlock(b, (const unsigned char *)files[i].data, (int)files[i].len);
		/* names are plain file names; escape what JSON needs anyway */
		fputs(i ? ",{\"name\":\"" : "{\"name\":\"", f);
		for (const char *c = files[i].name; *c; c++) {
			if (*c == '"' || *c == '\\')
				fputc('\\', f);
			if ((unsigned char)*c < 0x20)
				fprintf(f, "\\u%04x", *c);
			else
				fputc(*c, f);
		}
		fprintf(f, "\",\"data_b64\":\"%s\"}", b);
		free(b);
	}
	fputs("]}\n", f);
	return ferror(f) ? -1 : 0;
}

int bundle_make(const char *dir, const char *data_dir, char *version, size_t *nfiles,
		char *err, size_t errlen)
{
	struct rf *files = NULL;
	struct rulehash_file *hf = NULL;
	size_t n = 0, cap = 0, total = 0;
	char path[PATH_MAX + 300], tmp[PATH_MAX + 310], bdir[PATH_MAX + 16], why[128];
	struct dirent *d;
	DIR *dh = opendir(dir);
	FILE *f = NULL;
	int rc = -1, fd;

	*nfiles = 0;
	if (!dh) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dh))) {
		struct stat st;

		if (!rule_file_name(d->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == BUNDLE_MAX_FILES) {
			snprintf(err, errlen, "%s: more than %d rule files", dir, BUNDLE_MAX_FILES);
			goto out;
		}
		if (n == cap) {
			struct rf *g = realloc(files, (cap = cap ? cap * 2 : 64) * sizeof(*g));

			if (!g) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			files = g;
		}
		files[n].name = strdup(d->d_name);
		if (!files[n].name) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (cfg_read_file(path, BUNDLE_MAX_BYTES - total, &files[n].data, &files[n].len, &st,
				  why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", path, why);
			free(files[n].name);
			goto out;
		}
		total += files[n].len;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no rule files (*.yar, *.yara)", dir);
		goto out;
	}
	qsort(files, n, sizeof(*files), by_name);
	hf = calloc(n, sizeof(*hf));
	if (!hf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		hf[i] = (struct rulehash_file){ files[i].name, files[i].data, files[i].len };
	if (rulehash(hf, n, version) < 0) {
		snprintf(err, errlen, "SHA-256 failed");
		goto out;
	}
	snprintf(bdir, sizeof(bdir), "%s/bundles", data_dir);
	if (mkdir(bdir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", bdir, strerror(errno));
		goto out;
	}
	bundle_path(data_dir, version, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (write_bundle(f, version, files, n) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	*nfiles = n;
	rc = 0;
out:
	closedir(dh);
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].data);
	}
	free(files);
	free(hf);
	return rc;
}
