/* format.c: the runtime's own snprintf.
 *
 * The runtime formats its messages, trace lines and exit report on the host
 * side. glibc's printf family consults state the program owns: handlers the
 * program installed with register_printf_specifier() (called for %d or %s
 * once registered), its locale, its stdio. Host code that called such a
 * handler would run program code outside the guest, with the runtime's
 * authority. So every snprintf and vsnprintf of libdunepre.so comes here
 * instead (the link wraps them: CMakeLists.txt), and so does strerror.
 *
 * What the runtime uses, printed byte for byte as glibc prints it in the C
 * locale and the default rounding mode: the conversions d i u x X o c s p f F
 * and %%, the flags - 0 # + and space, a width and a precision (a number or
 * *), and the length modifiers hh h l ll z j t. Anything else (%n among
 * others) is copied to the output as it stands and takes no argument.
 */
#include "format.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct out {
	char *buf;
	size_t size;
	size_t n; /* what the whole output needs, written or not */
};

struct spec {
	bool left, zero, alt, plus, space;
	int width;
	int prec; /* -1: none given */
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->size)
		o->buf[o->n] = c;
	o->n++;
}

static void put_many(struct out *o, char c, long count)
{
	while (count-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const char *s, size_t len)
{
	while (len--)
		put(o, *s++);
}

/* A field: prefix (sign, 0x), zeros, then the body, padded to the width. */
static void put_field(struct out *o, const struct spec *sp, bool zero_pad, const char *prefix,
		      const char *body, size_t body_len, long zeros)
{
	size_t pre_len = strlen(prefix);
	long pad = sp->width - (long)(pre_len + zeros + body_len);

	if (!sp->left && !zero_pad)
		put_many(o, ' ', pad);
	put_str(o, prefix, pre_len);
	if (!sp->left && zero_pad)
		put_many(o, '0', pad);
	put_many(o, '0', zeros);
	put_str(o, body, body_len);
	if (sp->left)
		put_many(o, ' ', pad);
}

static const char *sign_of(const struct spec *sp, bool negative)
{
	return negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";
}

static void put_integer(struct out *o, const struct spec *sp, uintmax_t v, bool negative,
			bool is_signed, int base, bool upper)
{
	const char *digit = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[3 * sizeof(v) + 1];
	char *end = tmp + sizeof(tmp), *p = end;
	const char *prefix = "";
	long zeros;

	for (uintmax_t x = v; x; x /= (unsigned)base)
		*--p = digit[x % (unsigned)base];
	if (v == 0 && sp->prec != 0)
		*--p = '0';
	zeros = sp->prec > end - p ? sp->prec - (end - p) : 0;
	if (base == 8 && sp->alt && zeros == 0 && (p == end || *p != '0'))
		zeros = 1; /* %#o: the first digit is a 0 */
	if (base == 16 && sp->alt && v)
		prefix = upper ? "0X" : "0x";
	if (is_signed)
		prefix = sign_of(sp, negative);
	put_field(o, sp, sp->zero && sp->prec < 0, prefix, p, (size_t)(end - p), zeros);
}

/*
 * %f, exactly. A double is m * 2^e with m < 2^53: its integer part is a whole
 * number of at most 1024 bits and its fraction one of at most 1074 bits over
 * 2^1074, so both are written out exactly with a small big-number type,
 * and rounded to nearest, ties to even, as glibc does.
 */
#define BIG_WORDS 36 /* 1152 bits: room for the fraction times 10 */
#define FRACTION_DIGITS 1075 /* past the 1074th place a double's digits are all 0 */

struct big {
	uint32_t w[BIG_WORDS];
};

/* b = m * 2^shift */
static void big_set(struct big *b, uint64_t m, int shift)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < 64; i++)
		if (m >> i & 1)
			b->w[(i + shift) / 32] |= 1u << ((i + shift) % 32);
}

static bool big_is_zero(const struct big *b)
{
	for (int i = 0; i < BIG_WORDS; i++)
		if (b->w[i])
			return false;
	return true;
}

/* b /= 10^9; returns the remainder. */
static uint32_t big_div_1e9(struct big *b)
{
	uint64_t rem = 0;

	for (int i = BIG_WORDS - 1; i >= 0; i--) {
		uint64_t cur = rem << 32 | b->w[i];

		b->w[i] = (uint32_t)(cur / 1000000000u);
		rem = cur % 1000000000u;
	}
	return (uint32_t)rem;
}

static void big_mul_10(struct big *b)
{
	uint64_t carry = 0;

	for (int i = 0; i < BIG_WORDS; i++) {
		uint64_t cur = (uint64_t)b->w[i] * 10 + carry;

		b->w[i] = (uint32_t)cur;
		carry = cur >> 32;
	}
}

