/*
 * bkcmd.h - `kastro-agent backup -c FILE NAME [status|verify|restore]`:
 * run one check of a backup of the backups.conf beside FILE now, print
 * its event (the JSON the agent would send) and exit 0 when the check
 * passed, 1 when it failed, 2 on a usage or configuration error. For
 * setting a backup check up, and for `make bench` (the event says what
 * the check cost).
 */
#ifndef KASTRO_BKCMD_H
#define KASTRO_BKCMD_H

int bkcmd_main(int argc, char **argv);

#endif
