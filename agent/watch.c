/*
 * watch.c - see watch.h.
 *
 * Written on the inotify system calls directly: the libraries that wrap
 * them (libinotifytools) add recursion but follow no bound of ours, keep
 * their own global state and do not tell a lost event from a full table.
 *
 * State: one entry per watched directory (its wd, path, device and inode,
 * and the tree's device and cross_fs flag, which directories created under
 * it inherit), found by wd (events) and by device and inode (a directory
 * watched again, e.g. after a move, keeps its wd in the kernel). Both
 * indexes are open-addressing tables of entry numbers sized for
 * max_watches, with backward-shift deletion. Walks are iterative (a stack of
 * paths), so deep trees cost heap, not stack.
 *
 * Known limit: inotify needs paths, so a directory is opened by path
 * (O_NOFOLLOW on its last component) and checked after the watch was added
 * (same device and inode); a directory swapped in that instant is not
 * watched.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | \
	      IN_DONT_FOLLOW | IN_ONLYDIR | IN_EXCL_UNLINK)
#define EVBUF (64u << 10)
#define EMPTY (-1)

struct wentry {
	int wd;                 /* -1: a free slot */
	char *path;
	dev_t dev;
	ino_t ino;
	dev_t root_dev;         /* the tree's file system */
	bool cross_fs;
};

struct root {
	char *path;
	bool cross_fs;
};

/* Paths seen by one watch_read(), in order. */
struct dedup {
	char **paths;           /* WATCH_DEDUP_MAX */
	size_t n;
	int32_t *tab;           /* 2 * WATCH_DEDUP_MAX slots: index into paths */
};

struct watch {
	int fd;
	size_t max;
	struct wentry *ents;    /* slots; free ones chained through free_next */
	int32_t *free_next;
	int32_t free_head;
	size_t nents, cap;      /* slots used ever (high water), allocated */
	int32_t *by_wd, *by_ino;
	size_t tcap;            /* power of two, >= 2 * max */
	struct root roots[WATCH_MAX_ROOTS];
	size_t nroots;
	struct dedup dd;
	unsigned flags;         /* of the watch_read() in progress */
	struct watch_stats st;
	char *evbuf;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t h_wd(const struct watch *w, int32_t i)
{
	return mix((uint64_t)(uint32_t)w->ents[i].wd);
}

static uint64_t h_ino(const struct watch *w, int32_t i)
{
	return mix((uint64_t)w->ents[i].ino ^ mix((uint64_t)w->ents[i].dev));
}

static void t_insert(struct watch *w, int32_t *t, int32_t i,
		     uint64_t (*h)(const struct watch *, int32_t))
{
	size_t mask = w->tcap - 1, j = h(w, i) & mask;

	while (t[j] != EMPTY)
		j = (j + 1) & mask;
	t[j] = i;
}

static void t_delete(struct watch *w, int32_t *t, int32_t i,
		     uint64_t (*h)(const struct watch *, int32_t))
{
	size_t mask = w->tcap - 1, j = h(w, i) & mask, k;

	while (t[j] != i) {
		if (t[j] == EMPTY)
			return;
		j = (j + 1) & mask;
	}
	/* backward shift: no tombstones */
	for (size_t hole = j;;) {
		j = (j + 1) & mask;
		if (t[j] == EMPTY) {
			t[hole] = EMPTY;
			return;
		}
		k = h(w, t[j]) & mask;
		/* t[j] may fill the hole unless its home lies in (hole, j] */
		if (hole <= j ? (hole < k && k <= j) : (hole < k || k <= j))
			continue;
		t[hole] = t[j];
		hole = j;
	}
}

static int32_t find_wd(const struct watch *w, int wd)
{
	size_t mask = w->tcap - 1, j = mix((uint64_t)(uint32_t)wd) & mask;

	for (; w->by_wd[j] != EMPTY; j = (j + 1) & mask)
		if (w->ents[w->by_wd[j]].wd == wd)
			return w->by_wd[j];
	return EMPTY;
}

static int32_t find_ino(const struct watch *w, dev_t dev, ino_t ino)
{
	size_t mask = w->tcap - 1, j = mix((uint64_t)ino ^ mix((uint64_t)dev)) & mask;

	for (; w->by_ino[j] != EMPTY; j = (j + 1) & mask) {
		const struct wentry *e = &w->ents[w->by_ino[j]];

		if (e->dev == dev && e->ino == ino)
			return w->by_ino[j];
	}
	return EMPTY;
}

/* Forget entry i (the kernel's watch is gone or removed by the caller). */
static void ent_drop(struct watch *w, int32_t i)
{
	t_delete(w, w->by_wd, i, h_wd);
	t_delete(w, w->by_ino, i, h_ino);
	free(w->ents[i].path);
	w->ents[i].path = NULL;
	w->ents[i].wd = -1;
	w->free_next[i] = w->free_head;
	w->free_head = i;
	w->st.watches--;
}

/* A slot for a new entry, or EMPTY when out of memory. */
static int32_t ent_alloc(struct watch *w)
{
	int32_t i;

	if (w->free_head != EMPTY) {
		i = w->free_head;
		w->free_head = w->free_next[i];
		return i;
	}
	if (w->nents == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 64;
		struct wentry *ne;
		int32_t *nf;

		if (nc > w->max)
			nc = w->max;
		ne = realloc(w->ents, nc * sizeof(*ne));
		if (!ne)
			return EMPTY;
		w->ents = ne;
		nf = realloc(w->free_next, nc * sizeof(*nf));
		if (!nf)
			return EMPTY;
		w->free_next = nf;
		w->cap = nc;
	}
	return (int32_t)w->nents++;
}

/* ---- reporting ---------------------------------------------------------- */

static uint64_t h_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return mix(h);
}

