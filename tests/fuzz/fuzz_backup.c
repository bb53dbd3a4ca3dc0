/*
 * fuzz_backup.c - libFuzzer target: arbitrary bytes as what restic and
 * borg print (agent/bkjson.c) and as backups.conf (agent/bkconf.c). The
 * first byte picks the parser, the rest is its input.
 *
 * Checks that no parser crashes or reads past its input, that what they
 * keep is terminated and in its bounds (ids, paths, 64 hex digits or ""),
 * that the newest snapshot is never older than the one before it, and
 * that a refusal always says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backups.h"
#include "bkconf.h"
#include "bkjson.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static void list_ok(const struct bkj_list *l)
{
	check(strnlen(l->newest_id, BKJ_ID_MAX) < BKJ_ID_MAX);
	check(strnlen(l->prev_id, BKJ_ID_MAX) < BKJ_ID_MAX);
	check(l->prev <= l->newest);
	check(l->count > 0 || l->newest_id[0] == '\0');
	check(l->count > 1 || l->prev_id[0] == '\0');
}

static void item_ok(const struct bkj_item *it)
{
	size_t h = strnlen(it->sha256, sizeof(it->sha256));

	check(strnlen(it->path, BKJ_PATH_MAX) < BKJ_PATH_MAX);
	check(h == 0 || h == 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, err[512] = "";
	struct bkj_list l;
	struct bkj_stats st;
	struct bkj_item it;
	static struct bkc c;
	int rc = 0;

	if (size < 1)
		return 0;
	/* an exact-size copy, so a read past the end is caught */
	buf = malloc(size - 1 > 0 ? size - 1 : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 8) {
	case 0:
		rc = bkj_restic_snapshots(buf, size - 1, &l, err, sizeof(err));
		if (rc == 0)
			list_ok(&l);
		break;
	case 1:
		rc = bkj_borg_list(buf, size - 1, &l, err, sizeof(err));
		if (rc == 0)
			list_ok(&l);
		break;
	case 2:
		rc = bkj_restic_stats(buf, size - 1, &st, err, sizeof(err));
		break;
	case 3:
		rc = bkj_borg_info(buf, size - 1, &st, err, sizeof(err));
		break;
	case 4:
		rc = bkj_restic_ls_line(buf, size - 1, &it, err, sizeof(err));
		if (rc == 1) {
			item_ok(&it);
			check(it.path[0] == '/');
		}
		break;
	case 5:
		rc = bkj_borg_item_line(buf, size - 1, &it, err, sizeof(err));
		if (rc == 1)
			item_ok(&it);
		break;
	case 7:
		rc = backups_check_event(buf, size - 1, 1796598189, err, sizeof(err));
		check(rc != -2);
		break;
	default:
		rc = bkc_load_buffer("backups.conf", buf, size - 1, &c, err, sizeof(err));
		if (rc == 0) {
			check(c.n >= 0 && c.n <= BKC_MAX);
			for (int i = 0; i < c.n; i++) {
				check(c.b[i].repo[0] == '/');
				check(c.b[i].service[0] != '\0');
				check(c.b[i].kind == BKC_DIR || c.b[i].password_file[0] == '/');
			}
		}
		break;
	}
	if (rc < 0)
		check(err[0] != '\0');
	free(buf);
	return 0;
}
