/*
 * bundle.c - see bundle.h.
 */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ruletree.h"

int bundle_path(const char *data_dir, const char *version, char *out, size_t outlen)
{
	if (strlen(version) != RULEHASH_LEN || strspn(version, "0123456789abcdef") != RULEHASH_LEN)
		return -1;
	snprintf(out, outlen, "%s/bundles/%s.json", data_dir, version);
	return 0;
}

/* The bundle's JSON text, written to fd. */
static int write_bundle(FILE *f, const char *version, const struct ruletree_file *files,
			size_t n)
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
	struct rulehash_file *hf = NULL;
	char path[PATH_MAX + 300], tmp[PATH_MAX + 310], bdir[PATH_MAX + 16];
	struct ruletree t;
	FILE *f = NULL;
	int rc = -1, fd;

	*nfiles = 0;
	if (ruletree_load(dir, BUNDLE_MAX_FILES, BUNDLE_MAX_BYTES, &t, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < t.n; i++)
		if (!ruletree_name_ok(t.f[i].name)) {
			snprintf(err, errlen, "%s: a name the agents refuse (control characters, "
				 "a backslash or too long): rename it", t.f[i].path);
			goto out;
		}
	hf = calloc(t.n, sizeof(*hf));
	if (!hf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t.n; i++)
		hf[i] = (struct rulehash_file){ t.f[i].name, t.f[i].data, t.f[i].len };
	if (rulehash(hf, t.n, version) < 0) {
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
	if (write_bundle(f, version, t.f, t.n) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
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
	*nfiles = t.n;
	rc = 0;
out:
	ruletree_free(&t);
	free(hf);
	return rc;
}
