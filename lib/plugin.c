/*
 * plugin.c - see plugin.h. The command runs with posix_spawn (no shell),
 * stdin from /dev/null, stdout and stderr into one pipe, a fixed
 * environment (PATH, LANG=C); past its timeout it is killed.
 */
#include "plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mono.h"

/* Copy n bytes of s into out as text: printable ASCII and UTF-8, no control bytes. */
static void copy_text(char *out, size_t outlen, const char *s, size_t n)
{
	size_t o = 0;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != 0x7f)
			out[o++] = (char)ch;
		else if (ch == '\t')
			out[o++] = ' ';
	}
	out[o] = '\0';
}

/* A decimal number at the start of s[0..n): its length, 0 when none. */
static size_t number(const char *s, size_t n, double *v)
{
	char tmp[48], *end;
	size_t k = 0;

	while (k < n && k + 1 < sizeof(tmp) &&
	       ((s[k] >= '0' && s[k] <= '9') || s[k] == '.' || s[k] == '-' || s[k] == '+' ||
		s[k] == 'e' || s[k] == 'E'))
		k++;
	if (k == 0)
		return 0;
	memcpy(tmp, s, k);
	tmp[k] = '\0';
	*v = strtod(tmp, &end);
	if (end == tmp)
		return 0;
	return (size_t)(end - tmp);
}

/* One item "label=value[uom];[warn];[crit];[min];[max]"; 0 or -1. */
static int perf_item(const char *s, size_t n, struct plugin_perf *p)
{
	size_t i = 0, k, f;
	const char *eq;

	memset(p, 0, sizeof(*p));
	if (n > 0 && s[0] == '\'') {
		const char *q = memchr(s + 1, '\'', n - 1);

		if (q == NULL || (size_t)(q - s) + 1 >= n || q[1] != '=')
			return -1;
		copy_text(p->label, sizeof(p->label), s + 1, (size_t)(q - s - 1));
		i = (size_t)(q - s) + 2;
	} else {
		eq = memchr(s, '=', n);
		if (eq == NULL || eq == s)
			return -1;
		copy_text(p->label, sizeof(p->label), s, (size_t)(eq - s));
		i = (size_t)(eq - s) + 1;
	}
	if (p->label[0] == '\0')
		return -1;
	k = number(s + i, n - i, &p->value);
	if (k == 0)
		return -1;
	i += k;
	for (k = 0; i < n && s[i] != ';' && k + 1 < sizeof(p->uom); i++, k++)
		p->uom[k] = s[i];
	p->uom[k] = '\0';
	if (i < n && s[i] != ';')
		return -1;
	/* warn, crit, min, max */
	for (f = 0; f < 4 && i < n && s[i] == ';'; f++) {
		size_t start = ++i;

		while (i < n && s[i] != ';')
			i++;
		if (f < 2) {
			copy_text(f == 0 ? p->warn : p->crit, sizeof(p->warn), s + start, i - start);
		} else if (i > start) {
			double v;

			if (number(s + start, i - start, &v) != i - start)
				return -1;
			if (f == 2) {
				p->min = v;
				p->has_min = 1;
			} else {
				p->max = v;
				p->has_max = 1;
			}
		}
	}
	return 0;
}

/* The blank-separated items of perfdata s[0..n). */
static void perf_items(const char *s, size_t n, struct plugin_out *out)
{
	size_t i = 0;

	while (i < n) {
		size_t start;
		bool quoted = false;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && (quoted || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
					    s[i] != '\r'))) {
			if (s[i] == '\'')
				quoted = !quoted;
			i++;
		}
		if (out->n_perf < PLUGIN_PERF_MAX &&
		    perf_item(s + start, i - start, &out->perf[out->n_perf]) == 0)
			out->n_perf++;
		else
			out->perf_dropped++;
	}
}

void plugin_parse_output(const char *buf, size_t len, struct plugin_out *out)
{
	const char *nl, *bar;
	size_t first;

	memset(out, 0, sizeof(*out));
	if (len > PLUGIN_OUT_MAX)
		len = PLUGIN_OUT_MAX;
	nl = memchr(buf, '\n', len);
	first = nl != NULL ? (size_t)(nl - buf) : len;
	bar = memchr(buf, '|', first);
	copy_text(out->text, sizeof(out->text), buf, bar != NULL ? (size_t)(bar - buf) : first);
	if (bar != NULL)
		perf_items(bar + 1, first - (size_t)(bar - buf) - 1, out);
	/* long output: perfdata after the first '|' of the later lines */
	if (nl != NULL) {
		const char *rest = nl + 1, *end = buf + len;
		const char *b2 = memchr(rest, '|', (size_t)(end - rest));

		if (b2 != NULL)
			perf_items(b2 + 1, (size_t)(end - b2 - 1), out);
	}
}

