/* cim_wql: an Enumerate's filters (network input: fuzz/fuzz_wql.c). A
 * WQL data query (MS-WMI 2.2.1.1) or a selector set (DSP0226 Annex E) is
 * compiled into a struct cim_filter, a fixed array of nodes and a pool of
 * names and literals, every accumulation checked against its CIM_MAX_WQL_*
 * limit where it grows, and the recursion of the parser bounded by
 * CIM_MAX_WQL_DEPTH. Each instance is then judged with its properties'
 * own types, as WMI judges them: WMI knows the class when it compiles a
 * query, we know it when the first instance arrives, so what only the
 * class can refuse (a property it lacks, an operator its type does not
 * take) is refused at match time, every comparison evaluated so the
 * verdict does not depend on the data. */
#include "cim/cim.h"

#include <string.h>

enum node_kind { N_AND = 1, N_OR, N_NOT, N_COMPARE, N_IS_NULL, N_IS_NOT_NULL };
enum op { OP_EQ = 1, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_LIKE };
enum literal { L_STRING = 1, L_NUMBER, L_BOOLEAN };

enum token_kind { T_END, T_NAME, T_STRING, T_NUMBER, T_STAR, T_COMMA, T_OPEN, T_CLOSE, T_OP };

struct token {
	enum token_kind kind;
	enum op op;	   /* T_OP */
	const char *start; /* the token's bytes in the query */
	size_t len;
};

struct parser {
	const char *s;
	size_t pos;
	struct token tok;
	/* MS-WMI 2.2.1: "The server MUST treat a backslash as an escape
	 * character in a WQL query, except within a LIKE clause." Set while
	 * the token after LIKE is read. */
	int like;
	unsigned depth, terms;
	struct cim_filter *f;
	const char **why;
};

/* Words of WQL that cannot name a property. */
static const char *const reserved[] = {"SELECT", "FROM", "WHERE", "AND",  "OR",	   "NOT",
				       "IS",	 "NULL", "LIKE",  "TRUE", "FALSE", "ISA"};

static int refuse(const char **why, const char *reason)
{
	if (why && !*why)
		*why = reason;
	return -1;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(int c)
{
	return is_name_start(c) || is_digit(c);
}

/* Case-insensitive ordering, ASCII letters folded (WMI folds all of
 * Unicode; other characters compare by code point, as UTF-8 bytes do). */
static int fold_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = lower((unsigned char)*a), y = lower((unsigned char)*b);
		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			return 0;
	}
}

static int span_is(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n && word[i]; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)word[i]))
			return 0;
	return i == n && !word[i];
}

/* ---- the filter's storage ---- */

static void filter_init(struct cim_filter *f, enum cim_filter_kind kind)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->used = 1; /* offset 0 is "" */
}

/* n bytes of s into the pool, NUL-terminated. */
static int pool_add(struct cim_filter *f, const char *s, size_t n, uint16_t *off, const char **why)
{
	if (n >= sizeof(f->pool) - f->used)
		return refuse(why, "the query's names and constants exceed the pool");
	*off = f->used;
	memcpy(f->pool + f->used, s, n);
	f->pool[f->used + n] = 0;
	f->used = (uint16_t)(f->used + n + 1);
	return 0;
}

static int node_add(struct cim_filter *f, enum node_kind kind, enum op op, enum literal lit,
		    uint16_t a, uint16_t b, uint16_t value, uint16_t *out, const char **why)
{
	struct cim_wql_node *n;

	if (f->nnodes >= CIM_MAX_WQL_NODES)
		return refuse(why, "too many terms");
	n = &f->nodes[f->nnodes];
	n->kind = (uint8_t)kind;
	n->op = (uint8_t)op;
	n->literal = (uint8_t)lit;
	n->a = a;
	n->b = b;
	n->value = value;
	*out = f->nnodes++;
	return 0;
}

/* ---- LIKE patterns (MS-WMI 2.2.1.1): % any run, _ any one character,
 * [set] one of a set of characters, ranges and a leading ^ ---- */

/* The code point at *s (a byte that starts no valid UTF-8 sequence
 * stands for itself), *s moved past it; never past the terminating NUL. */
