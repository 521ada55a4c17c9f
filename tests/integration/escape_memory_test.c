/* escape_memory_test.c: nothing of the runtime is reachable from the guest.
 * A hostile program (programs/escape_memory.c) finds libdunepre.so through
 * /proc/self/maps and its ELF file, and goes for its data, its GOT, the
 * guest state with the policy in it, and for the libc state the runtime
 * uses on the host (printf's handlers); every access must fault as one to
 * an unmapped page does, and the policy must hold afterwards. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define ESCAPE_MEMORY TEST_PROGRAM_DIR "/escape_memory"
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static char *scratch_path(const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", scratch_dir(), name) > 0);
	rmdir(p);
	unlink(p);
	return p;
}

static char *deny_mkdir(void)
{
	return policy_env("memory-deny-mkdir.conf", "[syscalls]\ndeny = mkdir, mkdirat\n");
}

/* How a read of a page the program unmapped ends, natively and under dune. */
static const char *const UNMAPPED_READ = "unmapped page read: SIGSEGV SEGV_MAPERR, at the address";

Test(escape_memory, an_unmapped_page_faults_the_same_under_dune)
{
	struct run_result native, dune;

	require_kvm();
	native = run_program(ARGV(ESCAPE_MEMORY, "unmapped"), NULL, 0, NULL);
	dune = run_program(ARGV(ESCAPE_MEMORY, "unmapped"), NULL, 1, NULL);
	cr_expect(strstr(native.out, UNMAPPED_READ), "natively: %s", native.out);
	cr_expect_str_eq(dune.out, native.out, "stderr: %s", dune.err);
	cr_expect_eq(dune.status, 0);
}

/* Every line "mapping PERMS offset OFF {read,write}: RESULT" of a hidden
 * mapping must be the fault of an unmapped page. The first segment (the
 * ELF headers, read-only, offset 0) stays readable: see preload/memory.c. */
static void expect_hidden_lines(const char *out, const char *label)
{
	int hidden = 0;

	for (const char *l = out; (l = strstr(l, label)); l++) {
		const char *colon = strchr(l, ':'), *end = strchr(l, '\n');
		char line[256];

		cr_assert(colon && end);
		snprintf(line, sizeof(line), "%.*s", (int)(end - l), l);
		if (strstr(line, "r--p offset 0 ") && strstr(line, "read:")) {
			cr_expect(strstr(line, ": ok"), "the headers are no longer readable: %s", line);
			continue;
		}
		if (strstr(line, "r--p offset 0 "))
			continue; /* a write there faults, with ACCERR as natively: read-only */
		cr_expect(strstr(line, ": SIGSEGV SEGV_MAPERR, at the address"),
			  "not like an unmapped page: %s", line);
		hidden++;
	}
	cr_expect_gt(hidden, 0, "no hidden mapping tried:\n%s", out);
}

Test(escape_memory, libdunepre_mappings_fault_like_unmapped_pages)
{
	char *dir = scratch_path("memory-mappings");
	struct run_result r;
	struct stat st;

	require_kvm();
	r = run_program(ARGV(ESCAPE_MEMORY, "mappings", dir), ENV(deny_mkdir()), 1, NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.out, "libdunepre.so mappings: ") && !strstr(r.out, "mappings: 0"),
		  "libdunepre.so not in /proc/self/maps: %s", r.out);
	expect_hidden_lines(r.out, "mapping ");
	cr_expect(strstr(r.out, "mkdir after the attempts: Operation not permitted"),
		  "the policy did not hold: %s", r.out);
	cr_expect_neq(stat(dir, &st), 0, "the directory was made");
}

/* .dynamic, .got, .data, .bss and dune_guest, found from the file's tables. */
Test(escape_memory, the_guest_state_and_got_are_out_of_reach)
{
	char *dir = scratch_path("memory-symbols");
	const char *const parts[] = { ".dynamic read", ".dynamic write", ".got read", ".got write",
				      ".data read", ".data write", ".bss read", ".bss write",
				      "dune_guest read", "dune_guest write" };
	struct run_result r;
	struct stat st;

	require_kvm();
	r = run_program(ARGV(ESCAPE_MEMORY, "symbols", dir), ENV(deny_mkdir()), 1, NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.out, "dlsym dune_guest: not found"), "dune_guest is exported: %s", r.out);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char want[128];

		snprintf(want, sizeof(want), "%s: SIGSEGV SEGV_MAPERR, at the address", parts[i]);
		cr_expect(strstr(r.out, want), "%s: not faulting like an unmapped page:\n%s", parts[i],
			  r.out);
	}
	cr_expect(!strstr(r.out, ": ok"), "an access succeeded:\n%s", r.out);
	cr_expect(strstr(r.out, "mkdir after the attempts: Operation not permitted"),
		  "the policy did not hold: %s", r.out);
	cr_expect_neq(stat(dir, &st), 0, "the directory was made");
}