int plugin_cmd_split(struct plugin_cmd *c, const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);
	int k = 0;
	char *p;

	memset(c->argv, 0, sizeof(c->argv));
	c->buf = malloc(n + 1);
	if (c->buf == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(c->buf, s, n + 1);
	for (p = c->buf; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (k == PLUGIN_ARGS_MAX) {
			snprintf(why, whylen, "more than %d words", PLUGIN_ARGS_MAX);
			goto fail;
		}
		c->argv[k++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	if (k == 0 || c->argv[0][0] != '/') {
		snprintf(why, whylen, "the command must start with an absolute path, such as "
			 "/usr/lib/nagios/plugins/check_tcp");
		goto fail;
	}
	return 0;
fail:
	free(c->buf);
	c->buf = NULL;
	memset(c->argv, 0, sizeof(c->argv));
	return -1;
}

void plugin_cmd_free(struct plugin_cmd *c)
{
	free(c->buf);
	c->buf = NULL;
	memset(c->argv, 0, sizeof(c->argv));
}

void plugin_run(const struct plugin_cmd *c, const char *name, unsigned timeout_s,
		struct probe_result *r)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };
	posix_spawn_file_actions_t fa;
	char out[PLUGIN_OUT_MAX];
	size_t len = 0;
	int fds[2], st = 0, e;
	pid_t pid;
	uint64_t t0 = mono_ms(), deadline = t0 + (uint64_t)timeout_s * 1000;
	bool timed_out = false;
	struct plugin_out po;

	memset(r, 0, sizeof(*r));
	if (c == NULL || c->argv[0] == NULL) {
		r->state = PROBE_UNKNOWN;
		snprintf(r->output, sizeof(r->output), "UNKNOWN - no command for plugin \"%s\" in "
			 "console.conf", name);
		return;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r->state = PROBE_UNKNOWN;
		snprintf(r->output, sizeof(r->output), "UNKNOWN - pipe: %s", strerror(errno));
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	e = posix_spawn(&pid, c->argv[0], &fa, NULL, c->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e != 0) {
		close(fds[0]);
		r->state = PROBE_UNKNOWN;
		snprintf(r->output, sizeof(r->output), "UNKNOWN - cannot run %s: %s", c->argv[0],
			 strerror(e));
		return;
	}
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		uint64_t now = mono_ms();
		char sink[512];
		ssize_t n;

		if (now >= deadline) {
			timed_out = true;
			break;
		}
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		if (len < sizeof(out))
			n = read(fds[0], out + len, sizeof(out) - len);
		else
			n = read(fds[0], sink, sizeof(sink));  /* beyond the bound: drained */
		if (n <= 0)
			break;
		if (len < sizeof(out))
			len += (size_t)n;
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->ms = (uint32_t)(mono_ms() - t0);
	plugin_parse_output(out, len, &po);
	if (timed_out) {
		r->state = PROBE_UNKNOWN;
		snprintf(r->output, sizeof(r->output), "UNKNOWN - plugin %s timed out after %us", name,
			 timeout_s);
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) > 3) {
		r->state = PROBE_UNKNOWN;
		snprintf(r->output, sizeof(r->output), "UNKNOWN - plugin %.60s %s %d: %.400s", name,
			 WIFEXITED(st) ? "exited with" : "killed by signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), po.text);
	} else {
		r->state = (enum probe_state)WEXITSTATUS(st);
		snprintf(r->output, sizeof(r->output), "%s", po.text[0] != '\0' ? po.text :
			 probe_state_name(r->state));
		/* a time in the perfdata is the plugin's own response time */
		for (int i = 0; i < po.n_perf; i++)
			if (strcmp(po.perf[i].uom, "s") == 0 && po.perf[i].value >= 0 &&
			    po.perf[i].value < 86400) {
				r->ms = (uint32_t)(po.perf[i].value * 1000.0);
				break;
			}
	}
}