static void report_now(struct watch *w, const char *path, watch_fn fn, void *arg)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		w->st.reported++;
		fn(arg, path);
	}
}

/*
 * Note path for reporting at the end of this watch_read(). When the set is
 * full it is reported at once (a duplicate is possible, a loss is not).
 */
static void note(struct watch *w, const char *path, watch_fn fn, void *arg)
{
	size_t mask = 2 * WATCH_DEDUP_MAX - 1, j = h_str(path) & mask;
	char *copy;

	for (; w->dd.tab[j] != EMPTY; j = (j + 1) & mask)
		if (strcmp(w->dd.paths[w->dd.tab[j]], path) == 0)
			return;
	if (w->dd.n == WATCH_DEDUP_MAX || !(copy = strdup(path))) {
		report_now(w, path, fn, arg);
		return;
	}
	w->dd.tab[j] = (int32_t)w->dd.n;
	w->dd.paths[w->dd.n++] = copy;
}

static long report_all(struct watch *w, watch_fn fn, void *arg)
{
	uint64_t before = w->st.reported;

	for (size_t i = 0; i < w->dd.n; i++) {
		report_now(w, w->dd.paths[i], fn, arg);
		free(w->dd.paths[i]);
	}
	w->dd.n = 0;
	for (size_t j = 0; j < 2 * WATCH_DEDUP_MAX; j++)
		w->dd.tab[j] = EMPTY;
	return (long)(w->st.reported - before);
}

/* ---- walking ------------------------------------------------------------ */

struct stack {
	char **p;
	size_t n, cap;
};

/* Push dir/name (name NULL: dir itself). Returns 0, 1 when too long, -1 no memory. */
static int push(struct stack *s, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = name ? strlen(name) : 0;
	char *p;

	if (dl + 1 + nl >= PATH_MAX)
		return 1;   /* too long: not watched */
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		char **np = realloc(s->p, nc * sizeof(*np));

		if (!np)
			return -1;
		s->p = np;
		s->cap = nc;
	}
	if (!(p = malloc(dl + nl + 2)))
		return -1;
	memcpy(p, dir, dl + 1);
	if (name) {
		if (!(dl == 1 && dir[0] == '/'))   /* the root directory: no "//" */
			p[dl++] = '/';
		memcpy(p + dl, name, nl + 1);
	}
	s->p[s->n++] = p;
	return 0;
}

struct walk {
	dev_t root_dev;
	bool cross_fs;
	bool top;               /* the next directory is the walk's first */
	watch_fn fn;            /* non-NULL: report the regular files found */
	void *arg;
	uint64_t unwatched;     /* directories not watched (bounds, errors) */
	int top_errno;          /* why the first directory was not watched; 0: it is */
};

/*
 * Watch the directory at path (an entry is added, or updated when the
 * kernel had it already). Returns 0 watched, 1 not (counted), -1 gone.
 */
static int watch_dir(struct watch *w, const char *path, const struct stat *st,
		     struct walk *wk)
{
	int32_t i = find_ino(w, st->st_dev, st->st_ino);
	struct stat st2;
	char *copy;
	int wd;

