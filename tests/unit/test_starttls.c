/*
 * test_starttls.c - unit tests of the STARTTLS dialogue (lib/starttls.c):
 * SMTP, IMAP and POP3 replies as servers write them (multi-line, CR LF or
 * LF, cut short, garbage), whether STARTTLS is offered, and the whole
 * dialogue on a socket pair against a scripted server: accepted, not
 * offered, refused, bytes after the answer to STARTTLS, silence.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "mono.h"
#include "starttls.h"

#define PARSE(p, st, s) starttls_parse((p), (st), (s), sizeof(s) - 1, &r)

static void test_smtp(void **state)
{
	struct starttls_reply r;

	(void)state;
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_GREETING, "220 mail.kavala.gr ESMTP\r\n"), 1);
	assert_true(r.ok);
	assert_string_equal(r.text, "220 mail.kavala.gr ESMTP");
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_GREETING, "554 go away\r\n"), 1);
	assert_false(r.ok);
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_GREETING, "220 mail"), 0);
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_CAPS,
			       "250-mail.kavala.gr\r\n250-SIZE 10240000\r\n250-starttls\r\n"
			       "250 HELP\r\n"), 1);
	assert_true(r.ok);
	assert_true(r.offers_tls);
	assert_int_equal(r.used, 63);
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_CAPS,
			       "250-mail\n250-X-STARTTLSISH\n250 8BITMIME\n"), 1);
	assert_false(r.offers_tls);
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_CAPS, "250-mail\r\n250-STARTTLS\r\n"), 0);
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_CAPS, "250-mail\r\n251 x\r\n"), -1);
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_GREETING, "HTTP/1.1 400\r\n"), -1);
	assert_non_null(strstr(r.text, "not an SMTP reply line"));
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_GO, "220\r\n"), 1);
	assert_true(r.ok);
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_GO, "454 4.7.0 TLS not available\r\n"), 1);
	assert_false(r.ok);
	assert_string_equal(r.text, "454 4.7.0 TLS not available");
	/* control bytes are not kept as they are */
	assert_int_equal(PARSE(STARTTLS_SMTP, STARTTLS_GREETING, "220 a\033[2Jb\r\n"), 1);
	assert_string_equal(r.text, "220 a?[2Jb");
}

static void test_imap(void **state)
{
	struct starttls_reply r;

	(void)state;
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_GREETING,
			       "* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n"), 1);
	assert_true(r.ok);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_GREETING, "* PREAUTH ready\r\n"), 1);
	assert_false(r.ok);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_GREETING, "+OK pop\r\n"), -1);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_CAPS,
			       "* CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN\r\n"
			       "K1 OK Pre-login capabilities listed.\r\n"), 1);
	assert_true(r.ok);
	assert_true(r.offers_tls);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_CAPS,
			       "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\nK1 OK done\r\n"), 1);
	assert_false(r.offers_tls);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_CAPS, "* CAPABILITY IMAP4rev1\r\n"), 0);
	/* a tag alone (found by fuzz_starttls: read past the line) */
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_CAPS, "* CED\r\nK1\n"), 1);
	assert_false(r.ok);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_CAPS, "K1 BAD what\r\n"), 1);
	assert_false(r.ok);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_GO, "K2 OK Begin TLS negotiation now.\r\n"), 1);
	assert_true(r.ok);
	assert_int_equal(PARSE(STARTTLS_IMAP, STARTTLS_GO, "K3 OK\r\n"), -1);
}

static void test_pop3(void **state)
{
	struct starttls_reply r;

	(void)state;
	assert_int_equal(PARSE(STARTTLS_POP3, STARTTLS_GREETING, "+OK Dovecot ready.\r\n"), 1);
	assert_true(r.ok);
	assert_int_equal(PARSE(STARTTLS_POP3, STARTTLS_CAPS,
			       "+OK\r\nCAPA\r\nTOP\r\nSTLS\r\nUSER\r\n.\r\n"), 1);
	assert_true(r.ok);
	assert_true(r.offers_tls);
	assert_int_equal(PARSE(STARTTLS_POP3, STARTTLS_CAPS, "+OK\r\nUSER\r\n.\r\n"), 1);
	assert_false(r.offers_tls);
	assert_int_equal(PARSE(STARTTLS_POP3, STARTTLS_CAPS, "+OK\r\nSTLS\r\n"), 0);
	assert_int_equal(PARSE(STARTTLS_POP3, STARTTLS_CAPS, "-ERR no\r\n"), 1);
	assert_false(r.ok);
	assert_int_equal(PARSE(STARTTLS_POP3, STARTTLS_GO, "-ERR TLS off\r\n"), 1);
	assert_false(r.ok);
	assert_int_equal(PARSE(STARTTLS_POP3, STARTTLS_GO, "* OK\r\n"), -1);
	assert_int_equal(starttls_proto_of("pop3"), STARTTLS_POP3);
	assert_int_equal(starttls_proto_of("ftp"), STARTTLS_NONE);
}

