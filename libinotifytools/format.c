/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * format.c: --format programs, the %T clock and CSV lines.
 *
 * A format string is compiled once into a short list of operations: literal
 * runs (%%, %0, %n and unknown %x already folded in) and directives.  Per
 * event, the renderer sizes the whole line, reserves it once in the output
 * buffer and writes it without further checks: no malloc, no strlen of the
 * name (the event carries its length) and no re-parsing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itl.h"

enum op_kind { OP_LIT, OP_W, OP_F, OP_E, OP_C, OP_T, OP_NKINDS };

struct op {
	unsigned char kind;
	char sep;		/* OP_E: separator */
	size_t off, len;	/* OP_LIT: run in lit[] */
};

/* Rendered event names by mask: a stream has few distinct masks. */
#define NAMES_BITS	4
#define NAMES_SLOTS	(1 << NAMES_BITS)
#define NAMES_MAXLEN	48
struct names_slot {
	uint32_t mask;
	unsigned char len;	/* 0: empty */
	char sep;
	char s[NAMES_MAXLEN];
};

struct itl_format {
	struct names_slot names[NAMES_SLOTS];
	struct op *ops;
	size_t nops;
	char *lit;		/* literal bytes of every run (may hold NULs) */
	size_t litlen;
	size_t n[OP_NKINDS];	/* directive counts, for sizing */
	char *timefmt;		/* with a leading 'x', see clock_render() */
	time_t tsec;		/* second of the cached %T string */
	struct itl_buf tstr;	/* cached %T rendering */
	int tvalid;
};

#define HEX_MAX		8	/* a 32-bit cookie in hex */
#define TIME_MAX	(64u << 20)	/* give up on larger %T renderings */

/* ---- compiling ------------------------------------------------------- */

static void
add_op(struct itl_format *f, enum op_kind kind, char sep)
{
	struct op *o = &f->ops[f->nops++];

	o->kind = (unsigned char)kind;
	o->sep = sep;
	o->off = o->len = 0;
	f->n[kind]++;
}

/* Append byte c to the literal pool, extending the current run. */
static void
add_lit(struct itl_format *f, char c)
{
	struct op *o;

	if (f->nops == 0 || f->ops[f->nops - 1].kind != OP_LIT) {
		o = &f->ops[f->nops++];
		o->kind = OP_LIT;
		o->sep = 0;
		o->off = f->litlen;
		o->len = 0;
	}
	f->lit[f->litlen++] = c;
	f->ops[f->nops - 1].len++;
}

static const struct {
	char c;
	unsigned char kind;
	char lit;
} directives[] = {
	{ '%', OP_LIT, '%' }, { '0', OP_LIT, '\0' }, { 'n', OP_LIT, '\n' },
	{ 'w', OP_W, 0 }, { 'f', OP_F, 0 }, { 'c', OP_C, 0 },
	{ 'e', OP_E, ',' }, { 'T', OP_T, 0 },
};

/*
 * Compile the directive at s (s[0] == '%'); returns the bytes consumed.
 * The one-letter directives above are matched first, so "%0e" is a NUL and
 * an 'e'; only then is "%Xe" tried.
 */
static size_t
compile_one(struct itl_format *f, const char *s)
{
	size_t i;

	if (s[1] == '\0') {		/* trailing lone '%': print it */
		add_lit(f, '%');
		return 1;
	}
	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		if (directives[i].c != s[1])
			continue;
		if (directives[i].kind == OP_LIT)
			add_lit(f, directives[i].lit);
		else
			add_op(f, directives[i].kind, directives[i].lit);
		return 2;
	}
	if (s[2] == 'e') {		/* %Xe */
		add_op(f, OP_E, s[1]);
		return 3;
	}
	add_lit(f, '%');		/* unknown %x: as is */
	add_lit(f, s[1]);
	return 2;
}

static int
set_timefmt(struct itl_format *f, const char *timefmt)
{
	size_t n;

	if (timefmt == NULL)
		return 0;
	n = strlen(timefmt);
	if ((f->timefmt = malloc(n + 2)) == NULL)
		return -ENOMEM;
	f->timefmt[0] = 'x';
	memcpy(f->timefmt + 1, timefmt, n + 1);
	tzset();
	return 0;
}

