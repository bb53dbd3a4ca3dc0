/*
 * sdnotify.c - see sdnotify.h. The state is the watchdog interval and the
 * time of the last ping, written by the main thread only (sdn_init() runs
 * before other threads exist).
 */
#include "sdnotify.h"
#include "mono.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

static struct {
	uint64_t interval_ms;   /* 0: no watchdog */
	uint64_t last_ms;
} sdn;

unsigned long sdn_init(void)
{
	uint64_t usec = 0;

	/* unset_environment = 0: the variables stay for a re-exec; children
	 * that inherit them are ignored by systemd (NotifyAccess=main). */
	sdn.interval_ms = 0;
	sdn.last_ms = 0;
	/* A ping can only go to a socket. */
	if (getenv("NOTIFY_SOCKET") != NULL && sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
		sdn.interval_ms = usec / 1000;
	return (unsigned long)sdn.interval_ms;
}

void sdn_ready(const char *status)
{
	char msg[256];

	/* A cut status is still a status: systemd only shows it. */
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status ? status : "running");
	(void)sd_notify(0, msg);
}

void sdn_watchdog(void)
{
	uint64_t now;

	if (sdn.interval_ms == 0)
		return;
	now = mono_ms();
	if (sdn.last_ms != 0 && now - sdn.last_ms < sdn.interval_ms / 2)
		return;
	sdn.last_ms = now;
	(void)sd_notify(0, "WATCHDOG=1");
}

void sdn_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1");
}

void sdn_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
