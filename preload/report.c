/* report.c: the exit report, printed on stderr at exit when DUNE_REPORT=1. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "forward.h"
#include "guest.h"
#include "log.h"
#include "rawsys.h"

static const char *const exit_names[EXIT_KINDS] = {
	[EXIT_SYSCALL_STUB] = "syscall via stub",
	[EXIT_SYSCALL_SITE] = "syscall via rewritten site",
	[EXIT_EXCEPTION] = "exception",
	[EXIT_INTERRUPTED] = "host signal",
	[EXIT_SYSCALL_EXITLESS] = "syscall taken over from server",
};

static const char *const vector_names[32] = {
	[0] = "divide-error", [1] = "debug", [3] = "breakpoint", [4] = "overflow",
	[5] = "bound-range", [6] = "invalid-opcode", [7] = "device-not-available",
	[8] = "double-fault", [13] = "general-protection", [14] = "page-fault",
	[16] = "x87-error", [17] = "alignment-check", [19] = "simd-error",
};

static int report_fd = 2;

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	dune_write_fd(report_fd, buf, n);
}

/* Every vCPU's counts, and those of the threads that exited. Threads still
 * running may add to theirs meanwhile: a report is a snapshot. */
static void sum_stats(struct guest *g, struct vcpu_stats *sum)
{
	*sum = g->exited_stats;
	for (const struct vcpu *v = g->all_vcpus; v; v = v->next_all) {
		const uint64_t *b = (const uint64_t *)&v->stats;
		uint64_t *a = (uint64_t *)sum;

		for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
			a[i] += __atomic_load_n(&b[i], __ATOMIC_RELAXED);
	}
}

static bool counts_syscalls(const struct dune_policy *p)
{
	bool any = p->other.count;

	for (int i = 0; i < p->nsyscalls && p->syscalls; i++)
		any |= p->syscalls[i].count;
	return any;
}

/* The policy's count list: which syscalls the report names (all if none). */
static int counted(const struct guest *g, int nr, bool any_count)
{
	return !any_count || policy_syscall(&g->policy, nr)->count;
}

void report_print(struct guest *g)
{
	static struct vcpu_stats sum; /* too big for the host stack's taste */
	const struct vcpu_stats *s = &sum;
	uint64_t total_exits = 0, total_calls = 0, shown = 0, wall_ns, ticks;
	bool any_count;
	char name[32];

	if (!g->cfg.report || !g->main_vcpu)
		return;
	report_fd = g->report_fd;
	sum_stats(g, &sum);
	any_count = counts_syscalls(&g->policy);
	for (int k = 0; k < EXIT_KINDS; k++)
		total_exits += s->exits[k];
	for (int i = 0; i < NR_SYSCALLS_TRACKED; i++)
		total_calls += s->syscalls[i];

	wall_ns = raw_now_ns() - g->start_ns;
	ticks = __builtin_ia32_rdtsc() - g->start_tsc;
	line("dune: exit report for pid %ld (backend %s, program at CPL%d)", raw_syscall0(SYS_getpid),
	     g->backend->name, g->cfg.ring);
	line("dune:   host             syscall stubs at CPL%d, I/O exits report rip %s, "
	     "one exit %.1f us", g->platform.syscall_stays_user ? 3 : 0,
	     g->platform.io_exit_past ? "past the out" : "at the out", g->platform.exit_ns / 1e3);
	line("dune:   time in guest    %.6f s of %.6f s since entry",
	     ticks ? wall_ns / 1e9 * s->guest_tsc / ticks : 0.0, wall_ns / 1e9);
	line("dune:   exits            %llu", (unsigned long long)total_exits);
	for (int k = 0; k < EXIT_KINDS; k++)
		if (s->exits[k])
			line("dune:     %-26s %llu", exit_names[k], (unsigned long long)s->exits[k]);
	line("dune:   syscalls         %llu (%llu sites rewritten)%s", (unsigned long long)total_calls,
	     (unsigned long long)s->sites_rewritten,
	     enforce_filter_in_guest() ? "; denied in the guest without an exit: not counted" : "");
	if (g->cfg.forward != POLICY_FORWARD_EXIT)
		line("dune:   forwarded without an exit %llu (mode %s; servers busy %.6f s)",
		     (unsigned long long)s->forwarded, forward_mode_name(g),
		     ticks ? wall_ns / 1e9 * s->server_busy_tsc / ticks : 0.0);
	if (any_count)
		line("dune:   counted by the policy:");
	/* By count, highest first: a selection sort over what was called. */
	for (uint64_t last = UINT64_MAX; shown < total_calls;) {
		uint64_t best = 0;

		for (int i = 0; i < NR_SYSCALLS_TRACKED; i++)
			if (s->syscalls[i] < last && s->syscalls[i] > best && counted(g, i, any_count))
				best = s->syscalls[i];
		if (!best)
			break;
		for (int i = 0; i < NR_SYSCALLS_TRACKED; i++) {
			if (s->syscalls[i] != best || !counted(g, i, any_count))
				continue;
			if (i < dune_syscall_count && dune_syscall_names[i])
				snprintf(name, sizeof(name), "%s", dune_syscall_names[i]);
			else
				snprintf(name, sizeof(name), "syscall_%d", i);
			line("dune:     %-26s %llu", name, (unsigned long long)best);
			shown += best;
		}
		last = best;
	}
	line("dune:   page faults resolved by dune %llu", (unsigned long long)s->faults_fixed);
	line("dune:   page faults of the program %llu", (unsigned long long)s->faults_program);
	for (int vec = 0; vec < 32; vec++)
		if (s->exceptions[vec])
			line("dune:     %-26s %llu",
			     vector_names[vec] ? vector_names[vec] : "exception",
			     (unsigned long long)s->exceptions[vec]);
	line("dune:   memory slots %d, page-table pages %llu", g->nr_slots,
	     (unsigned long long)g->pt.tables);
}