/* A scripted server: on each line read, the next reply of script. */
struct script {
	int fd;
	const char *const *replies;
};

static void *serve(void *arg)
{
	struct script *s = arg;
	char buf[512];

	for (const char *const *r = s->replies; *r != NULL; r++) {
		if (r != s->replies && read(s->fd, buf, sizeof(buf)) <= 0)
			break;
		if (write(s->fd, *r, strlen(*r)) < 0)
			break;
	}
	/* wait for the client to be done */
	while (read(s->fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

static int dialogue(enum starttls_proto p, const char *const *replies, char *why, size_t whylen)
{
	int sv[2], rc;
	pthread_t th;
	struct script s;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.fd = sv[1];
	s.replies = replies;
	assert_int_equal(pthread_create(&th, NULL, serve, &s), 0);
	rc = starttls_begin(sv[0], p, mono_ms() + 1000, why, whylen);
	shutdown(sv[0], SHUT_RDWR);
	close(sv[0]);
	pthread_join(th, NULL);
	close(sv[1]);
	return rc;
}

static void test_dialogue(void **state)
{
	static const char *const good[] = { "220 mail ESMTP\r\n", "250-mail\r\n250 STARTTLS\r\n",
					    "220 go ahead\r\n", NULL };
	static const char *const none[] = { "220 mail ESMTP\r\n", "250-mail\r\n250 8BITMIME\r\n",
					    NULL };
	static const char *const refused[] = { "220 mail\r\n", "250 STARTTLS\r\n",
					       "454 TLS not available due to temporary reason\r\n",
					       NULL };
	static const char *const inject[] = { "220 mail\r\n", "250 STARTTLS\r\n",
					      "220 go\r\n250 injected\r\n", NULL };
	static const char *const silent[] = { "220 mail\r\n", NULL };
	static const char *const imap[] = { "* OK ready\r\n",
					    "* CAPABILITY IMAP4rev1 STARTTLS\r\nK1 OK\r\n",
					    "K2 OK Begin TLS\r\n", NULL };
	static const char *const pop3[] = { "+OK ready\r\n", "+OK\r\nUSER\r\n.\r\n", NULL };
	char why[256] = "";
	uint64_t t0;

	(void)state;
	assert_int_equal(dialogue(STARTTLS_SMTP, good, why, sizeof(why)), 0);
	assert_int_equal(dialogue(STARTTLS_IMAP, imap, why, sizeof(why)), 0);
	assert_int_equal(dialogue(STARTTLS_SMTP, none, why, sizeof(why)), -1);
	assert_string_equal(why, "the server does not offer STARTTLS: 250 8BITMIME");
	assert_int_equal(dialogue(STARTTLS_SMTP, refused, why, sizeof(why)), -1);
	assert_string_equal(why, "the server refused STARTTLS: 454 TLS not available due to "
			    "temporary reason");
	assert_int_equal(dialogue(STARTTLS_SMTP, inject, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bytes after its answer to STARTTLS"));
	assert_int_equal(dialogue(STARTTLS_POP3, pop3, why, sizeof(why)), -1);
	assert_string_equal(why, "the server does not offer STLS: +OK");
	t0 = mono_ms();
	assert_int_equal(dialogue(STARTTLS_SMTP, silent, why, sizeof(why)), -1);
	assert_true(mono_ms() - t0 >= 900);
	assert_string_equal(why, "no capabilities within the timeout (0 bytes of it)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp),
		cmocka_unit_test(test_imap),
		cmocka_unit_test(test_pop3),
		cmocka_unit_test(test_dialogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
