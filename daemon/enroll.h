/*
 * enroll.h - `kastrod enroll`: make this gateway a sensor of kastro-console
 * (the work is lib/sensorenroll.h's).
 *
 * Fetches the console's CA and checks it against the fingerprint the
 * officer gave (tls_fetch_pinned_ca), makes an EC P-256 key and a CSR,
 * sends POST /sensor/v1/enroll to the console's HTTPS port verifying it
 * against that CA, and stores ca.pem, cert.pem, key.pem (0600) and
 * sensor_id in the link directory (0700), owned by the unprivileged user
 * the link process runs as (link.h). Files are written beside the old ones
 * and renamed into place at the end, so a failed enrolment leaves a
 * working one as it was.
 */
#ifndef KASTRO_ENROLL_H
#define KASTRO_ENROLL_H

#include <stddef.h>

/* argv[0] is "enroll". Returns the exit status (0, or 1 with a message). */
int enroll_main(int argc, char **argv);

#endif
