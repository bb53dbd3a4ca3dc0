/*
 * linkinv.h - the "inventory" command in kastrod's link process: the
 * console says it has a services inventory of a given SHA-256 and size;
 * the link fetches the text (GET /sensor/v1/inventory with the sensor's
 * certificate), checks its hash, size (at most INV_SRC_MAX) and grammar
 * (lib/inventory.c, service blocks only, no include) without privileges,
 * and hands it to the parent in an anonymous file (IPC_INV_PUSHED). The
 * parent reloads its policy with it and answers IPC_INV_RESULT, which
 * becomes the command's result. One push at a time; the fetch runs in a
 * thread of its own, so the link's loop goes on meanwhile.
 */
#ifndef KASTRO_LINKINV_H
#define KASTRO_LINKINV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipc.h"
#include "sensorlink.h"

struct linkinv {
	struct sensorlink *l;
	int ipc_fd;                     /* to the parent */
	pthread_mutex_t mu;
	bool busy;                      /* a push is being fetched or applied */
	int64_t id;                     /* its command */
	char sha256[65];
	uint64_t size;
};

void linkinv_init(struct linkinv *li, int ipc_fd);
/* The command c ("inventory"), from the link's on_command. */
enum sensorlink_answer linkinv_command(struct linkinv *li, const struct linkp_cmd *c,
				       json_t **result);
/* The parent's IPC_INV_RESULT: the pending command's answer. */
void linkinv_result(struct linkinv *li, const struct ipc_inv_result *r);

/* Check the command's args: "sha256" (64 lower-case hex) and "size". 0 or -1 with err. */
int linkinv_args(const json_t *args, char sha256[65], uint64_t *size, char *err, size_t errlen);

#endif
