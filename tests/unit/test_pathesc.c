/*
 * test_pathesc.c - file names as text: the display form escapes control
 * characters (C0, DEL, C1), bytes that are not valid UTF-8 (stray
 * continuation bytes, overlong forms, surrogates, past U+10FFFF) and the
 * backslash, keeps printable UTF-8 as it is, and can be read back to the
 * exact bytes; a finding whose path is not UTF-8 carries "path_b64"
 * (the bytes) beside the display form, one that is UTF-8 only "path";
 * log lines of a program that asks for it hold no control character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "finding.h"
#include "log.h"
#include "pathesc.h"

static void shown_is(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(pathesc_display(in, out, sizeof(out)), (long)strlen(want));
	assert_string_equal(out, want);
}

/* Read a display form back to bytes (the inverse the header promises). */
static void unshow(const char *s, char *out)
{
	while (*s) {
		if (s[0] == '\\' && s[1] == '\\') {
			*out++ = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x') {
			unsigned v;

			assert_int_equal(sscanf(s + 2, "%2x", &v), 1);
			*out++ = (char)v;
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

static void test_display_form(void **state)
{
	static const char *const names[] = {
		"/home/a\nkastro-agent: error: forged", "/tmp/\xff\xfe.exe", "/x/\x1b[31mred",
		"/a\\b", "/d\x7f", "/c1\xc2\x9b", "/over\xc0\xaf", "/surr\xed\xa0\x80",
		"/big\xf4\x90\x80\x80", "/cut\xe2\x82", "/\xce\x9a\xce\xb1\xce\xb2\xce\xac\xce\xbb\xce\xb1",
	};
	char out[256], back[256];

	(void)state;
	shown_is("/home/a\nb", "/home/a\\x0ab");
	shown_is("/tmp/\xff\xfe.exe", "/tmp/\\xff\\xfe.exe");
	shown_is("/a\\b", "/a\\\\b");
	shown_is("/c1\xc2\x9b", "/c1\\xc2\\x9b");
	shown_is("/over\xc0\xaf", "/over\\xc0\\xaf");
	shown_is("/surr\xed\xa0\x80", "/surr\\xed\\xa0\\x80");
	shown_is("/cut\xe2\x82", "/cut\\xe2\\x82");
	/* Greek (Kavala) and a tab */
	shown_is("/\xce\x9a\xce\xb1\xce\xb2\xce\xac\xce\xbb\xce\xb1", "/\xce\x9a\xce\xb1\xce\xb2\xce\xac\xce\xbb\xce\xb1");
	shown_is("a\tb", "a\\x09b");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_true(pathesc_display(names[i], out, sizeof(out)) >= 0);
		for (const unsigned char *c = (const unsigned char *)out; *c; c++)
			assert_true(*c >= 0x20 && *c != 0x7f);
		assert_true(pathesc_utf8(out));
		unshow(out, back);
		assert_string_equal(back, names[i]);
	}
	assert_true(pathesc_utf8("/\xce\x9a a\nb"));
	assert_false(pathesc_plain("/\xce\x9a a\nb"));
	assert_true(pathesc_plain("/\xce\x9a ab"));
	assert_false(pathesc_utf8("/\xff"));
	/* too small: -1 and "" */
	assert_int_equal(pathesc_display("/abc\n", out, 6), -1);
	assert_string_equal(out, "");
	assert_int_equal(pathesc_display("/abc", out, 5), 4);
}

static void test_finding_path_b64(void **state)
{
	static char buf[FINDING_JSON_MAX];
	const char *bad = "/home/u/\xff\xfe\nx.exe";
	struct finding fd;
	unsigned char raw[64];
	json_t *j, *fi;
	char err[256];
	int n;

	(void)state;
	memset(&fd, 0, sizeof(fd));
	fd.rule = "R";
	fd.sha256 = "00";
	fd.path = bad;
	assert_true(finding_json(&fd, "h", 0, buf, sizeof(buf), err, sizeof(err)) > 0);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	fi = json_object_get(j, "finding");
	assert_string_equal(json_string_value(json_object_get(fi, "path")),
			    "/home/u/\\xff\\xfe\\x0ax.exe");
	n = EVP_DecodeBlock(raw, (const unsigned char *)json_string_value(json_object_get(fi, "path_b64")),
			    (int)strlen(json_string_value(json_object_get(fi, "path_b64"))));
	assert_true(n >= (int)strlen(bad));
	assert_memory_equal(raw, bad, strlen(bad));
	json_decref(j);

	/* UTF-8 with a newline: "path" alone, the newline escaped by JSON */
	fd.path = "/home/u/a\nb.exe";
	assert_true(finding_json(&fd, "h", 0, buf, sizeof(buf), err, sizeof(err)) > 0);
	assert_null(strchr(buf, '\n'));
	j = json_loads(buf, 0, NULL);
	fi = json_object_get(j, "finding");
	assert_string_equal(json_string_value(json_object_get(fi, "path")), fd.path);
	assert_null(json_object_get(fi, "path_b64"));
	json_decref(j);
}

static void test_log_lines_hold_no_control_character(void **state)
{
	char tmpl[] = "/tmp/kastro-test-log.XXXXXX";
	static char line[16384];
	int fd = mkstemp(tmpl), saved = dup(2);
	FILE *f;
	int lines = 0;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	log_init("t", LOG_LVL_INFO, false);
	log_escape_controls(true);
	log_warn("finding in %s", "/home/a\nt: error: forged\r\x1b[2J");
	{
		/* a message of control characters past the buffer: cut, one line */
		static char many[3000];

		memset(many, '\n', sizeof(many) - 1);
		log_warn("%s", many);
	}
	log_escape_controls(false);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (++lines == 1)
			assert_string_equal(line, "t: warning: finding in /home/a\\x0at: error: "
					    "forged\\x0d\\x1b[2J\n");
		else
			assert_memory_equal(line, "t: warning: \\x0a\\x0a", 20);
	}
	assert_int_equal(lines, 2);
	fclose(f);
	unlink(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display_form),
		cmocka_unit_test(test_finding_path_b64),
		cmocka_unit_test(test_log_lines_hold_no_control_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
