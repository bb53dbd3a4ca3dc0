/*
 * invstore.c - see invstore.h.
 */
#include "invstore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory.h"
#include "sha256hex.h"

int invstore_read_fd(int fd, uint64_t size, const char *sha256, char **out, size_t *len,
		     char *err, size_t errlen)
{
	char hex[65];
	size_t got = 0;
	char *b;

	*out = NULL;
	if (size > INV_SRC_MAX) {
		snprintf(err, errlen, "the inventory is %llu bytes, over the %u a gateway takes",
			 (unsigned long long)size, INV_SRC_MAX);
		return -1;
	}
	b = malloc(size + 1);
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (got < size) {
		ssize_t r = pread(fd, b + got, size - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "reading the pushed inventory: %s",
				 r < 0 ? strerror(errno) : "shorter than announced");
			free(b);
			return -1;
		}
		got += (size_t)r;
	}
	b[size] = '\0';
	if (sha256_hex(b, size, hex) < 0) {
		snprintf(err, errlen, "cannot hash the pushed inventory");
		free(b);
		return -1;
	}
	if (strcmp(hex, sha256) != 0) {
		snprintf(err, errlen, "the pushed inventory does not hash to %s", sha256);
		free(b);
		return -1;
	}
	*out = b;
	*len = size;
	return 0;
}

/* fsync the directory holding path. */
static int sync_dir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	r = fsync(fd);
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "fsync %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int invstore_write(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0640) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return invstore_commit(tmp, path, err, errlen);
fail:
	snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int invstore_commit(const char *from, const char *to, char *err, size_t errlen)
{
	if (rename(from, to) < 0) {
		snprintf(err, errlen, "rename %s to %s: %s", from, to, strerror(errno));
		return -1;
	}
	return sync_dir(to, err, errlen);
}
