/*
 * backup.c - see backup.h.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bkjson.h"
#include "bkrun.h"
#include "errf.h"
#include "finding.h"

#define RESTIC "/usr/bin/restic"
#define BORG   "/usr/bin/borg"
#define MANIFEST "SHA256SUMS"
#define SHOWN_FILES 10                  /* restored files named in the event */
#define BKC_ARGS (2 * 100 + 16)         /* a tool's arguments: two per sampled file at most */

struct bstate {
	struct bkc_backup cf;
	time_t next_status, next_verify, next_restore;
	unsigned restore_turn;
	/* the stats of the snapshot before the newest, kept by its id */
	char prev_id[BKJ_ID_MAX];
	struct bkj_stats prev_stats;
};

struct backups {
	struct bstate *s;
	int n;
	char dir[PATH_MAX];
	char host[256];
	backup_emit_fn emit;
	void *arg;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t runs, failed;          /* under mu */
	volatile int stop;
};

/* One check's context: what it reports and what it cost. */
struct run {
	const struct bkc_backup *cf;
	const char *dir;
	volatile int *stop;
	json_t *o;                      /* the event's "backup" object */
	struct bkrun_cost cost;
	bool cut_ok;                    /* a listing: more than the cap is read in part */
	char err[1024];
};

/* ---- running the tools ---------------------------------------------------- */

