/*
 * sdnotify.h - readiness and watchdog for systemd (Type=notify units).
 *
 * A thin layer over libsystemd's sd_notify(): every call is a no-op when the
 * process was not started by systemd with NOTIFY_SOCKET set, so the programs
 * behave the same from a shell, in tests and under systemd. Only the main
 * process may call these (systemd accepts messages from the main PID only,
 * NotifyAccess=main), and only from its main loop: the watchdog ping then
 * proves the loop turns.
 */
#ifndef KASTRO_SDNOTIFY_H
#define KASTRO_SDNOTIFY_H

/*
 * Read the watchdog interval systemd gives (WATCHDOG_USEC), if any. Call once
 * at start-up, before any thread starts. Returns the interval in ms, 0 when
 * there is no watchdog.
 */
unsigned long sdn_init(void);

/* READY=1 with a one-line STATUS (repeating it is harmless: systemd then
 * only updates the status). */
void sdn_ready(const char *status);

/*
 * WATCHDOG=1 when half the interval has passed since the last ping; call it
 * at every turn of the main loop (the loop must turn at least that often).
 */
void sdn_watchdog(void);

/* RELOADING=1 before a reload; sdn_ready() again after it. */
void sdn_reloading(void);

/* STOPPING=1 when the main loop ends. */
void sdn_stopping(void);

#endif
