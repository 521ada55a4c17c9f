/* string.c: the runtime's own string and memory functions.
 *
 * libc's are not pure enough for the host side: memcpy and memmove choose
 * their loop by thresholds in libc's writable data (a program that lowered
 * __x86_shared_non_temporal_threshold sent a 1 KiB copy into the loop for
 * large ones, which then ran past the end of its buffer), and strstr,
 * memmem or strcspn call helpers through libc's lazily bound PLT, whose slots the
 * program can write. These read their arguments and nothing else. They are
 * hidden: the runtime's own calls, the compiler's struct copies included,
 * bind to them at link time, and no other object sees them.
 *
 * Built without the compiler's loop-to-call rewriting (CMakeLists.txt):
 * memset written as a loop must not become a call to memset.
 */
#include <stddef.h>
#include <stdint.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

HIDDEN void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst - (uintptr_t)src >= n) /* no overlap, or dst below src */
		return memcpy(dst, src, n);
	/* Backwards, from the last byte: the source's tail is read before it
	 * is overwritten. */
	void *d = (char *)dst + n - 1;
	const void *s = (const char *)src + n - 1;

	__asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

HIDDEN void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

HIDDEN int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

HIDDEN void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

HIDDEN size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

HIDDEN size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

HIDDEN int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

HIDDEN int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

HIDDEN char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

HIDDEN char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

HIDDEN char *stpcpy(char *restrict dst, const char *restrict src)
{
	while ((*dst = *src))
		dst++, src++;
	return dst;
}

HIDDEN char *strcpy(char *restrict dst, const char *restrict src)
{
	stpcpy(dst, src);
	return dst;
}

HIDDEN size_t strcspn(const char *s, const char *reject)
{
	size_t n = 0;

	while (s[n] && !strchr(reject, s[n]))
		n++;
	return n;
}

HIDDEN char *strpbrk(const char *s, const char *accept)
{
	s += strcspn(s, accept);
	return *s ? (char *)s : NULL;
}

HIDDEN char *strstr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return (char *)hay;
	return n ? NULL : (char *)hay;
}

HIDDEN void *memmem(const void *hay, size_t n, const void *needle, size_t len)
{
	const unsigned char *h = hay;

	for (size_t i = 0; i + len <= n; i++)
		if (!memcmp(h + i, needle, len))
			return (void *)(h + i);
	return NULL;
}
