/*
 * sha256hex.c - see sha256hex.h.
 */
#include "sha256hex.h"

#include <openssl/evp.h>

#include "hex.h"

int sha256_hex(const void *data, size_t n, char out[SHA256HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	hex_encode(md, 32, out);
	return 0;
}
