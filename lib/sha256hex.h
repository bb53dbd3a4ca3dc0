/*
 * sha256hex.h - the SHA-256 of a buffer as 64 lowercase hex digits, the
 * form Kastro stores and compares digests in (inventories, token hashes).
 */
#ifndef KASTRO_SHA256HEX_H
#define KASTRO_SHA256HEX_H

#include <stddef.h>

#define SHA256HEX_SIZE 65       /* 64 digits and the NUL */

/* The digest of n bytes at data into out; 0, or -1 (out "") when OpenSSL
 * fails. */
int sha256_hex(const void *data, size_t n, char out[SHA256HEX_SIZE]);

#endif
