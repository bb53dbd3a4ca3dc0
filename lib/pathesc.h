/*
 * pathesc.h - file names as text a person reads: in logs, kastroctl's
 * answers, and beside the exact bytes in JSON.
 *
 * A file name is any bytes but '/' and NUL: a newline in one forged a log
 * line, and one that is not UTF-8 breaks JSON. The display form keeps
 * printable UTF-8 as it is and writes every other byte as \xHH: control
 * characters (C0, DEL, and the C1 range U+0080..U+009F), bytes that are
 * not valid UTF-8 (overlong forms, surrogates and code points past
 * U+10FFFF included), and the backslash itself (as \\), so the display
 * form can be read back to the exact bytes and never holds a line break
 * or a terminal escape.
 *
 * JSON that must carry a path losslessly writes "path" as the name itself
 * when it is valid UTF-8 (JSON escapes control characters losslessly),
 * and otherwise "path" as the display form and "path_b64" as the base64
 * of the bytes (pathesc_utf8() tells which).
 */
#ifndef KASTRO_PATHESC_H
#define KASTRO_PATHESC_H

#include <stdbool.h>
#include <stddef.h>

/* At most this many bytes of display form per byte of the name. */
#define PATHESC_RATIO 4

/* True when s is valid UTF-8 (no overlong forms, no surrogates). */
bool pathesc_utf8(const char *s);

/* True when s is shown as it is (valid UTF-8, no control character, no
 * backslash): its display form is s. */
bool pathesc_plain(const char *s);

/*
 * The display form of s into out (outlen bytes, NUL included). Returns
 * its length, or -1 when it does not fit (out then holds "" ). A buffer of
 * PATHESC_RATIO * strlen(s) + 1 bytes always fits.
 */
long pathesc_display(const char *s, char *out, size_t outlen);

/*
 * The base64 (RFC 4648, padded) of s's bytes into out; -1 when it does not
 * fit (4 * ((strlen(s) + 2) / 3) + 1 bytes do).
 */
int pathesc_b64(const char *s, char *out, size_t outlen);

#endif
