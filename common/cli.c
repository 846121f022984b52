/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.c: program identity, diagnostics, --version and the event help. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cli.h"

static int use_syslog;

const char *
cli_progname(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return "<executable>";
	slash = strrchr(argv0, '/');
	return slash != NULL && slash[1] != '\0' ? slash + 1 : argv0;
}

enum itl_backend
cli_default_backend(const char *argv0)
{
	if (argv0 == NULL || *argv0 == '\0')
		return ITL_INOTIFY;
	if (strncmp(cli_progname(argv0), "fsnotify", 8) == 0)
		return ITL_FANOTIFY;
	return ITL_INOTIFY;
}

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void
cli_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog)
		vsyslog(LOG_INFO, fmt, ap);
	else
		vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void
cli_log_syslog(const char *ident)
{
	openlog(ident, LOG_CONS | LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = 1;
}

void
cli_die_nomem(void)
{
	fputs("Seem to be out of memory... yikes!\n", stderr);
	exit(CLI_EXIT_FAILURE);
}

static int
esc_needed(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

/* Write the escaped form of s into out (4 bytes per input byte at most). */
static void
esc_copy(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (!esc_needed(*p)) {
			*out++ = (char)*p;
			continue;
		}
		*out++ = '\\';
		if (*p == '\\' || *p == '\n' || *p == '\t')
			*out++ = *p == '\\' ? '\\' : *p == '\n' ? 'n' : 't';
		else {
			*out++ = 'x';
			*out++ = hex[*p >> 4];
			*out++ = hex[*p & 0xf];
		}
	}
	*out = '\0';
}

const char *
cli_esc(const char *s)
{
	static char *slot[CLI_ESC_SLOTS];
	static unsigned next;
	const char *p;
	char *buf;
	size_t len;

	for (p = s; *p != '\0' && !esc_needed((unsigned char)*p); p++)
		;
	if (*p == '\0')
		return s;
	len = strlen(s);
	if (len > (SIZE_MAX - 1) / 4)
		cli_die_nomem();
	buf = realloc(slot[next], len * 4 + 1);
	if (buf == NULL)
		cli_die_nomem();
	slot[next] = buf;
	next = (next + 1) % CLI_ESC_SLOTS;
	esc_copy(buf, s);
	return buf;
}

void
cli_print_version(const char *progname)
{
	printf("%s %s\n", progname, PACKAGE_VERSION);
}

/* Upstream's wording and layout, tabs included (move_self has two). */
static const char events_help[] =
	"\taccess\t\tfile or directory contents were read\n"
	"\tmodify\t\tfile or directory contents were written\n"
	"\tattrib\t\tfile or directory attributes changed\n"
	"\tclose_write\tfile or directory closed, after being opened in\n"
	"\t           \twritable mode\n"
	"\tclose_nowrite\tfile or directory closed, after being opened in\n"
	"\t           \tread-only mode\n"
	"\tclose\t\tfile or directory closed, regardless of read/write mode\n"
	"\topen\t\tfile or directory opened\n"
	"\tmoved_to\tfile or directory moved to watched directory\n"
	"\tmoved_from\tfile or directory moved from watched directory\n"
	"\tmove\t\tfile or directory moved to or from watched directory\n"
	"\tmove_self\t\tA watched file or directory was moved.\n"
	"\tcreate\t\tfile or directory created within watched directory\n"
	"\tdelete\t\tfile or directory deleted within watched directory\n"
	"\tdelete_self\tfile or directory was deleted\n"
	"\tunmount\t\tfile system containing file or directory unmounted\n";

void
cli_print_events_help(FILE *fp)
{
	fputs(events_help, fp);
}