	if (i == EMPTY && w->st.watches >= w->max) {
		w->st.limit_hits++;
		wk->unwatched++;
		if (wk->top)
			wk->top_errno = EDQUOT;
		return 1;
	}
	wd = inotify_add_watch(w->fd, path, MASK);
	if (wd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -1;
		if (wk->top)
			wk->top_errno = errno;
		if (errno == ENOSPC)
			w->st.enospc++;
		else
			w->st.add_errors++;
		wk->unwatched++;
		return 1;
	}
	/* still the directory we opened? */
	if (lstat(path, &st2) != 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
		if (i == EMPTY && find_wd(w, wd) == EMPTY)
			inotify_rm_watch(w->fd, wd);
		return -1;
	}
	if (!(copy = strdup(path)))
		goto nomem;
	if (i != EMPTY && w->ents[i].wd != wd) {
		/* the kernel dropped the old watch (its IN_IGNORED is still queued) */
		ent_drop(w, i);
		i = EMPTY;
	}
	if (i == EMPTY)
		i = find_wd(w, wd);
	if (i != EMPTY) {
		/* the same watch, maybe under a new path: the tree it is in now */
		struct wentry *e = &w->ents[i];

		if (e->dev != st->st_dev || e->ino != st->st_ino) {
			t_delete(w, w->by_ino, i, h_ino);
			e->dev = st->st_dev;
			e->ino = st->st_ino;
			t_insert(w, w->by_ino, i, h_ino);
		}
		free(e->path);
		e->path = copy;
		e->root_dev = wk->root_dev;
		e->cross_fs = wk->cross_fs;
		return 0;
	}
	if ((i = ent_alloc(w)) == EMPTY) {
		free(copy);
		goto nomem;
	}
	w->ents[i] = (struct wentry){ .wd = wd, .path = copy, .dev = st->st_dev,
				      .ino = st->st_ino, .root_dev = wk->root_dev,
				      .cross_fs = wk->cross_fs };
	t_insert(w, w->by_wd, i, h_wd);
	t_insert(w, w->by_ino, i, h_ino);
	w->st.watches++;
	return 0;
nomem:
	inotify_rm_watch(w->fd, wd);
	w->st.add_errors++;
	wk->unwatched++;
	if (wk->top)
		wk->top_errno = ENOMEM;
	return 1;
}

/*
 * Watch top and every directory under it; with wk->fn, also report the
 * regular files found. Returns 0, or -1 when out of memory (what was
 * watched stays watched).
 */
static int walk(struct watch *w, const char *top, struct walk *wk)
{
	struct stack s = { 0 };
	int rc = 0;

	if (push(&s, top, NULL) != 0)
		return -1;
	wk->top = true;
	while (s.n > 0) {
		char *path = s.p[--s.n];
		struct dirent *de;
		struct stat st;
		DIR *d;
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &st) != 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			if (e != ENOENT && e != ENOTDIR && e != ELOOP) {
				w->st.add_errors++;
				wk->unwatched++;
			}
			if (wk->top)
				wk->top_errno = e == ELOOP ? ENOTDIR : e;
			goto next;
		}
		if (st.st_dev != wk->root_dev && !wk->cross_fs) {
			w->st.other_fs++;
			close(fd);
			goto next;
		}
		if (watch_dir(w, path, &st, wk) < 0) {
			close(fd);
			if (wk->top && wk->top_errno == 0)
				wk->top_errno = ENOENT;
			goto next;
		}
		wk->top = false;
		if (!(d = fdopendir(fd))) {
			close(fd);
			goto next;
		}
		while ((de = readdir(d))) {
			unsigned char type = de->d_type;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (type == DT_UNKNOWN) {
				struct stat cst;

				if (fstatat(dirfd(d), de->d_name, &cst, AT_SYMLINK_NOFOLLOW) != 0)
					continue;
				type = S_ISDIR(cst.st_mode) ? DT_DIR : S_ISREG(cst.st_mode) ? DT_REG : DT_LNK;
			}
			if (type == DT_DIR) {
				int r = push(&s, path, de->d_name);

				if (r < 0) {
					rc = -1;
					break;
				}
				if (r > 0)
					w->st.dropped++;
			} else if (type == DT_REG && wk->fn) {
				char full[PATH_MAX];
				int n = snprintf(full, sizeof(full), "%s/%s",
						 strcmp(path, "/") == 0 ? "" : path, de->d_name);

				if (n < 0 || (size_t)n >= sizeof(full))
					w->st.dropped++;
				else
					note(w, full, wk->fn, wk->arg);
			}
		}
		closedir(d);
next:
		wk->top = false;
		free(path);
		if (rc != 0)
			break;
	}
	while (s.n > 0)
		free(s.p[--s.n]);
	free(s.p);
	return rc;
}