int
itl_format_compile(const char *fmt, const char *timefmt,
    struct itl_format **out)
{
	struct itl_format *f;
	size_t n, i;

	if (fmt == NULL || (n = strlen(fmt)) == 0)
		return -EINVAL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	/* At most one op and one literal byte per format byte. */
	f->ops = calloc(n, sizeof(*f->ops));
	f->lit = malloc(n);
	if (f->ops == NULL || f->lit == NULL || set_timefmt(f, timefmt) < 0) {
		itl_format_free(f);
		return -ENOMEM;
	}
	for (i = 0; i < n; )
		if (fmt[i] == '%')
			i += compile_one(f, fmt + i);
		else
			add_lit(f, fmt[i++]);
	*out = f;
	return 0;
}

void
itl_format_free(struct itl_format *f)
{
	if (f == NULL)
		return;
	free(f->ops);
	free(f->lit);
	free(f->timefmt);
	itl_buf_free(&f->tstr);
	free(f);
}

/* ---- rendering ------------------------------------------------------- */

/*
 * strftime() returns 0 both for "does not fit" and for an empty result, so
 * the stored format starts with an extra 'x' that is dropped again: 0 then
 * always means "grow the buffer".  (A trailing 'x' could turn a final lone
 * '%' into "%x".)
 */
static int
clock_render(struct itl_format *f, time_t now)
{
	struct itl_buf *b = &f->tstr;
	struct tm tm;
	size_t n, cap;
	int r;

	b->len = 0;
	if (localtime_r(&now, &tm) == NULL)
		return 0;
	for (cap = 64; cap <= TIME_MAX; cap *= 2) {
		if ((r = itl_buf_reserve(b, cap)) < 0)
			return r;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"	/* --timefmt */
		n = strftime(b->data, b->cap, f->timefmt, &tm);
#pragma GCC diagnostic pop
		if (n > 0) {
			b->len = n - 1;
			memmove(b->data, b->data + 1, b->len);
			return 0;
		}
	}
	return 0;		/* absurdly long: render "" */
}

/* The %T string for this second, re-rendered when the second changes. */
static int
clock_now(struct itl_format *f)
{
	time_t now = time(NULL);
	int r;

	if (f->timefmt == NULL || (f->tvalid && now == f->tsec))
		return 0;
	if ((r = clock_render(f, now)) < 0)
		return r;
	f->tsec = now;
	f->tvalid = 1;
	return 0;
}