static uint32_t next_char(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t c = p[0];
	int n = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (c < 0x80 || c >= 0xf8)
		n = 0;
	for (int i = 1; i <= n; i++)
		if ((p[i] & 0xc0) != 0x80)
			n = 0;
	if (n == 0) {
		*s += 1;
		return c;
	}
	c &= 0x3fu >> n;
	for (int i = 1; i <= n; i++)
		c = (c << 6) | (p[i] & 0x3fu);
	*s += n + 1;
	return c;
}

static uint32_t fold(uint32_t c)
{
	return c < 0x80 ? (uint32_t)lower((int)c) : c;
}

/* Checks the brackets of a pattern: each [ closes, no set is empty. */
static int pattern_valid(const char *p)
{
	for (; *p; p++) {
		if (*p != '[')
			continue;
		if (p[1] == '^' && p[2] == ']') {
			p += 2; /* "[^]" is the caret itself */
			continue;
		}
		p += p[1] == '^' ? 2 : 1;
		if (*p == ']' || !(p = strchr(p, ']')))
			return 0;
	}
	return 1;
}

/* Whether c (folded) is in the set that starts after a '['; *end past its ']'. */
static int in_set(const char *p, uint32_t c, const char **end)
{
	int negate = 0, hit = 0;

	if (p[0] == '^' && p[1] == ']') {
		*end = p + 2;
		return c == '^';
	}
	if (*p == '^') {
		negate = 1;
		p++;
	}
	while (*p && *p != ']') {
		uint32_t lo = fold(next_char(&p));
		/* "a-f" or "a=f" is a range; a '-' or '=' before the ']' is itself. */
		if ((*p == '-' || *p == '=') && p[1] && p[1] != ']') {
			p++;
			uint32_t hi = fold(next_char(&p));
			hit |= c >= lo && c <= hi;
		} else {
			hit |= c == lo;
		}
	}
	*end = *p ? p + 1 : p;
	return hit != negate;
}

/* s LIKE p, case-insensitively: one pass with the last % as the only
 * backtracking point, O(|s| |p|) whatever the pattern. */
static int like(const char *s, const char *p)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '%') {
			while (*p == '%')
				p++;
			star = p;
			resume = s;
			continue;
		}
		if (*p) {
			const char *s_next = s, *p_next = p + 1;
			uint32_t c = fold(next_char(&s_next));
			int ok;
			if (*p == '_') {
				ok = 1;
			} else if (*p == '[') {
				ok = in_set(p + 1, c, &p_next);
			} else {
				p_next = p;
				ok = fold(next_char(&p_next)) == c;
			}
			if (ok) {
				s = s_next;
				p = p_next;
				continue;
			}
		}
		if (!star)
			return 0;
		p = star;
		next_char(&resume);
		s = resume;
	}
	while (*p == '%')
		p++;
	return !*p;
}

static int has_wildcards(const char *p)
{
	return strpbrk(p, "%_[") != NULL;
}

/* ---- numbers: decimal text compared exactly, whatever its width ---- */

struct decimal {
	int negative;
	const char *whole; /* digits, leading zeros skipped */
	size_t nwhole;
	const char *fraction; /* digits, trailing zeros dropped */
	size_t nfraction;
};

static int decimal_parse(const char *s, struct decimal *d)
{
	d->negative = 0;
	if (*s == '+' || *s == '-')
		d->negative = *s++ == '-';
	d->whole = s;
	while (is_digit(*s))
		s++;
	d->nwhole = (size_t)(s - d->whole);
	d->fraction = s;
	d->nfraction = 0;
	if (*s == '.') {
		d->fraction = ++s;
		while (is_digit(*s))
			s++;
		d->nfraction = (size_t)(s - d->fraction);
		if (!d->nfraction)
			return -1;
	}
	if (*s || (!d->nwhole && !d->nfraction))
		return -1;
	while (d->nwhole && *d->whole == '0')
		d->whole++, d->nwhole--;
	while (d->nfraction && d->fraction[d->nfraction - 1] == '0')
		d->nfraction--;
	if (!d->nwhole && !d->nfraction)
		d->negative = 0; /* -0 is 0 */
	return 0;
}

