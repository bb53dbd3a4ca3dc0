/*
 * version.h - the version of Kastro's programs (one for all of them).
 */
#ifndef KASTRO_VERSION_H
#define KASTRO_VERSION_H

#define KASTRO_VERSION "0.1.0"

#endif