static int check_password_file(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errf(err, errlen, "password file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errf(err, errlen, "password file %s: not a regular file", path);
	if (st.st_mode & 077)
		return errf(err, errlen, "password file %s: others may read it (mode %03o); "
			    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
	return 0;
}

/*
 * Run the backup's tool with args (after the tool's name), in cwd (NULL:
 * the agent's). The output is r's; 0 when it ran and exited 0, else -1 with
 * the reason in run->err.
 */
static int tool(struct run *run, const char *const *args, const char *cwd, struct bkrun *r)
{
	const struct bkc_backup *b = run->cf;
	char *argv[BKC_ARGS + 2], *envp[12], e[12][PATH_MAX + 48];
	int ne = 0, na = 0, fd = -1, rc;

	memset(r, 0, sizeof(*r));
	if (check_password_file(b->password_file, run->err, sizeof(run->err)) < 0)
		return -1;
	argv[na++] = (char *)(b->kind == BKC_RESTIC ? RESTIC : BORG);
	for (int i = 0; args[i] != NULL && na < BKC_ARGS; i++)
		argv[na++] = (char *)args[i];
	argv[na] = NULL;
#define ENV(...) snprintf(e[ne], sizeof(e[ne]), __VA_ARGS__), envp[ne] = e[ne], ne++
	ENV("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	ENV("LANG=C.UTF-8");
	ENV("HOME=%s/backup-home", run->dir);
	if (b->kind == BKC_RESTIC) {
		ENV("RESTIC_REPOSITORY=%s", b->repo);
		ENV("RESTIC_PASSWORD_FILE=%s", b->password_file);
		ENV("RESTIC_CACHE_DIR=%s/backup-home/restic-cache", run->dir);
	} else {
		fd = open(b->password_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			errf(run->err, sizeof(run->err), "password file %s: %s", b->password_file,
			     strerror(errno));
			return -1;
		}
		ENV("BORG_REPO=%s", b->repo);
		ENV("BORG_PASSPHRASE_FD=3");
		ENV("BORG_BASE_DIR=%s/backup-home", run->dir);
		ENV("BORG_RELOCATED_REPO_ACCESS_IS_OK=yes");
		ENV("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no");
	}
#undef ENV
	envp[ne] = NULL;
	rc = bkrun(argv, envp, cwd, run->cf->timeout, BACKUP_OUT_MAX, fd, run->stop, r, run->err,
		   sizeof(run->err));
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return -1;
	while (args[1] != NULL && args[0][0] == '-')
		args++;                 /* name the subcommand in messages */
	run->cost.ms += r->cost.ms;
	run->cost.cpu_ms += r->cost.cpu_ms;
	run->cost.read_chars += r->cost.read_chars;
	run->cost.read_bytes += r->cost.read_bytes;
	run->cost.write_bytes += r->cost.write_bytes;
	if (r->timed_out)
		return errf(run->err, sizeof(run->err), "%s %s: no answer within %us, stopped",
			    argv[0], args[0], run->cf->timeout);
	if (r->out_cut && !run->cut_ok)
		return errf(run->err, sizeof(run->err), "%s %s: more than %u bytes of output",
			    argv[0], args[0], BACKUP_OUT_MAX);
	if (r->status != 0)
		return errf(run->err, sizeof(run->err), "%s %s: exit status %d: %s", argv[0],
			    args[0], r->status, r->err_tail);
	return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static void iso(int64_t t, char out[FINDING_TIME_LEN])
{
	finding_time(t * 1000000000, out);
}

static int sha256_file(const char *path, char hex[65], uint64_t *size, char *err, size_t errlen)
{
	unsigned char buf[65536], md[32];
	EVP_MD_CTX *ctx;
	unsigned mdlen = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	*size = 0;
	if (fd < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		close(fd);
		return errf(err, errlen, "sha256: out of memory");
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	close(fd);
	if (n < 0) {
		EVP_MD_CTX_free(ctx);
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* DIR/backup-scratch/NAME, empty. */
static int scratch(struct run *run, char *out, size_t cap)
{
	char base[PATH_MAX];

	snprintf(base, sizeof(base), "%s/backup-scratch", run->dir);
	if (mkdir(base, 0700) < 0 && errno != EEXIST)
		return errf(run->err, sizeof(run->err), "%s: %s", base, strerror(errno));
	if ((size_t)snprintf(out, cap, "%s/%s", base, run->cf->name) >= cap)
		return errf(run->err, sizeof(run->err), "scratch directory: name too long");
	remove_tree(out);
	if (mkdir(out, 0700) < 0)
		return errf(run->err, sizeof(run->err), "%s: %s", out, strerror(errno));
	return 0;
}

/* ---- status ---------------------------------------------------------------- */

static void put_sizes(struct run *run, const struct bkj_stats *now, const struct bkj_stats *prev,
		      bool have_prev)
{
	bool shrunk = false;

	json_object_set_new(run->o, "size", json_integer((json_int_t)now->size));
	json_object_set_new(run->o, "files", json_integer((json_int_t)now->files));
	if (have_prev) {
		json_object_set_new(run->o, "prev_size", json_integer((json_int_t)prev->size));
		json_object_set_new(run->o, "prev_files", json_integer((json_int_t)prev->files));
		/* smaller by more than shrink% in bytes or in files */
		shrunk = (prev->size > 0 &&
			  now->size * 100 < prev->size * (uint64_t)(100 - run->cf->shrink)) ||
			 (prev->files > 0 &&
			  now->files * 100 < prev->files * (uint64_t)(100 - run->cf->shrink));
	}
	json_object_set_new(run->o, "shrunk", json_boolean(shrunk));
	json_object_set_new(run->o, "shrink_percent", json_integer(run->cf->shrink));
}

static int stats_of(struct run *run, const char *id, struct bkj_stats *st)
{
	struct bkrun r;
	int rc;

	if (run->cf->kind == BKC_RESTIC) {
		const char *a[] = { "--no-lock", "stats", "--json", id, NULL };

		rc = tool(run, a, NULL, &r);
		if (rc == 0)
			rc = bkj_restic_stats(r.out, r.out_len, st, run->err, sizeof(run->err));
	} else {
		char spec[BKC_PATH_MAX + BKJ_ID_MAX + 4];
		const char *a[] = { "info", "--json", spec, NULL };

		snprintf(spec, sizeof(spec), "::%s", id);
		rc = tool(run, a, NULL, &r);
		if (rc == 0)
			rc = bkj_borg_info(r.out, r.out_len, st, run->err, sizeof(run->err));
	}
	bkrun_free(&r);
	return rc;
}

static int status_repo(struct run *run, struct bstate *bs)
{
	struct bkj_list l;
	struct bkj_stats now, prev;
	struct bkrun r;
	char ts[FINDING_TIME_LEN];
	int rc;

	if (run->cf->kind == BKC_RESTIC) {
		const char *a[] = { "--no-lock", "snapshots", "--json", NULL };

		rc = tool(run, a, NULL, &r);
		if (rc == 0)
			rc = bkj_restic_snapshots(r.out, r.out_len, &l, run->err, sizeof(run->err));
	} else {
		const char *a[] = { "list", "--json", NULL };

		rc = tool(run, a, NULL, &r);
		if (rc == 0)
			rc = bkj_borg_list(r.out, r.out_len, &l, run->err, sizeof(run->err));
	}
	bkrun_free(&r);
	if (rc < 0)
		return -1;
	json_object_set_new(run->o, "snapshots", json_integer((json_int_t)l.count));
	if (l.count == 0)
		return errf(run->err, sizeof(run->err), "the repository holds no snapshot");
	iso(l.newest, ts);
	json_object_set_new(run->o, "newest", json_string(ts));
	json_object_set_new(run->o, "newest_id", json_string(l.newest_id));
	if (stats_of(run, l.newest_id, &now) < 0)
		return -1;
	if (l.prev_id[0] != '\0') {
		if (bs != NULL && strcmp(bs->prev_id, l.prev_id) == 0) {
			prev = bs->prev_stats;
		} else {
			if (stats_of(run, l.prev_id, &prev) < 0)
				return -1;
			if (bs != NULL) {
				memcpy(bs->prev_id, l.prev_id, sizeof(bs->prev_id));
				bs->prev_stats = prev;
			}
		}
	}
	put_sizes(run, &now, &prev, l.prev_id[0] != '\0');
	return 0;
}

/* dir: the newest regular file (not the manifest) and the one before it. */
static int status_dir(struct run *run)
{
	DIR *d = opendir(run->cf->repo);
	struct dirent *de;
	struct stat st;
	int64_t t1 = -1, t2 = -1;
	struct bkj_stats now = { 0, 1 }, prev = { 0, 1 };
	char n1[256] = "", ts[FINDING_TIME_LEN];
	uint64_t count = 0;

	if (d == NULL)
		return errf(run->err, sizeof(run->err), "%s: %s", run->cf->repo, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, MANIFEST) == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		count++;
		if ((int64_t)st.st_mtime > t1) {
			t2 = t1;
			prev.size = now.size;
			t1 = st.st_mtime;
			now.size = (uint64_t)st.st_size;
			snprintf(n1, sizeof(n1), "%s", de->d_name);
		} else if ((int64_t)st.st_mtime > t2) {
			t2 = st.st_mtime;
			prev.size = (uint64_t)st.st_size;
		}
	}
	closedir(d);
	json_object_set_new(run->o, "snapshots", json_integer((json_int_t)count));
	if (count == 0)
		return errf(run->err, sizeof(run->err), "%s holds no file", run->cf->repo);
	iso(t1, ts);
	json_object_set_new(run->o, "newest", json_string(ts));
	json_object_set_new(run->o, "newest_id", json_string(n1));
	put_sizes(run, &now, &prev, t2 >= 0);
	return 0;
}

/* ---- verify ---------------------------------------------------------------- */

/* dir: every "HEX  NAME" line of SHA256SUMS, NAME a file of the directory. */
static int verify_dir(struct run *run)
{
	char path[PATH_MAX], line[1024];
	FILE *f;
	unsigned checked = 0, bad = 0, lineno = 0;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", run->cf->repo, MANIFEST);
	f = fopen(path, "re");
	if (f == NULL) {
		json_object_set_new(run->o, "manifest", json_false());
		return errno == ENOENT ? 0 :
		       errf(run->err, sizeof(run->err), "%s: %s", path, strerror(errno));
	}
	json_object_set_new(run->o, "manifest", json_true());
	while (fgets(line, sizeof(line), f) != NULL) {
		char hex[65], *name, file[PATH_MAX], e2[256];
		uint64_t size;
		size_t n = strcspn(line, "\r\n");

		lineno++;
		line[n] = '\0';
		if (n == 0)
			continue;
		name = line + 64;
		if (n < 67 || strspn(line, "0123456789abcdefABCDEF") != 64 || name[0] != ' ' ||
		    (name[1] != ' ' && name[1] != '*')) {
			rc = errf(run->err, sizeof(run->err), "%s:%u: expected \"SHA256  NAME\" as "
				  "sha256sum writes it", MANIFEST, lineno);
			break;
		}
		name += 2;
		if (strchr(name, '/') != NULL || strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
			rc = errf(run->err, sizeof(run->err), "%s:%u: %.200s is not a file of the "
				  "directory", MANIFEST, lineno, name);
			break;
		}
		snprintf(file, sizeof(file), "%s/%s", run->cf->repo, name);
		checked++;
		if (sha256_file(file, hex, &size, e2, sizeof(e2)) < 0 ||
		    strncasecmp(hex, line, 64) != 0) {
			if (bad++ == 0)
				errf(run->err, sizeof(run->err), "%s: %s", name,
				     e2[0] && strncasecmp(hex, line, 64) != 0 && hex[0] == '\0' ? e2 :
				     "its SHA-256 differs from the manifest's");
		}
		run->cost.read_chars += size;
		if (run->stop && *run->stop)
			break;
	}
	fclose(f);
	json_object_set_new(run->o, "checked", json_integer(checked));
	json_object_set_new(run->o, "bad", json_integer(bad));
	return rc < 0 || bad > 0 ? -1 : 0;
}

static int verify_repo(struct run *run, time_t now)
{
	struct bkrun r;
	int rc;

	if (run->cf->kind == BKC_RESTIC) {
		uint32_t n = (run->cf->verify_over + run->cf->verify_every - 1) / run->cf->verify_every;
		uint32_t k = (uint32_t)((uint64_t)now / run->cf->verify_every % n) + 1;
		char sub[64];
		const char *a[] = { "check", sub, NULL };

		snprintf(sub, sizeof(sub), "--read-data-subset=%u/%u", k, n);
		json_object_set_new(run->o, "subset", json_string(sub + 19));
		rc = tool(run, a, NULL, &r);
	} else {
		const char *a[] = { "check", "--verify-data", NULL };

		json_object_set_new(run->o, "subset", json_string("1/1"));
		rc = tool(run, a, NULL, &r);
	}
	bkrun_free(&r);
	return rc;
}

/* ---- restore test ------------------------------------------------------------ */

struct cand {
	char **path;
	uint64_t *size;
	size_t n, cap;
};

static void cand_free(struct cand *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->path[i]);
	free(c->path);
	free(c->size);
}

/*
 * The regular files of a listing (JSON lines), at most BACKUP_LS_MAX. A
 * listing cut at the output's cap ends at its last whole line. restic
 * takes --include as a pattern: a path with a pattern's characters is
 * not sampled.
 */
static int listing(struct run *run, char *out, size_t len, bool cut, struct cand *c)
{
	char *p = out, *end = out + len;

	memset(c, 0, sizeof(*c));
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct bkj_item it;
		int rc;

		if (nl == NULL && cut)
			break;
		if (n > 0) {
			rc = run->cf->kind == BKC_RESTIC ?
			     bkj_restic_ls_line(p, n, &it, run->err, sizeof(run->err)) :
			     bkj_borg_item_line(p, n, &it, run->err, sizeof(run->err));
			if (rc < 0)
				return -1;
			if (rc == 1 && run->cf->kind == BKC_RESTIC && strpbrk(it.path, "*?[\\") != NULL)
				rc = 0;
			if (rc == 1 && it.is_file && c->n < BACKUP_LS_MAX) {
				if (c->n == c->cap) {
					size_t nc = c->cap ? c->cap * 2 : 256;
					char **np = realloc(c->path, nc * sizeof(*np));
					uint64_t *ns;

					if (np == NULL)
						return errf(run->err, sizeof(run->err), "out of memory");
					c->path = np;
					ns = realloc(c->size, nc * sizeof(*ns));
					if (ns == NULL)
						return errf(run->err, sizeof(run->err), "out of memory");
					c->size = ns;
					c->cap = nc;
				}
				c->path[c->n] = strdup(it.path);
				if (c->path[c->n] == NULL)
					return errf(run->err, sizeof(run->err), "out of memory");
				c->size[c->n++] = it.size;
			}
		}
		p += n + 1;
	}
	return 0;
}

static int restore_repo(struct run *run, const char *newest, unsigned turn)
{
	struct cand c;
	struct bkrun r;
	char dir[PATH_MAX] = "", spec[BKC_PATH_MAX + BKJ_ID_MAX + 4];
	char (*want)[65] = NULL;
	const char *a[BKC_ARGS];
	size_t pick[100], np = 0;
	json_t *files = json_array();
	uint64_t bytes = 0;
	int rc = -1, na = 0;
	bool restic = run->cf->kind == BKC_RESTIC;

	memset(&c, 0, sizeof(c));
	snprintf(spec, sizeof(spec), "::%s", newest);
	/* the listing */
	run->cut_ok = true;
	if (restic) {
		const char *l[] = { "--no-lock", "ls", "--json", newest, NULL };

		rc = tool(run, l, NULL, &r);
	} else {
		const char *l[] = { "list", "--json-lines", spec, NULL };

		rc = tool(run, l, NULL, &r);
	}
	run->cut_ok = false;
	if (rc == 0)
		rc = listing(run, r.out, r.out_len, r.out_cut, &c);
	bkrun_free(&r);
	if (rc < 0)
		goto out;
	rc = -1;
	if (c.n == 0) {
		errf(run->err, sizeof(run->err), "the newest snapshot holds no file");
		goto out;
	}
	/* the sample: evenly spread, turning with each run */
	np = run->cf->restore_sample < c.n ? run->cf->restore_sample : c.n;
	for (size_t i = 0; i < np; i++)
		pick[i] = ((size_t)turn + i * (c.n / np)) % c.n;
	if (scratch(run, dir, sizeof(dir)) < 0)
		goto out;
	json_object_set_new(run->o, "sample", json_integer((json_int_t)np));
	json_object_set_new(run->o, "candidates", json_integer((json_int_t)c.n));
	/* borg: the repository's SHA-256 of each picked file */
	want = calloc(np, 65);
	if (want == NULL) {
		errf(run->err, sizeof(run->err), "out of memory");
		goto out;
	}
	if (!restic) {
		a[na++] = "list";
		a[na++] = "--json-lines";
		a[na++] = "--format";
		a[na++] = "{sha256}{size}";
		a[na++] = spec;
		for (size_t i = 0; i < np; i++)
			a[na++] = c.path[pick[i]];
		a[na] = NULL;
		rc = tool(run, a, NULL, &r);
		if (rc == 0) {
			char *p = r.out, *end = r.out + r.out_len;

			while (p < end && rc == 0) {
				char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
				struct bkj_item it;

				if (n > 0 && bkj_borg_item_line(p, n, &it, run->err,
								 sizeof(run->err)) < 0)
					rc = -1;
				else if (n > 0)
					for (size_t i = 0; i < np; i++)
						if (strcmp(c.path[pick[i]], it.path) == 0)
							memcpy(want[i], it.sha256, 65);
				p += n + 1;
			}
		}
		bkrun_free(&r);
		if (rc < 0) {
			free(want);
			goto out;
		}
		rc = -1;
		na = 0;
	}
	/* the restore */
	if (restic) {
		a[na++] = "--no-lock";
		a[na++] = "restore";
		a[na++] = newest;
		a[na++] = "--target";
		a[na++] = dir;
		a[na++] = "--verify";
		for (size_t i = 0; i < np; i++) {
			a[na++] = "--include";
			a[na++] = c.path[pick[i]];
		}
	} else {
		a[na++] = "extract";
		a[na++] = spec;
		for (size_t i = 0; i < np; i++)
			a[na++] = c.path[pick[i]];
	}
	a[na] = NULL;
	rc = tool(run, a, restic ? NULL : dir, &r);
	bkrun_free(&r);
	if (rc < 0) {
		free(want);
		goto out;
	}
	/* each file as the repository says it is */
	rc = 0;
	for (size_t i = 0; i < np; i++) {
		char f[PATH_MAX + BKJ_PATH_MAX], hex[65] = "", e2[256] = "";
		const char *p = c.path[pick[i]];
		uint64_t size = 0;
		const char *why = NULL;

		snprintf(f, sizeof(f), "%s%s%s", dir, p[0] == '/' ? "" : "/", p);
		if (sha256_file(f, hex, &size, e2, sizeof(e2)) < 0)
			why = "not restored";
		else if (size != c.size[pick[i]])
			why = "its size differs from the repository's";
		else if (!restic && strcmp(want[i], hex) != 0)
			why = "its SHA-256 differs from the repository's";
		bytes += size;
		if (why != NULL && rc == 0) {
			errf(run->err, sizeof(run->err), "%.300s: %s", p, why);
			rc = -1;
		}
		if (i < SHOWN_FILES)
			json_array_append_new(files, json_pack("{s:s,s:I,s:s,s:b}", "path", p,
							       "size", (json_int_t)size, "sha256",
							       hex, "ok", why == NULL));
	}
	free(want);
	json_object_set_new(run->o, "restored_bytes", json_integer((json_int_t)bytes));
out:
	json_object_set(run->o, "files", files);
	json_decref(files);
	if (dir[0] != '\0')
		remove_tree(dir);
	cand_free(&c);
	return rc;
}

/* ---- one check --------------------------------------------------------------- */

static json_t *one(const struct bkc_backup *cf, struct bstate *bs, const char *check,
		   const char *dir, const char *host, volatile int *stop, time_t now)
{
	struct run run;
	char ts[FINDING_TIME_LEN];
	int rc = 0;
	json_t *ev;

	memset(&run, 0, sizeof(run));
	run.cf = cf;
	run.dir = dir;
	run.stop = stop;
	run.o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", cf->name, "service", cf->service,
			  "kind", bkc_kind_name(cf->kind), "repository", cf->repo, "check", check);
	if (run.o == NULL)
		return NULL;
	{
		char home[PATH_MAX];

		snprintf(home, sizeof(home), "%s/backup-home", dir);
		mkdir(home, 0700);
	}
	if (strcmp(check, "status") == 0) {
		rc = cf->kind == BKC_DIR ? status_dir(&run) : status_repo(&run, bs);
	} else if (strcmp(check, "verify") == 0) {
		rc = cf->kind == BKC_DIR ? verify_dir(&run) : verify_repo(&run, now);
	} else {
		char newest[BKJ_ID_MAX] = "";

		/* the newest snapshot, then a sample of it */
		rc = status_repo(&run, bs);
		if (rc == 0)
			snprintf(newest, sizeof(newest), "%s",
				 json_string_value(json_object_get(run.o, "newest_id")));
		json_object_del(run.o, "size");
		json_object_del(run.o, "files");
		json_object_del(run.o, "prev_size");
		json_object_del(run.o, "prev_files");
		json_object_del(run.o, "shrunk");
		json_object_del(run.o, "shrink_percent");
		if (rc == 0)
			rc = restore_repo(&run, newest, bs ? bs->restore_turn++ : 0);
	}
	json_object_set_new(run.o, "ok", json_boolean(rc == 0));
	json_object_set_new(run.o, "error", json_string(rc == 0 ? "" : run.err));
	json_object_set_new(run.o, "duration_ms", json_integer((json_int_t)run.cost.ms));
	json_object_set_new(run.o, "cpu_ms", json_integer((json_int_t)run.cost.cpu_ms));
	json_object_set_new(run.o, "read_chars", json_integer((json_int_t)run.cost.read_chars));
	json_object_set_new(run.o, "read_bytes", json_integer((json_int_t)run.cost.read_bytes));
	json_object_set_new(run.o, "write_bytes", json_integer((json_int_t)run.cost.write_bytes));
	finding_time((int64_t)time(NULL) * 1000000000, ts);
	ev = json_pack("{s:s,s:s,s:s,s:o}", "timestamp", ts, "event_type", "backup", "host", host,
		       "backup", run.o);
	return ev;
}

json_t *backup_run_once(const struct bkc_backup *b, const char *check, const char *state_dir,
			const char *host, char *err, size_t errlen)
{
	json_t *ev;

	if (strcmp(check, "status") != 0 && strcmp(check, "verify") != 0 &&
	    strcmp(check, "restore") != 0) {
		errf(err, errlen, "%s: expected status, verify or restore", check);
		return NULL;
	}
	if (strcmp(check, "restore") == 0 && b->kind == BKC_DIR) {
		errf(err, errlen, "a dir backup has no restore test");
		return NULL;
	}
	ev = one(b, NULL, check, state_dir, host, NULL, time(NULL));
	if (ev == NULL)
		errf(err, errlen, "out of memory");
	return ev;
}

/* ---- the thread ---------------------------------------------------------------- */

static void *thread(void *arg)
{
	struct backups *b = arg;

	while (!b->stop) {
		time_t now = time(NULL), next = now + 3600;

		for (int i = 0; i < b->n && !b->stop; i++) {
			struct bstate *s = &b->s[i];
			const char *check = NULL;

			if (now >= s->next_status) {
				check = "status";
				s->next_status = now + s->cf.every;
			} else if (s->cf.verify_every && now >= s->next_verify) {
				check = "verify";
				s->next_verify = now + s->cf.verify_every;
			} else if (s->cf.restore_every && s->cf.kind != BKC_DIR &&
				   now >= s->next_restore) {
				check = "restore";
				s->next_restore = now + s->cf.restore_every;
			}
			if (check != NULL) {
				json_t *ev = one(&s->cf, s, check, b->dir, b->host, &b->stop, now);
				bool ok = ev != NULL && json_is_true(json_object_get(
					json_object_get(ev, "backup"), "ok"));

				pthread_mutex_lock(&b->mu);
				b->runs++;
				b->failed += !ok;
				pthread_mutex_unlock(&b->mu);
				if (ev != NULL)
					b->emit(b->arg, ev);
				now = time(NULL);
			}
		}
		for (int i = 0; i < b->n; i++) {
			struct bstate *s = &b->s[i];

			if (s->next_status < next)
				next = s->next_status;
			if (s->cf.verify_every && s->next_verify < next)
				next = s->next_verify;
			if (s->cf.restore_every && s->cf.kind != BKC_DIR && s->next_restore < next)
				next = s->next_restore;
		}
		pthread_mutex_lock(&b->mu);
		while (!b->stop && time(NULL) < next) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		}
		pthread_mutex_unlock(&b->mu);
	}
	return NULL;
}

struct backups *backup_checks_start(const struct bkc *conf, const char *state_dir, const char *host,
			      backup_emit_fn emit, void *arg, char *err, size_t errlen)
{
	struct backups *b;
	time_t now = time(NULL);

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (conf->n == 0)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->s = calloc((size_t)conf->n, sizeof(*b->s))) == NULL) {
		free(b);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	b->n = conf->n;
	for (int i = 0; i < conf->n; i++) {
		b->s[i].cf = conf->b[i];
		b->s[i].next_status = b->s[i].next_verify = b->s[i].next_restore = now;
	}
	snprintf(b->dir, sizeof(b->dir), "%s", state_dir);
	snprintf(b->host, sizeof(b->host), "%s", host);
	b->emit = emit;
	b->arg = arg;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (pthread_create(&b->tid, NULL, thread, b) != 0) {
		errf(err, errlen, "cannot start the backup checks' thread");
		free(b->s);
		free(b);
		return NULL;
	}
	return b;
}

void backup_checks_counts(struct backups *b, int *backups, uint64_t *run, uint64_t *failed)
{
	*backups = 0;
	*run = *failed = 0;
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	*backups = b->n;
	*run = b->runs;
	*failed = b->failed;
	pthread_mutex_unlock(&b->mu);
}

void backup_checks_stop(struct backups *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->tid, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b->s);
	free(b);
}