static int magnitude_cmp(const struct decimal *a, const struct decimal *b)
{
	int c;

	if (a->nwhole != b->nwhole)
		return a->nwhole < b->nwhole ? -1 : 1;
	if ((c = memcmp(a->whole, b->whole, a->nwhole)) != 0)
		return c < 0 ? -1 : 1;
	for (size_t i = 0; i < a->nfraction || i < b->nfraction; i++) {
		char x = i < a->nfraction ? a->fraction[i] : '0';
		char y = i < b->nfraction ? b->fraction[i] : '0';
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

static int number_cmp(const char *a, const char *b, int *c)
{
	struct decimal x, y;

	if (decimal_parse(a, &x) != 0 || decimal_parse(b, &y) != 0)
		return -1;
	if (x.negative != y.negative)
		*c = x.negative ? -1 : 1;
	else
		*c = x.negative ? -magnitude_cmp(&x, &y) : magnitude_cmp(&x, &y);
	return 0;
}

/* ---- datetimes: xs:dateTime (the instances') or CIM's DMTF form
 * (yyyymmddHHMMSS.mmmmmmsUUU, what WQL queries carry), as instants ---- */

struct instant {
	int64_t seconds; /* since 1970-01-01T00:00:00Z */
	int32_t micros;
};

static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int instant_of(int y, int mo, int d, int h, int mi, int s, int micros, int offset_min,
		      struct instant *out)
{
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
	    offset_min > 24 * 60 || offset_min < -24 * 60)
		return -1;
	out->seconds =
	    days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - (int64_t)offset_min * 60;
	out->micros = micros;
	return 0;
}

static int dmtf_datetime(const char *s, struct instant *out)
{
	int y, mo, d, h, mi, sec, micros, offset;

	if (strlen(s) != 25 || s[14] != '.' || (s[21] != '+' && s[21] != '-') || digits(s, 4, &y) ||
	    digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || digits(s + 8, 2, &h) ||
	    digits(s + 10, 2, &mi) || digits(s + 12, 2, &sec) || digits(s + 15, 6, &micros) ||
	    digits(s + 22, 3, &offset))
		return -1;
	return instant_of(y, mo, d, h, mi, sec, micros, s[21] == '-' ? -offset : offset, out);
}

static int iso_datetime(const char *s, struct instant *out)
{
	int y, mo, d, h, mi, sec, micros = 0, oh = 0, om = 0, sign = 1;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec))
		return -1;
	s += 19;
	if (*s == '.') {
		int scale = 100000;
		if (!is_digit(*++s))
			return -1;
		for (; is_digit(*s); s++, scale /= 10)
			micros += (*s - '0') * scale; /* digits past the sixth add nothing */
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (digits(s + 1, 2, &oh) || s[3] != ':' || digits(s + 4, 2, &om))
			return -1;
		s += 6;
	}
	if (*s)
		return -1;
	return instant_of(y, mo, d, h, mi, sec, micros, sign * (oh * 60 + om), out);
}

static int datetime_parse(const char *s, struct instant *out)
{
	return dmtf_datetime(s, out) == 0 ? 0 : iso_datetime(s, out);
}

static int datetime_cmp(const struct instant *a, const struct instant *b)
{
	if (a->seconds != b->seconds)
		return a->seconds < b->seconds ? -1 : 1;
	if (a->micros != b->micros)
		return a->micros < b->micros ? -1 : 1;
	return 0;
}

/* ---- the lexer ---- */

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int lex_number(struct parser *p)
{
	const char *s = p->s + p->pos, *e = s;

	if (*e == '+' || *e == '-')
		e++;
	while (is_digit(*e))
		e++;
	if (*e == '.' && !is_digit(*++e))
		return refuse(p->why, "a malformed number");
	while (is_digit(*e))
		e++;
	if (is_name_char(*e) || *e == '.')
		return refuse(p->why, "a malformed number");
	if ((size_t)(e - s) > CIM_MAX_WQL_LITERAL)
		return refuse(p->why, "a constant longer than CIM_MAX_WQL_LITERAL");
	p->tok.kind = T_NUMBER;
	p->tok.len = (size_t)(e - s);
	return 0;
}

/* A quoted string; its escapes are undone when it is kept (keep_string). */
static int lex_string(struct parser *p)
{
	const char *s = p->s + p->pos, *e = s + 1;
	size_t n = 0;

	for (; *e && *e != *s; e++, n++)
		if (*e == '\\' && !p->like && !*++e)
			break;
	if (*e != *s)
		return refuse(p->why, "a string without its closing quote");
	if (n > CIM_MAX_WQL_LITERAL)
		return refuse(p->why, "a constant longer than CIM_MAX_WQL_LITERAL");
	p->tok.kind = T_STRING;
	p->tok.len = (size_t)(e + 1 - s);
	return 0;
}

