/* string_test.c: the runtime's own memory and string functions
 * (preload/string.c) answer as libc's do, overlapping moves included. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

void *rt_memcpy(void *, const void *, size_t);
void *rt_memmove(void *, const void *, size_t);
void *rt_memset(void *, int, size_t);
int rt_memcmp(const void *, const void *, size_t);
void *rt_memchr(const void *, int, size_t);
size_t rt_strlen(const char *);
size_t rt_strnlen(const char *, size_t);
int rt_strcmp(const char *, const char *);
int rt_strncmp(const char *, const char *, size_t);
char *rt_strchr(const char *, int);
char *rt_strrchr(const char *, int);
char *rt_stpcpy(char *, const char *);
char *rt_strcpy(char *, const char *);
size_t rt_strcspn(const char *, const char *);
char *rt_strpbrk(const char *, const char *);
char *rt_strstr(const char *, const char *);
void *rt_memmem(const void *, size_t, const void *, size_t);

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void fill(unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 37 + 11);
}

Test(string, memmove_matches_libc_at_every_overlap)
{
	unsigned char a[300], b[300];

	for (size_t len = 0; len < 64; len += 7)
		for (int shift = -20; shift <= 20; shift++) {
			fill(a, sizeof(a));
			fill(b, sizeof(b));
			cr_assert_eq(rt_memmove(a + 100 + shift, a + 100, len), a + 100 + shift);
			memmove(b + 100 + shift, b + 100, len);
			cr_assert_arr_eq(a, b, sizeof(a), "len %zu shift %d", len, shift);
		}
}

Test(string, memcpy_and_memset_write_exactly_their_bytes)
{
	unsigned char a[4096 + 64], b[4096 + 64], src[4096];

	fill(src, sizeof(src));
	for (size_t len = 0; len <= 4096; len = len * 2 + 1) {
		memset(a, 0xaa, sizeof(a));
		memset(b, 0xaa, sizeof(b));
		cr_assert_eq(rt_memcpy(a + 3, src, len), a + 3);
		memcpy(b + 3, src, len);
		cr_assert_arr_eq(a, b, sizeof(a), "memcpy %zu", len);
		cr_assert_eq(rt_memset(a + 5, 0x1c5, len), a + 5); /* the byte is c's low 8 bits */
		memset(b + 5, 0x1c5, len);
		cr_assert_arr_eq(a, b, sizeof(a), "memset %zu", len);
	}
}

Test(string, comparisons_and_searches_match_libc)
{
	static const char *const s[] = { "", "a", "ab", "abc", "abd", "\xff", "a\xff",
					  "/proc/self/mem", "Threads:\t3\n", "aaab" };
	const size_t n = sizeof(s) / sizeof(s[0]);

	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(rt_strlen(s[i]), strlen(s[i]));
		cr_assert_eq(rt_strnlen(s[i], 2), strnlen(s[i], 2));
		cr_assert_eq(rt_strchr(s[i], 'b'), strchr(s[i], 'b'));
		cr_assert_eq(rt_strchr(s[i], 0), strchr(s[i], 0));
		cr_assert_eq(rt_strrchr(s[i], 'a'), strrchr(s[i], 'a'));
		cr_assert_eq(rt_memchr(s[i], 'c', strlen(s[i])), memchr(s[i], 'c', strlen(s[i])));
		cr_assert_eq(rt_strcspn(s[i], " :b"), strcspn(s[i], " :b"));
		cr_assert_eq(rt_strpbrk(s[i], "c\t"), strpbrk(s[i], "c\t"));
		for (size_t j = 0; j < n; j++) {
			cr_assert_eq(sign(rt_strcmp(s[i], s[j])), sign(strcmp(s[i], s[j])), "%zu %zu", i, j);
			cr_assert_eq(sign(rt_strncmp(s[i], s[j], 2)), sign(strncmp(s[i], s[j], 2)));
			cr_assert_eq(sign(rt_memcmp(s[i], s[j], 1)), sign(memcmp(s[i], s[j], 1)));
			cr_assert_eq(rt_strstr(s[i], s[j]), strstr(s[i], s[j]), "%zu %zu", i, j);
			for (size_t k = 0; k <= strlen(s[j]); k++)
				cr_assert_eq(rt_memmem(s[i], strlen(s[i]) + 1, s[j], k),
					     memmem(s[i], strlen(s[i]) + 1, s[j], k), "%zu %zu %zu", i, j, k);
		}
	}
}

Test(string, copies_end_where_libc_ends)
{
	char a[32], b[32];

	memset(a, 'x', sizeof(a));
	memset(b, 'x', sizeof(b));
	cr_assert_eq(rt_stpcpy(a, "dune"), a + 4);
	cr_assert_eq(stpcpy(b, "dune"), b + 4);
	cr_assert_eq(rt_strcpy(a + 10, "run"), a + 10);
	strcpy(b + 10, "run");
	cr_assert_arr_eq(a, b, sizeof(a));
}
