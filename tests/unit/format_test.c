/* format_test.c: the runtime's own snprintf (preload/format.c) prints what
 * glibc's prints, byte for byte, for every kind of directive the runtime
 * uses, and for the values around their edges. */
#include <criterion/criterion.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Both printers, the same directive and arguments: the same text and length. */
#define SAME(fmt, ...)                                                                        \
	do {                                                                                  \
		char want[2048], got[2048];                                                   \
		int nw = snprintf(want, sizeof(want), fmt, __VA_ARGS__);                      \
		int ng = dune_format(got, sizeof(got), fmt, __VA_ARGS__);                     \
		cr_assert_str_eq(got, want, "format \"%s\"", fmt);                          \
		cr_assert_eq(ng, nw, "format \"%s\": length %d, glibc %d", fmt, ng, nw);    \
	} while (0)

Test(format, integers_as_glibc)
{
	const long long values[] = { 0, 1, -1, 7, 42, -42, 255, 4096, INT32_MAX, INT32_MIN,
				     INT64_MAX, INT64_MIN, 0x7f, 1000000007 };

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		long long v = values[i];

		SAME("%d|%i|%u|%x|%X|%o", (int)v, (int)v, (unsigned)v, (unsigned)v, (unsigned)v,
		     (unsigned)v);
		SAME("%ld|%lu|%lx|%#lx|%#lo|%016lx", (long)v, (unsigned long)v, (unsigned long)v,
		     (unsigned long)v, (unsigned long)v, (unsigned long)v);
		SAME("%lld|%llu|%llx|%#llx|%016llx|%08llx", v, (unsigned long long)v,
		     (unsigned long long)v, (unsigned long long)v, (unsigned long long)v,
		     (unsigned long long)v);
		SAME("%zu|%zd|%jd|%td", (size_t)v, (ssize_t)v, (intmax_t)v, (ptrdiff_t)v);
		SAME("[%5d][%-5d][%05d][%+d][% d][%.3d][%8.3d][%-8.3d][%.0d]", (int)v, (int)v, (int)v,
		     (int)v, (int)v, (int)v, (int)v, (int)v, (int)v);
		SAME("[%#x][%#X][%#o][%#.0o][%#08x][%03o][%02x][%hhu][%hd]", (unsigned)v, (unsigned)v,
		     (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v & 0377, (unsigned)v & 0xff,
		     (unsigned char)v, (short)v);
		SAME("[%*d][%-*d][%.*d][%*.*x]", 6, (int)v, 6, (int)v, 4, (int)v, 9, 5, (unsigned)v);
	}
}

/* Not a constant, so that the compiler lets both printers see a NULL %s. */
static const char *volatile null_string;

Test(format, strings_characters_and_pointers_as_glibc)
{
	const char *tok = "a-token-longer-than-the-cut";

	SAME("%s|%10s|%-10s|%.3s|%-26s|end", "abc", "abc", "abc", "abcdef", "page-fault");
	SAME("'%.*s%s'", 5, tok, "...");
	SAME("[%c][%3c][%-3c]", 'x', 'y', 'z');
	SAME("%p|%p|%20p|%-20p|", (void *)0x1234, (void *)0x7fffdeadbeef, (void *)0x10, (void *)0x10);
	SAME("[%p][%10p]", (void *)0, (void *)0);
	SAME("%%|100%%|%s%%", "x");
	SAME("[%s][%.3s][%.8s]", null_string, null_string, null_string);
	SAME("%s", "");
}

Test(format, doubles_as_glibc)
{
	const double values[] = { 0.0, -0.0, 0.5, 1.5, 2.5, 0.25, 0.125, 0.05, 1e-7, 0.0000005,
				  0.0000015, 0.0000025, 123.456, 999.9999995, 9.9999996, 0.3,
				  1e15, 1e22, 1.7976931348623157e308, DBL_MIN, 4.9e-324, 12345.6789,
				  -3.75, 1e-300, 0.95, 0.05, 2.675, 1.0 / 3 };

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		double v = values[i];

		SAME("%f|%.6f|%.1f|%.0f|%.3f|%.10f", v, v, v, v, v, v);
		SAME("[%12.3f][%-12.3f][%012.3f][%+.2f][% .2f][%#.0f][%F]", v, v, v, v, v, v, v);
		SAME("%.40f|%.1100f", v, v);
	}
	SAME("%f|%f|%f|%F|%5f|%-5f|%05f", INFINITY, -INFINITY, NAN, INFINITY, INFINITY, -INFINITY,
	     INFINITY);
}

/* The runtime prints times in seconds (%.6f) and microseconds (%.1f): any value. */
Test(format, random_times_as_glibc)
{
	srand(1);
	for (int i = 0; i < 200000; i++) {
		double v = (double)rand() / RAND_MAX * pow(10, rand() % 12 - 6);
		uint64_t bits = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 11 ^ (uint64_t)rand();
		double any;

		memcpy(&any, &bits, sizeof(any));
		SAME("%.6f %.1f", v, v);
		if (isfinite(any) && fabs(any) < 1e30)
			SAME("%.6f %.1f %.17f", any, any, any);
	}
}

Test(format, truncates_as_snprintf)
{
	char small[8];

	cr_assert_eq(dune_format(small, sizeof(small), "%s-%d", "abcdef", 12345), 12);
	cr_assert_str_eq(small, "abcdef-");
	cr_assert_eq(dune_format(NULL, 0, "%d", 123456), 6);
	cr_assert_eq(dune_format(small, 1, "%d", 1), 1);
	cr_assert_str_eq(small, "");
}

Test(format, what_it_does_not_know_is_copied_as_it_stands)
{
	const char *volatile trailing = "x%";
	char buf[64];
	int n;

	dune_format(buf, sizeof(buf), "a%nb", &n);
	cr_assert_str_eq(buf, "a%nb");
	dune_format(buf, sizeof(buf), trailing);
	cr_assert_str_eq(buf, "x%");
}

Test(format, strerror_as_glibc_in_the_c_locale)
{
	for (int e = 0; e < 140; e++)
		cr_assert_str_eq(dune_strerror(e), strerror(e), "errno %d", e);
	cr_assert_str_eq(dune_strerror(9999), strerror(9999));
	cr_assert_str_eq(dune_strerror(-5), strerror(-5));
}
