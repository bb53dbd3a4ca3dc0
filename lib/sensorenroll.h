/*
 * sensorenroll.h - make this machine a sensor of kastro-console (`kastrod
 * enroll`, `kastro-agent enroll`).
 *
 * Fetches the console's CA and checks it against the fingerprint the
 * officer gave (tls_fetch_pinned_ca(); through an HTTP proxy, the chain
 * libcurl fetched), makes an EC P-256 key and a CSR, sends POST
 * /sensor/v1/enroll to the console's HTTPS port verifying it against that
 * CA, and stores ca.pem, cert.pem, key.pem (0600) and sensor_id in dir
 * (0700), owned by uid:gid when owner_set. Files are written beside the
 * old ones and renamed into place at the end, so a failed enrolment
 * leaves a working one as it was. The process must ignore SIGPIPE.
 */
#ifndef KASTRO_SENSORENROLL_H
#define KASTRO_SENSORENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sensorenroll {
	const char *program;            /* "kastrod", "kastro-agent" */
	const char *console;            /* HOST[:PORT] of the HTTPS port (default 8443) */
	const char *token;
	const char *fingerprint;        /* as the officer typed it */
	const char *dir;
	const char *proxy;              /* "http://HOST:PORT" or NULL */
	bool force;                     /* replace an enrolment in dir */
	bool owner_set;
	uid_t uid;
	gid_t gid;
};

/* Enrol; the new sensor id into sid (sidlen >= 64). Returns 0, or -1 with err. */
int sensorenroll_run(const struct sensorenroll *r, char *sid, size_t sidlen, char *err,
		     size_t errlen);

/*
 * Split "HOST[:PORT]" or "[V6]:PORT" or a bare IPv6 address into host and
 * port (default_port when none). Returns 0, or -1 when malformed.
 */
int sensorenroll_split_hostport(const char *s, const char *default_port, char *host,
				size_t hostlen, char *port, size_t portlen);

#endif