static char *
put_hex(char *p, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[HEX_MAX];
	int n = 0;

	do {
		tmp[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* Write the names of mask joined by sep at p (room for
 * ITL_EVENTS_STRMAX); returns the length. */
static size_t
put_names(struct itl_format *f, char *p, uint32_t mask, char sep)
{
	uint32_t h = (mask * 0x9e3779b1u) >> (32 - NAMES_BITS);
	struct names_slot *c = &f->names[h];
	size_t n;

	if (c->len != 0 && c->mask == mask && c->sep == sep) {
		memcpy(p, c->s, c->len);
		return c->len;
	}
	n = itl_events_render(mask, sep, p, ITL_EVENTS_STRMAX);
	if (n > 0 && n <= NAMES_MAXLEN) {
		c->mask = mask;
		c->sep = sep;
		c->len = (unsigned char)n;
		memcpy(c->s, p, n);
	}
	return n;
}

static const char *
watch_path(struct itl *ctx, int wd, size_t *len)
{
	const char *w;

	*len = 0;
	if (ctx == NULL || (w = itl_wd_path(ctx, wd, len)) == NULL) {
		*len = 0;
		return "";
	}
	return w;
}

int
itl_format_render(struct itl *ctx, struct itl_format *f,
    const struct itl_event *ev, struct itl_buf *out)
{
	const struct op *o, *end = f->ops + f->nops;
	const char *w = "";
	size_t wlen = 0, need;
	char *p;
	int r;

	if (f->n[OP_W] > 0)
		w = watch_path(ctx, ev->wd, &wlen);
	if (f->n[OP_T] > 0 && (r = clock_now(f)) < 0)
		return r;
	need = f->litlen + f->n[OP_W] * wlen + f->n[OP_F] * ev->name_len +
	    f->n[OP_E] * ITL_EVENTS_STRMAX + f->n[OP_C] * HEX_MAX +
	    f->n[OP_T] * f->tstr.len;
	/* + 1: out->data is never NULL below, even for an empty result. */
	if ((r = itl_buf_reserve(out, need + 1)) < 0)
		return r;
	p = out->data + out->len;
	for (o = f->ops; o < end; o++) {
		switch (o->kind) {
		case OP_LIT:
			if (o->len == 1)	/* the usual ' ' or '\n' */
				*p = f->lit[o->off];
			else
				memcpy(p, f->lit + o->off, o->len);
			p += o->len;
			break;
		case OP_W:
			memcpy(p, w, wlen);
			p += wlen;
			break;
		case OP_F:
			memcpy(p, ev->name, ev->name_len);
			p += ev->name_len;
			break;
		case OP_E:
			p += put_names(f, p, ev->mask, o->sep);
			break;
		case OP_C:
			p = put_hex(p, ev->cookie);
			break;
		case OP_T:
			if (f->tstr.len > 0)
				memcpy(p, f->tstr.data, f->tstr.len);
			p += f->tstr.len;
			break;
		}
	}
	out->len = (size_t)(p - out->data);
	return 0;
}

/* ---- CSV ------------------------------------------------------------- */

/*
 * Upstream's rule: quote a field holding '"', ',' or '\n', or starting or
 * ending with a space; double the '"'.  Room for a field is 2 * len + 2.
 */
static const unsigned char csv_special[256] = {
	['"'] = 1, [','] = 1, ['\n'] = 1,
};

#define CSV_ROOM(len)	(2 * (size_t)(len) + 2)
#define CSV_MAXLEN	((SIZE_MAX - 16) / 6)	/* three fields fit a size_t */

static int
needs_quotes(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (u[0] == ' ' || u[len - 1] == ' ')
		return 1;
	for (i = 0; i < len; i++)
		if (csv_special[u[i]])
			return 1;
	return 0;
}

/* Write the field at p (CSV_ROOM(len) available); returns the new end. */
static char *
put_field(char *p, const char *s, size_t len)
{
	const char *end = s + len;

	if (len == 0)
		return p;
	if (!needs_quotes(s, len)) {
		memcpy(p, s, len);
		return p + len;
	}
	*p++ = '"';
	for (; s < end; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	*p++ = '"';
	return p;
}

int
itl_format_csv_field(const char *s, size_t len, struct itl_buf *out)
{
	int r;

	if (len > CSV_MAXLEN)
		return -ENOMEM;
	if ((r = itl_buf_reserve(out, CSV_ROOM(len))) < 0)
		return r;
	out->len = (size_t)(put_field(out->data + out->len, s, len) -
	    out->data);
	return 0;
}

int
itl_format_csv(struct itl *ctx, const struct itl_event *ev,
    struct itl_buf *out)
{
	char names[ITL_EVENTS_STRMAX], *p;
	size_t wlen, nlen;
	const char *w;
	int r;

	w = watch_path(ctx, ev->wd, &wlen);
	nlen = itl_events_render(ev->mask, ',', names, sizeof(names));
	if (wlen > CSV_MAXLEN)	/* name_len is 32 bits: always fits */
		return -ENOMEM;
	r = itl_buf_reserve(out, CSV_ROOM(wlen) + CSV_ROOM(nlen) +
	    CSV_ROOM(ev->name_len) + 3);
	if (r < 0)
		return r;
	p = put_field(out->data + out->len, w, wlen);
	if (wlen > 0)
		*p++ = ',';
	p = put_field(p, names, nlen);
	*p++ = ',';
	p = put_field(p, ev->name, ev->name_len);
	*p++ = '\n';
	out->len = (size_t)(p - out->data);
	return 0;
}
