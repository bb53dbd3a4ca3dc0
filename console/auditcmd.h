/*
 * auditcmd.h - `kastro-console audit verify -c FILE`: check the audit
 * log's hash chain in the console's database and name the first entry
 * that does not fit.
 */
#ifndef KASTRO_AUDITCMD_H
#define KASTRO_AUDITCMD_H

/*
 * argv[0] is "audit". Exit status: 0 the chain holds, 1 it is broken, 2
 * the command or the database could not be used.
 */
int auditcmd_main(int argc, char **argv);

#endif