/* Operators and punctuation, the two-character ones first. */
static const struct {
	const char *text;
	enum token_kind kind;
	enum op op;
} symbols[] = {
    {"<=", T_OP, OP_LE}, {">=", T_OP, OP_GE}, {"<>", T_OP, OP_NE}, {"!=", T_OP, OP_NE},
    {"=", T_OP, OP_EQ},	 {"<", T_OP, OP_LT},  {">", T_OP, OP_GT},  {"*", T_STAR, 0},
    {",", T_COMMA, 0},	 {"(", T_OPEN, 0},    {")", T_CLOSE, 0},
};

static int next(struct parser *p)
{
	const char *s;
	char c;

	p->pos += p->tok.len;
	while (is_space(p->s[p->pos]))
		p->pos++;
	s = p->s + p->pos;
	c = *s;
	p->tok.start = s;
	p->tok.len = 0;
	if (!c) {
		p->tok.kind = T_END;
		return 0;
	}
	if (is_name_start(c)) {
		size_t n = 1;
		while (is_name_char(s[n]))
			n++;
		if (n > CIM_MAX_NAME)
			return refuse(p->why, "a name longer than CIM_MAX_NAME");
		p->tok.kind = T_NAME;
		p->tok.len = n;
		return 0;
	}
	if (is_digit(c) || ((c == '.' || c == '+' || c == '-') &&
			    (is_digit(s[1]) || (s[1] == '.' && is_digit(s[2])))))
		return lex_number(p);
	if (c == '\'' || c == '"')
		return lex_string(p);
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		size_t n = strlen(symbols[i].text);
		if (strncmp(s, symbols[i].text, n) == 0) {
			p->tok.kind = symbols[i].kind;
			p->tok.op = symbols[i].op;
			p->tok.len = n;
			return 0;
		}
	}
	return refuse(p->why, "an unknown character or operator");
}

/* ---- the parser ---- */

static int is_keyword(const struct parser *p, const char *word)
{
	return p->tok.kind == T_NAME && span_is(p->tok.start, p->tok.len, word);
}

static int is_reserved(const struct parser *p)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (is_keyword(p, reserved[i]))
			return 1;
	return 0;
}

static int expect_keyword(struct parser *p, const char *word, const char *reason)
{
	return is_keyword(p, word) ? next(p) : refuse(p->why, reason);
}

/* A property's (or the class's) name, kept. */
static int keep_name(struct parser *p, uint16_t *off, const char *reason)
{
	if (p->tok.kind != T_NAME || is_reserved(p))
		return refuse(p->why, reason);
	return pool_add(p->f, p->tok.start, p->tok.len, off, p->why) == 0 ? next(p) : -1;
}

/* A quoted string kept without its quotes, escapes undone but in a
 * LIKE pattern (pattern set). */
static int keep_string(struct parser *p, int pattern, uint16_t *off)
{
	struct cim_filter *f = p->f;
	const char *s = p->tok.start + 1, *end = p->tok.start + p->tok.len - 1;
	size_t n = 0;

	if ((size_t)(end - s) >= sizeof(f->pool) - f->used)
		return refuse(p->why, "the query's names and constants exceed the pool");
	*off = f->used;
	for (; s < end; s++) {
		if (*s == '\\' && !pattern)
			s++;
		f->pool[f->used + n++] = *s;
	}
	f->pool[f->used + n] = 0;
	f->used = (uint16_t)(f->used + n + 1);
	return 0;
}

static int expr(struct parser *p, uint16_t *out);

