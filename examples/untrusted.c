/* untrusted.c: the code the sandbox example runs at ring 3.
 *
 * A plugin built without libc (-nostdlib, no stack protector: the sandbox
 * shows it nothing but its own pages and a stack), so everything it does is
 * a raw syscall, which the sandbox's filter judges. untrusted_entry(mode,
 * arg) never returns: it ends with exit. */
#include <stdint.h>
#include <sys/syscall.h>

static long sys(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static long len(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sys(SYS_write, 1, (long)s, len(s));
}

/* "result: -N\n" without libc */
static void say_result(const char *what, long r)
{
	char buf[64];
	int n = 0;
	unsigned long u = r < 0 ? -r : r;
	char digits[24];
	int d = 0;

	for (const char *p = what; *p; p++)
		buf[n++] = *p;
	buf[n++] = ' ';
	if (r < 0)
		buf[n++] = '-';
	do
		digits[d++] = (char)('0' + u % 10);
	while ((u /= 10) && d < 20);
	while (d)
		buf[n++] = digits[--d];
	buf[n++] = '\n';
	sys(SYS_write, 1, (long)buf, n);
}

__attribute__((noreturn)) static void leave(long status)
{
	for (;;)
		sys(SYS_exit, status, 0, 0);
}

__attribute__((noreturn)) void untrusted_entry(long mode, uint64_t secret)
{
	switch (mode) {
	case 0: /* polite: what the filter allows, and one thing it does not */
		say("untrusted: hello from ring 3\n");
		say_result("untrusted: getpid > 0:", sys(SYS_getpid, 0, 0, 0) > 0);
		say_result("untrusted: open /etc/passwd:",
			   sys(SYS_open, (long)"/etc/passwd", 0, 0));
		leave(7);
	case 1: /* snoop: read the sandbox's secret directly */
		say("untrusted: reading the secret\n");
		say_result("untrusted: secret is", *(volatile long *)secret);
		leave(0);
	case 2: /* leak: have the kernel write the secret for it */
		say_result("untrusted: write(secret):", sys(SYS_write, 1, (long)secret, 8));
		leave(3);
	case 3: /* escape: call dune's own requests, then a privileged instruction */
		say_result("untrusted: libdune request:", sys(0x44554e4c, 10, 0, 0));
		say_result("untrusted: dune query:", sys(0x44554e45, 0, 0, 0));
		__asm__ volatile("cli");
		say("untrusted: interrupts off\n");
		leave(0);
	default:
		leave(1);
	}
}