/* ---- public ------------------------------------------------------------- */

struct watch *watch_open(size_t max_watches, char *err, size_t errlen)
{
	struct watch *w;
	size_t tcap = 16;

	if (max_watches == 0)
		max_watches = WATCH_DEFAULT_MAX_WATCHES;
	if (max_watches > WATCH_MAX_WATCHES_LIMIT) {
		seterr(err, errlen, "watch: max_watches %zu is above %u", max_watches,
		       WATCH_MAX_WATCHES_LIMIT);
		return NULL;
	}
	while (tcap < 2 * max_watches)
		tcap *= 2;
	w = calloc(1, sizeof(*w));
	if (!w) {
		seterr(err, errlen, "watch: out of memory");
		return NULL;
	}
	w->fd = -1;
	w->max = max_watches;
	w->tcap = tcap;
	w->free_head = EMPTY;
	w->st.max_watches = max_watches;
	w->by_wd = malloc(tcap * sizeof(int32_t));
	w->by_ino = malloc(tcap * sizeof(int32_t));
	w->dd.paths = calloc(WATCH_DEDUP_MAX, sizeof(char *));
	w->dd.tab = malloc(2 * WATCH_DEDUP_MAX * sizeof(int32_t));
	w->evbuf = malloc(EVBUF);
	if (!w->by_wd || !w->by_ino || !w->dd.paths || !w->dd.tab || !w->evbuf) {
		seterr(err, errlen, "watch: out of memory");
		watch_close(w);
		return NULL;
	}
	for (size_t j = 0; j < tcap; j++)
		w->by_wd[j] = w->by_ino[j] = EMPTY;
	for (size_t j = 0; j < 2 * WATCH_DEDUP_MAX; j++)
		w->dd.tab[j] = EMPTY;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		seterr(err, errlen, "watch: inotify_init1: %s%s", strerror(errno),
		       errno == EMFILE ? " (fs.inotify.max_user_instances reached)" : "");
		watch_close(w);
		return NULL;
	}
	return w;
}

void watch_close(struct watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->nents; i++)
		free(w->ents[i].path);
	free(w->ents);
	free(w->free_next);
	free(w->by_wd);
	free(w->by_ino);
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i].path);
	if (w->dd.paths)
		for (size_t i = 0; i < w->dd.n; i++)
			free(w->dd.paths[i]);
	free(w->dd.paths);
	free(w->dd.tab);
	free(w->evbuf);
	free(w);
}

int watch_fd(const struct watch *w)
{
	return w->fd;
}

void watch_stats(const struct watch *w, struct watch_stats *st)
{
	*st = w->st;
}

int watch_add_tree(struct watch *w, const char *root, bool cross_fs, char *err, size_t errlen)
{
	char real[PATH_MAX];
	struct walk wk = { .cross_fs = cross_fs };
	struct stat st;
	size_t r;
	uint64_t limit0 = w->st.limit_hits, nospc0 = w->st.enospc, other0 = w->st.add_errors;

	if (!root || !realpath(root, real)) {
		seterr(err, errlen, "watch: cannot resolve %s: %s", root ? root : "(null)",
		       strerror(root ? errno : EINVAL));
		return -1;
	}
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "watch: %s is not a directory", real);
		return -1;
	}
	for (r = 0; r < w->nroots; r++)
		if (strcmp(w->roots[r].path, real) == 0)
			break;
	if (r == w->nroots) {
		if (w->nroots == WATCH_MAX_ROOTS) {
			seterr(err, errlen, "watch: %s not watched: at most %d trees", real,
			       WATCH_MAX_ROOTS);
			return -1;
		}
		if (!(w->roots[r].path = strdup(real))) {
			seterr(err, errlen, "watch: out of memory");
			return -1;
		}
		w->nroots++;
	}
	w->roots[r].cross_fs = w->roots[r].cross_fs || cross_fs;
	wk.cross_fs = w->roots[r].cross_fs;
	wk.root_dev = st.st_dev;
	if (walk(w, real, &wk) != 0) {
		seterr(err, errlen, "watch: out of memory while walking %s", real);
		return -1;
	}
	if (wk.top_errno != 0) {
		seterr(err, errlen, "watch: %s not watched: %s", real,
		       wk.top_errno == EDQUOT ? "the bound of max_watches directories is reached" :
		       wk.top_errno == ENOSPC ? "the kernel's fs.inotify.max_user_watches is reached" :
		       strerror(wk.top_errno));
		return -1;
	}
	if (wk.unwatched > 0) {
		seterr(err, errlen, "watch: %" PRIu64 " directories under %s not watched (%" PRIu64
		       " over the bound of %zu, %" PRIu64 " over the kernel's fs.inotify."
		       "max_user_watches, %" PRIu64 " errors): raise the bound or the sysctl, or rely "
		       "on scheduled scans there", wk.unwatched, real, w->st.limit_hits - limit0, w->max,
		       w->st.enospc - nospc0, w->st.add_errors - other0);
		return 1;
	}
	return 0;
}