/* name op constant | name IS [NOT] NULL */
static int predicate(struct parser *p, uint16_t *out)
{
	uint16_t name, value = 0;
	enum literal lit;
	enum op op;

	if (keep_name(p, &name, "a property name expected") != 0)
		return -1;
	if (++p->terms > CIM_MAX_WQL_TERMS)
		return refuse(p->why, "more comparisons than CIM_MAX_WQL_TERMS");
	if (is_keyword(p, "IS")) {
		int negated;
		if (next(p) != 0)
			return -1;
		negated = is_keyword(p, "NOT");
		if ((negated && next(p) != 0) ||
		    expect_keyword(p, "NULL", "IS takes NULL only") != 0)
			return -1;
		return node_add(p->f, negated ? N_IS_NOT_NULL : N_IS_NULL, 0, 0, name, 0, 0, out,
				p->why);
	}
	if (is_keyword(p, "LIKE"))
		op = OP_LIKE;
	else if (p->tok.kind == T_OP)
		op = p->tok.op;
	else
		return refuse(p->why, "an operator expected");
	p->like = op == OP_LIKE;
	if (next(p) != 0)
		return -1;
	p->like = 0;
	if (p->tok.kind == T_STRING) {
		lit = L_STRING;
		if (keep_string(p, op == OP_LIKE, &value) != 0)
			return -1;
		if (op == OP_LIKE && !pattern_valid(p->f->pool + value))
			return refuse(p->why, "a LIKE pattern with an unclosed or empty [ ]");
	} else if (p->tok.kind == T_NUMBER) {
		lit = L_NUMBER;
		if (pool_add(p->f, p->tok.start, p->tok.len, &value, p->why) != 0)
			return -1;
	} else if (is_keyword(p, "TRUE") || is_keyword(p, "FALSE")) {
		lit = L_BOOLEAN;
		if (pool_add(p->f, is_keyword(p, "TRUE") ? "true" : "false",
			     is_keyword(p, "TRUE") ? 4 : 5, &value, p->why) != 0)
			return -1;
	} else {
		return refuse(p->why, "a constant expected");
	}
	if (next(p) != 0)
		return -1;
	return node_add(p->f, N_COMPARE, op, lit, name, 0, value, out, p->why);
}

/* NOT unary | ( expr ) | predicate */
static int unary(struct parser *p, uint16_t *out)
{
	uint16_t a;
	int rc;

	if (++p->depth > CIM_MAX_WQL_DEPTH)
		return refuse(p->why, "nested deeper than CIM_MAX_WQL_DEPTH");
	if (is_keyword(p, "NOT")) {
		rc = next(p) == 0 && unary(p, &a) == 0
			 ? node_add(p->f, N_NOT, 0, 0, a, 0, 0, out, p->why)
			 : -1;
	} else if (p->tok.kind == T_OPEN) {
		rc = next(p) == 0 && expr(p, out) == 0 ? 0 : -1;
		if (rc == 0)
			rc = p->tok.kind == T_CLOSE ? next(p) : refuse(p->why, "a ')' expected");
	} else {
		rc = predicate(p, out);
	}
	p->depth--;
	return rc;
}

/* One level of a chain of ANDs or ORs, left to right. */
static int chain(struct parser *p, const char *word, enum node_kind kind,
		 int (*operand)(struct parser *, uint16_t *), uint16_t *out)
{
	uint16_t right;

	if (operand(p, out) != 0)
		return -1;
	while (is_keyword(p, word))
		if (next(p) != 0 || operand(p, &right) != 0 ||
		    node_add(p->f, kind, 0, 0, *out, right, 0, out, p->why) != 0)
			return -1;
	return 0;
}

static int conjunction(struct parser *p, uint16_t *out)
{
	return chain(p, "AND", N_AND, unary, out);
}

static int expr(struct parser *p, uint16_t *out)
{
	return chain(p, "OR", N_OR, conjunction, out);
}

/* SELECT (* | name, ...) FROM Class [WHERE expr] */
static int query(struct parser *p)
{
	struct cim_filter *f = p->f;

	if (next(p) != 0 || expect_keyword(p, "SELECT", "a SELECT query expected") != 0)
		return -1;
	if (p->tok.kind == T_STAR) {
		if (next(p) != 0)
			return -1;
	} else {
		for (;;) {
			if (f->nselect >= CIM_MAX_WQL_TERMS)
				return refuse(p->why, "more selected names than CIM_MAX_WQL_TERMS");
			if (keep_name(p, &f->select[f->nselect++],
				      "a property name or * expected") != 0)
				return -1;
			if (p->tok.kind != T_COMMA)
				break;
			if (next(p) != 0)
				return -1;
		}
	}
	if (expect_keyword(p, "FROM", "FROM expected") != 0 ||
	    keep_name(p, &f->class_name, "a class name expected") != 0)
		return -1;
	if (is_keyword(p, "WHERE") && (next(p) != 0 || expr(p, &f->root) != 0))
		return -1;
	return p->tok.kind == T_END ? 0 : refuse(p->why, "unexpected words after the query");
}