/* The policy's strings and tables live in the runtime's hidden arena, not
 * in the program's heap: a string only the policy holds (its log's path)
 * is in no page the program can read. */
Test(escape_memory, the_policy_is_in_no_memory_the_program_reads)
{
	const char *marker = "policy-marker-3f9c2a7e";
	char reversed[64], *text, *log;
	size_t len = strlen(marker);
	struct run_result r;

	require_kvm();
	for (size_t i = 0; i < len; i++)
		reversed[i] = marker[len - 1 - i];
	reversed[len] = '\0';
	log = scratch_path("policy-marker-3f9c2a7e.log");
	cr_assert(asprintf(&text, "[dune]\nlog = %s\n[syscalls]\ntrace = mkdir\n", log) > 0);
	r = run_program(ARGV(ESCAPE_MEMORY, "heap", reversed),
			ENV(policy_env("memory-marker.conf", text)), 1, NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.out, "control found: yes"), "the search does not work: %s", r.out);
	cr_expect(strstr(r.out, "hidden mappings: some"), "nothing of the runtime hidden: %s", r.out);
	cr_expect(strstr(r.out, "found elsewhere: 0"), "the policy is readable: %s", r.out);
}

/* A kernel copy that starts in the program's memory right below the runtime's
 * page-table pool stops at its guard page, as natively at the end of the
 * mapping; without the guard it would write the page tables. */
Test(escape_memory, a_kernel_copy_stops_before_the_runtimes_memory)
{
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(ESCAPE_MEMORY, "below-pool"), NULL, 1, NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.out, "16 bytes, stopped at the end of the page") ||
			  strstr(r.out, ": EFAULT"),
		  "%s", r.out);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (f) {
		fread(buf, 1, 65535, f);
		fclose(f);
	}
	return buf;
}

/* printf's handlers are the program's: the runtime's trace lines and exit
 * report, formatted on the host, never call them. */
Test(escape_memory, printf_handlers_of_the_program_never_run_on_the_host)
{
	char *marker = scratch_path("printf-handler-ran");
	char *log = scratch_path("printf-trace.log"), *text, *trace, want[64];
	struct run_result native, dune;
	struct stat st;
	int pid;

	require_kvm();
	native = run_program(ARGV(ESCAPE_MEMORY, "printf", marker), NULL, 0, NULL);
	cr_assert_eq(native.status, 0, "natively: status %d", native.status);
	cr_assert_neq(stat(marker, &st), 0, "natively the handler ran");

	cr_assert(asprintf(&text, "[dune]\nlog = %s\nreport = yes\n[syscalls]\ntrace = getpid\n",
			   log) > 0);
	dune = run_program(ARGV(ESCAPE_MEMORY, "printf", marker),
			   ENV(policy_env("printf.conf", text)), 1, NULL);
	cr_expect_eq(dune.status, 0, "status %d, stderr: %s", dune.status, dune.err);
	cr_expect_neq(stat(marker, &st), 0, "the program's printf handler ran under dune");
	cr_assert_eq(sscanf(dune.out, "pid %d", &pid), 1, "stdout: %s", dune.out);
	trace = read_file(log);
	snprintf(want, sizeof(want), "%d getpid() = %d\n", pid, pid);
	cr_expect(strstr(trace, want), "the trace log lacks \"%s\": %s", want, trace);
	snprintf(want, sizeof(want), "dune: exit report for pid %d (backend ", pid);
	cr_expect(strstr(dune.err, want), "the report lacks \"%s\": %s", want, dune.err);
	cr_expect(strstr(dune.err, "dune:   time in guest    0."), "report: %s", dune.err);
}
