/*
 * rulehash.c - see rulehash.h.
 */
#include "rulehash.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "hex.h"

int rulehash(const struct rulehash_file *f, size_t n, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	bool ok;

	ok = h != NULL && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < n; i++) {
		unsigned char l[8];

		for (int b = 0; b < 8; b++)
			l[b] = (unsigned char)((uint64_t)f[i].len >> (8 * b));
		ok = EVP_DigestUpdate(h, f[i].name, strlen(f[i].name) + 1) == 1 &&
		     EVP_DigestUpdate(h, l, sizeof(l)) == 1 &&
		     EVP_DigestUpdate(h, f[i].data, f[i].len) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(h, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(h);
	if (!ok)
		return -1;
	hex_encode(md, 32, out);
	return 0;
}