enum err cim_wql_parse(const char *text, struct cim_filter *out, const char **why)
{
	struct parser p = {.s = text, .f = out, .why = why};
	const char *ignored = NULL;

	if (!why)
		p.why = &ignored;
	*p.why = NULL;
	filter_init(out, CIM_FILTER_WQL);
	if (strlen(text) > CIM_MAX_WQL)
		refuse(p.why, "a query longer than CIM_MAX_WQL");
	else if (query(&p) == 0)
		return ERR_OK;
	filter_init(out, CIM_FILTER_NONE);
	return ERR_WSMAN_CANNOT_PROCESS_FILTER;
}

enum err cim_selector_filter(const char *const *names, const char *const *values, uint32_t n,
			     struct cim_filter *out, const char **why)
{
	const char *ignored = NULL;
	uint16_t name, value, node;

	if (!why)
		why = &ignored;
	*why = NULL;
	filter_init(out, CIM_FILTER_SELECTOR);
	if (n == 0 || n > CIM_MAX_WQL_TERMS) {
		refuse(why, "no selectors, or more than CIM_MAX_WQL_TERMS");
		goto refused;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (strlen(names[i]) > CIM_MAX_NAME || !cim_is_name(names[i]) ||
		    strlen(values[i]) > CIM_MAX_WQL_LITERAL) {
			refuse(why, "a selector that cannot name a property's value");
			goto refused;
		}
		for (uint32_t j = 0; j < i; j++)
			if (fold_cmp(names[i], names[j]) == 0) {
				refuse(why, "a selector named twice");
				goto refused;
			}
		/* MS-WSMV 3.1.4.1.13: rejected when "the value contains either the
		 * double quotation mark (") character or the single quotation mark
		 * (') character". */
		if (strpbrk(values[i], "'\"")) {
			refuse(why, "a quotation mark in a selector's value");
			goto refused;
		}
		if (pool_add(out, names[i], strlen(names[i]), &name, why) != 0 ||
		    pool_add(out, values[i], strlen(values[i]), &value, why) != 0 ||
		    node_add(out, N_COMPARE, OP_EQ, L_STRING, name, 0, value, &node, why) != 0 ||
		    (i > 0 && node_add(out, N_AND, 0, 0, out->root, node, 0, &node, why) != 0))
			goto refused;
		out->root = node;
	}
	return ERR_OK;
refused:
	filter_init(out, CIM_FILTER_NONE);
	return ERR_WSMAN_CANNOT_PROCESS_FILTER;
}

const char *cim_filter_class(const struct cim_filter *f)
{
	return f->kind == CIM_FILTER_WQL ? f->pool + f->class_name : "";
}

int cim_filter_projects(const struct cim_filter *f)
{
	return f->kind == CIM_FILTER_WQL && f->nselect > 0;
}

int cim_filter_keeps(const struct cim_filter *f, const char *name)
{
	for (uint32_t i = 0; i < f->nselect && i < CIM_MAX_WQL_TERMS; i++)
		if (fold_cmp(f->pool + f->select[i], name) == 0)
			return 1;
	return 0;
}

/* ---- evaluation ---- */

static int apply(enum op op, int c)
{
	switch (op) {
	case OP_EQ:
	case OP_LIKE:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c < 0;
	case OP_GT:
		return c > 0;
	case OP_LE:
		return c <= 0;
	case OP_GE:
		return c >= 0;
	}
	return 0;
}

/* The literal as a boolean: TRUE/FALSE, the strings "true"/"false", a
 * number (0 is false). */
static int boolean_of(enum literal lit, const char *s, int *out)
{
	int c;

	if (lit == L_NUMBER && number_cmp(s, "0", &c) == 0) {
		*out = c != 0;
		return 0;
	}
	if (lit == L_NUMBER)
		return -1;
	if (fold_cmp(s, "true") == 0 || fold_cmp(s, "false") == 0) {
		*out = fold_cmp(s, "true") == 0;
		return 0;
	}
	return -1;
}