/*
 * The directory of entry i moved. If it is not where we think (moved out
 * of the trees; a move within them updated the path already), drop it and
 * every watch under its old path that is not where we think either.
 */
static void moved_self(struct watch *w, int32_t i)
{
	struct wentry *e = &w->ents[i];
	struct stat st;
	char *old;
	size_t ol;

	if (lstat(e->path, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino)
		return;
	old = e->path;
	e->path = NULL;
	ol = strlen(old);
	inotify_rm_watch(w->fd, e->wd);
	ent_drop(w, i);
	for (size_t k = 0; k < w->nents; k++) {
		struct wentry *d = &w->ents[k];

		if (d->wd < 0 || strncmp(d->path, old, ol) != 0 || d->path[ol] != '/')
			continue;
		if (lstat(d->path, &st) == 0 && st.st_dev == d->dev && st.st_ino == d->ino)
			continue;
		inotify_rm_watch(w->fd, d->wd);
		ent_drop(w, (int32_t)k);
	}
	free(old);
}

static void handle(struct watch *w, const struct inotify_event *ev, watch_fn fn, void *arg)
{
	char full[PATH_MAX];
	int32_t i;
	int n;

	w->st.events++;
	if (ev->mask & IN_Q_OVERFLOW) {
		w->st.overflows++;
		w->flags |= WATCH_LOST;
		return;
	}
	if ((i = find_wd(w, ev->wd)) == EMPTY)
		return;   /* a watch already dropped */
	if (ev->mask & IN_IGNORED) {
		ent_drop(w, i);
		return;
	}
	if (ev->mask & IN_MOVE_SELF) {
		moved_self(w, i);
		return;
	}
	if (ev->len == 0 || ev->name[0] == '\0')
		return;   /* IN_DELETE_SELF, IN_UNMOUNT: IN_IGNORED follows */
	n = snprintf(full, sizeof(full), "%s/%s",
		     strcmp(w->ents[i].path, "/") == 0 ? "" : w->ents[i].path, ev->name);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		w->st.dropped++;
		return;
	}
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			struct walk wk = { .root_dev = w->ents[i].root_dev,
					   .cross_fs = w->ents[i].cross_fs, .fn = fn, .arg = arg };

			walk(w, full, &wk);
			if (wk.unwatched > 0)
				w->flags |= WATCH_UNWATCHED;
		}
		return;
	}
	if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
		note(w, full, fn, arg);
}

long watch_read(struct watch *w, watch_fn fn, void *arg, unsigned *flags,
		char *err, size_t errlen)
{
	uint64_t events0 = w->st.events;
	long rc = 0;

	w->flags = 0;
	while (w->dd.n < WATCH_DEDUP_MAX && w->st.events - events0 < WATCH_READ_MAX_EVENTS) {
		ssize_t len = read(w->fd, w->evbuf, EVBUF);
		size_t off = 0;

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == EAGAIN)
			break;
		if (len <= 0) {
			seterr(err, errlen, "watch: cannot read inotify events: %s",
			       len < 0 ? strerror(errno) : "end of file");
			rc = -1;
			break;
		}
		while (off + sizeof(struct inotify_event) <= (size_t)len) {
			const struct inotify_event *ev = (const void *)(w->evbuf + off);

			handle(w, ev, fn, arg);
			off += sizeof(*ev) + ev->len;
		}
	}
	if (w->flags & WATCH_LOST) {
		/* directories created while events were lost: watch them */
		for (size_t r = 0; r < w->nroots; r++) {
			struct walk wk = { .cross_fs = w->roots[r].cross_fs };
			struct stat st;

			if (stat(w->roots[r].path, &st) != 0)
				continue;
			wk.root_dev = st.st_dev;
			walk(w, w->roots[r].path, &wk);
			if (wk.unwatched > 0)
				w->flags |= WATCH_UNWATCHED;
		}
	}
	{
		long nrep = report_all(w, fn, arg);

		if (rc == 0)
			rc = nrep;
	}
	if (flags)
		*flags = w->flags;
	return rc;
}
