/*
 * invpush.h - the console pushes its services inventory to the gateways
 * (docs/console-config.md, "Pushing the inventory").
 *
 * The text pushed is the service blocks as written in console.conf and the
 * files it includes (lib/inventory.c keeps them, struct inventory's src),
 * at most INV_SRC_MAX bytes; its SHA-256 names it. When a gateway polls for
 * commands and this console has not yet queued the current inventory for
 * it (since it started), it queues an "inventory" command with {"sha256",
 * "size"}; the gateway fetches the text from GET /sensor/v1/inventory on
 * the sensor port (its client certificate), checks the hash and grammar,
 * reloads its policy with it and answers the command (done, or failed
 * with why). An inventory over the bound is not pushed (logged once); a
 * console without services pushes nothing.
 */
#ifndef KASTRO_INVPUSH_H
#define KASTRO_INVPUSH_H

#include <event2/http.h>

struct console;

/* Before the sensor's poll is answered: queue the push if it is due. */
void invpush_poll(struct console *c, const char *sensor_id);
/* GET /sensor/v1/inventory: the text, or 404 (no services) or 413 (too large). */
void invpush_serve(struct console *c, struct evhttp_request *req, const char *sensor_id);
void invpush_free(struct console *c);
/*
 * The inventory in force changed (a reload): when its text did, queue it
 * for every enrolled gateway at once and wake their long polls. A console
 * left without services pushes nothing (the gateways keep their copy).
 */
int invpush_reload(struct console *c, char *err, size_t errlen);

#endif