/* One comparison of a property that has a value, by its type (MS-WMI
 * 2.2.1.1's table: < > <= >= for strings, numbers and datetimes only;
 * LIKE on another type is =, and its wildcards there are an invalid
 * query). */
static int compare(const struct cim_filter *f, const struct cim_wql_node *n,
		   const struct cim_property *prop, int *v, const char **why)
{
	const char *lit = f->pool + n->value;
	enum literal kind = n->literal;
	enum op op = n->op;
	struct instant x, y;
	int c = 0, a, b;

	if (prop->type != CIM_STRING && op == OP_LIKE && has_wildcards(lit))
		return refuse(why, "LIKE wildcards on a property that is not a string");
	switch (prop->type) {
	case CIM_STRING:
		if (kind == L_BOOLEAN)
			return refuse(why, "a boolean constant for a string property");
		if (op == OP_LIKE) {
			*v = like(prop->value, lit);
			return 0;
		}
		c = fold_cmp(prop->value, lit);
		break;
	case CIM_NUMBER:
		if (kind == L_BOOLEAN || number_cmp(prop->value, lit, &c) != 0)
			return refuse(why, "a constant that is not a number for a number property");
		break;
	case CIM_BOOLEAN:
		if (op != OP_EQ && op != OP_NE && op != OP_LIKE)
			return refuse(why, "an operator booleans do not take");
		if (boolean_of(kind, lit, &b) != 0)
			return refuse(why,
				      "a constant that is not a boolean for a boolean property");
		a = fold_cmp(prop->value, "true") == 0;
		c = a != b;
		break;
	case CIM_DATETIME:
		/* MS-WSMV 3.1.4.1.13: a selector filter naming a Datetime is rejected. */
		if (f->kind == CIM_FILTER_SELECTOR)
			return refuse(why, "a selector on a datetime property");
		if (kind != L_STRING || datetime_parse(lit, &y) != 0)
			return refuse(why,
				      "a constant that is not a datetime for a datetime property");
		if (datetime_parse(prop->value, &x) != 0) {
			*v = 0;
			return 0;
		}
		c = datetime_cmp(&x, &y);
		break;
	default:
		*v = 0;
		return 0;
	}
	*v = apply(op, c);
	return 0;
}

static int eval(const struct cim_filter *f, const struct cim_instance *inst, uint16_t i, int *v,
		const char **why)
{
	const struct cim_wql_node *n = &f->nodes[i];
	const struct cim_property *prop;
	int a = 0, b = 0;

	switch (n->kind) {
	case N_AND:
	case N_OR:
		/* Both sides, always: a refusal must not hang on the data. */
		if (eval(f, inst, n->a, &a, why) != 0 || eval(f, inst, n->b, &b, why) != 0)
			return -1;
		*v = n->kind == N_AND ? a && b : a || b;
		return 0;
	case N_NOT:
		if (eval(f, inst, n->a, &a, why) != 0)
			return -1;
		*v = !a;
		return 0;
	default:
		break;
	}
	if (!(prop = cim_property(inst, f->pool + n->a)))
		return refuse(why, "a property the class does not have");
	if (n->kind == N_IS_NULL || n->kind == N_IS_NOT_NULL) {
		*v = (prop->type == CIM_NULL) == (n->kind == N_IS_NULL);
		return 0;
	}
	if (prop->type == CIM_NULL) { /* a missing value equals nothing */
		*v = 0;
		return 0;
	}
	return compare(f, n, prop, v, why);
}

enum err cim_filter_match(const struct cim_filter *f, const struct cim_instance *inst, int *keep,
			  const char **why)
{
	const char *ignored = NULL;

	if (!why)
		why = &ignored;
	*why = NULL;
	*keep = 1;
	if (f->kind == CIM_FILTER_NONE)
		return ERR_OK;
	for (uint32_t i = 0; i < f->nselect && i < CIM_MAX_WQL_TERMS; i++)
		if (!cim_property(inst, f->pool + f->select[i]))
			refuse(why, "a selected property the class does not have");
	if (!*why && f->nnodes > 0)
		eval(f, inst, f->root, keep, why);
	if (*why) {
		*keep = 0;
		return ERR_WSMAN_CANNOT_PROCESS_FILTER;
	}
	return ERR_OK;
}