static bool big_bit(const struct big *b, int i)
{
	return b->w[i / 32] >> (i % 32) & 1;
}

/* The bits of b at and above bit k, taken out of b (a fraction's next digit). */
static unsigned big_take_above(struct big *b, int k)
{
	unsigned v = 0;

	for (int i = k + 3; i >= k; i--) {
		v = v << 1 | big_bit(b, i);
		b->w[i / 32] &= ~(1u << (i % 32));
	}
	return v;
}

/* Is the fraction b / 2^k above a half, a half, or below (1, 0, -1)? */
static int big_vs_half(const struct big *b, int k)
{
	if (k == 0 || !big_bit(b, k - 1))
		return -1;
	for (int i = 0; i < k - 1; i++)
		if (big_bit(b, i))
			return 1;
	return 0;
}

/* The integer digits of m * 2^e (e >= 0), most significant first; their count. */
static int integer_digits(uint64_t m, int e, char *out, int room)
{
	char tmp[320];
	int n = 0;
	struct big b;

	big_set(&b, m, e);
	do {
		uint32_t group = big_div_1e9(&b);
		bool last = big_is_zero(&b);

		for (int i = 0; i < 9 && (!last || group); i++, group /= 10)
			tmp[n++] = (char)('0' + group % 10);
	} while (!big_is_zero(&b));
	if (n == 0)
		tmp[n++] = '0';
	for (int i = 0; i < n && i < room; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void put_double(struct out *o, const struct spec *sp, double x, bool upper)
{
	char digits[320 + FRACTION_DIGITS];
	int prec = sp->prec < 0 ? 6 : sp->prec, shown = prec < FRACTION_DIGITS ? prec : FRACTION_DIGITS;
	uint64_t bits, m;
	int exp, e, nint, k;
	bool negative;
	struct big frac;

	memcpy(&bits, &x, sizeof(bits));
	negative = bits >> 63;
	exp = (int)(bits >> 52 & 0x7ff);
	m = bits & ((1ull << 52) - 1);
	if (exp == 0x7ff) {
		const char *s = m ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");

		put_field(o, sp, false, sign_of(sp, negative), s, 3, 0);
		return;
	}
	if (exp)
		m |= 1ull << 52;
	e = (exp ? exp : 1) - 1075; /* x = m * 2^e */

	/* The integer part, then the fraction (m mod 2^k) / 2^k, k = -e. */
	k = e < 0 ? -e : 0;
	if (e >= 0)
		nint = integer_digits(m, e, digits, 320);
	else
		nint = integer_digits(k < 64 ? m >> k : 0, 0, digits, 320);
	big_set(&frac, k == 0 ? 0 : k < 64 ? m & ((1ull << k) - 1) : m, 0);
	for (int i = 0; i < shown; i++) {
		big_mul_10(&frac);
		digits[nint + i] = (char)('0' + big_take_above(&frac, k));
	}

	/* Round: up above a half, and at a half when the last digit is odd. */
	int vs = big_vs_half(&frac, k);
	int last = nint + shown - 1;

	if (vs > 0 || (vs == 0 && (digits[last] - '0') % 2)) {
		int i = last;

		while (i >= 0 && digits[i] == '9')
			digits[i--] = '0';
		if (i >= 0) {
			digits[i]++;
		} else { /* 9.99 became 10.00 */
			memmove(digits + 1, digits, (size_t)(nint + shown));
			digits[0] = '1';
			nint++;
		}
	}

	/* Sign, integer digits, point, fraction digits, the zeros past the 1075th place. */
	long body = nint + (prec || sp->alt ? 1 : 0) + prec;
	const char *prefix = sign_of(sp, negative);
	long pad = sp->width - (long)strlen(prefix) - body;

	if (!sp->left && !sp->zero)
		put_many(o, ' ', pad);
	put_str(o, prefix, strlen(prefix));
	if (!sp->left && sp->zero)
		put_many(o, '0', pad);
	put_str(o, digits, (size_t)nint);
	if (prec || sp->alt)
		put(o, '.');
	put_str(o, digits + nint, (size_t)shown);
	put_many(o, '0', prec - shown);
	if (sp->left)
		put_many(o, ' ', pad);
}

/* The number at *f (width or precision), or -1 if there is none. */
static int read_number(const char **f)
{
	long v = 0;

	if (**f < '0' || **f > '9')
		return -1;
	while (**f >= '0' && **f <= '9') {
		if (v < INT_MAX / 10)
			v = v * 10 + (**f - '0');
		(*f)++;
	}
	return (int)v;
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_MAX, LEN_PTRDIFF };

static enum length read_length(const char **f)
{
	switch (**f) {
	case 'h':
		if ((*f)[1] == 'h')
			return *f += 2, LEN_CHAR;
		return (*f)++, LEN_SHORT;
	case 'l':
		if ((*f)[1] == 'l')
			return *f += 2, LEN_LLONG;
		return (*f)++, LEN_LONG;
	case 'z':
		return (*f)++, LEN_SIZE;
	case 'j':
		return (*f)++, LEN_MAX;
	case 't':
		return (*f)++, LEN_PTRDIFF;
	default:
		return LEN_INT;
	}
}

static intmax_t signed_arg(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR: return (signed char)va_arg(*ap, int);
	case LEN_SHORT: return (short)va_arg(*ap, int);
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_SIZE: return va_arg(*ap, ptrdiff_t); /* ssize_t */
	case LEN_MAX: return va_arg(*ap, intmax_t);
	case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static uintmax_t unsigned_arg(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_SIZE: return va_arg(*ap, size_t);
	case LEN_MAX: return va_arg(*ap, uintmax_t);
	case LEN_PTRDIFF: return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned);
	}
}

static void put_string(struct out *o, const struct spec *sp, const char *s)
{
	size_t len;

	if (!s) /* as glibc: "(null)", or nothing where the precision cuts it */
		s = sp->prec < 0 || sp->prec >= 6 ? "(null)" : "";
	len = sp->prec < 0 ? strlen(s) : strnlen(s, (size_t)sp->prec);
	put_field(o, sp, false, "", s, len, 0);
}

/* One directive after its '%': *f moves past it. */
static void put_directive(struct out *o, const char **f, va_list *ap)
{
	const char *start = *f - 1;
	struct spec sp = { .prec = -1 };
	enum length len;
	uintmax_t u;
	intmax_t i;
	char c;

	for (;; (*f)++) {
		if (**f == '-')
			sp.left = true;
		else if (**f == '0')
			sp.zero = true;
		else if (**f == '#')
			sp.alt = true;
		else if (**f == '+')
			sp.plus = true;
		else if (**f == ' ')
			sp.space = true;
		else
			break;
	}
	if (**f == '*') {
		(*f)++;
		sp.width = va_arg(*ap, int);
		if (sp.width < 0) { /* a negative width is the '-' flag */
			sp.left = true;
			sp.width = sp.width == INT_MIN ? INT_MAX : -sp.width;
		}
	} else {
		sp.width = read_number(f);
	}
	if (**f == '.') {
		(*f)++;
		if (**f == '*') {
			(*f)++;
			sp.prec = va_arg(*ap, int);
			if (sp.prec < 0)
				sp.prec = -1; /* as if none were given */
		} else {
			sp.prec = read_number(f);
			if (sp.prec < 0)
				sp.prec = 0; /* "." alone is a precision of 0 */
		}
	}
	len = read_length(f);
	switch (c = **f) {
	case 'd':
	case 'i':
		i = signed_arg(len, ap);
		put_integer(o, &sp, i < 0 ? -(uintmax_t)i : (uintmax_t)i, i < 0, true, 10, false);
		break;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		u = unsigned_arg(len, ap);
		put_integer(o, &sp, u, false, false, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X');
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		put_field(o, &sp, false, "", &c, 1, 0);
		break;
	case 's':
		put_string(o, &sp, va_arg(*ap, const char *));
		break;
	case 'p': {
		void *p = va_arg(*ap, void *);

		if (!p) {
			put_field(o, &sp, false, "", "(nil)", 5, 0);
			break;
		}
		sp.alt = true; /* as %#lx */
		put_integer(o, &sp, (uintptr_t)p, false, false, 16, false);
		break;
	}
	case 'f':
	case 'F':
		put_double(o, &sp, va_arg(*ap, double), c == 'F');
		break;
	case '%':
		put(o, '%');
		break;
	default: /* not ours: the directive as it stands */
		if (c == '\0') {
			put_str(o, start, (size_t)(*f - start));
			return;
		}
		put_str(o, start, (size_t)(*f + 1 - start));
		break;
	}
	(*f)++;
}

int dune_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		put_directive(&o, &fmt, &args);
	}
	va_end(args);
	if (size)
		buf[o.n < size ? o.n : size - 1] = '\0';
	return o.n > INT_MAX ? -1 : (int)o.n;
}

int dune_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = dune_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

const char *dune_strerror(int err)
{
	static char unknown[32]; /* as glibc's, overwritten by the next unknown number */
	const char *desc = strerrordesc_np(err);

	if (desc)
		return desc;
	dune_format(unknown, sizeof(unknown), "Unknown error %d", err);
	return unknown;
}

/* libdunepre.so's own calls, redirected by the linker (-Wl,--wrap). */
int __wrap_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return dune_vformat(buf, size, fmt, ap);
}

int __wrap_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((alias("dune_format")));

char *__wrap_strerror(int err)
{
	return (char *)dune_strerror(err);
}
