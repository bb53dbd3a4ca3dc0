/*
 * sensorapi.h - the sensor API of kastro-console (docs/sensor-api.md):
 * what gateways and agents call.
 *
 * On the sensor port (mutual TLS, the client's certificate names the
 * sensor):
 *   POST /sensor/v1/events        {"first_seq": N, "events": [...]} -> {"ack": M}
 *   GET  /sensor/v1/commands?wait=S  long poll -> {"commands": [...]}
 *   POST /sensor/v1/results       {"id": N, "status": "done"|"failed", "result": {...}}
 * On the officers' HTTPS port (no client certificate; the token is the
 * credential):
 *   POST /sensor/v1/enroll        {"token", "csr", "hostname", "facts"}
 *                                 -> {"sensor_id", "certificate", "ca"}
 */
#ifndef KASTRO_SENSORAPI_H
#define KASTRO_SENSORAPI_H

#include <event2/http.h>

struct console;

/* The sensor port's request handler (arg: struct console *). */
void sensorapi_handle(struct evhttp_request *req, void *arg);

/* POST /sensor/v1/enroll on the HTTPS port. */
void sensorapi_enroll(struct console *c, struct evhttp_request *req);

/* A command was queued for sensor_id (NULL: for many): answer the waiting long polls now. */
void sensorapi_wake(struct console *c, const char *sensor_id);

/* Close every open connection of sensor_id (it was revoked). Returns how many. */
int sensorapi_drop(struct console *c, const char *sensor_id);

/* The TLS peer check of the sensor port: the sensor exists, is not revoked
 * and holds the certificate it was issued. */
int sensorapi_peer_allowed(void *arg, const char *cn, const char *serial_hex);

/* Open the ingest writer's own connection to the database (db_path) with
 * the settings of c->store (dedup window, hooks' outbox); before the
 * privileges are dropped. Its thread starts with the first batch. */
int sensorapi_open(struct console *c, const char *db_path, char *err, size_t errlen);

/* Free the connection records (at shutdown, after the server is closed). */
void sensorapi_free(struct console *c);

#endif
