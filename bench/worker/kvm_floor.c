/* kvm_floor.c: the platform floor, the cheapest exit a KVM user space can
 * take: a bare guest of four pages, no dune runtime, whose code is
 *     1: out %al, $0x10 ; jmp 1b
 * at CPL0 in 64-bit mode (the mode dune's guests run in, so the floor is
 * the same kind of exit dune's syscalls take). Each KVM_RUN returns with
 * KVM_EXIT_IO; resuming completes the `out` and runs to the next one. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "worker.h"

/* Guest-physical layout: page tables first, the code after them. */
#define GPA_PML4 0x0000
#define GPA_PDPT 0x1000
#define GPA_PD 0x2000
#define GPA_CODE 0x3000
#define GUEST_SIZE 0x4000
#define FLOOR_PORT 0x10

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

struct floor_vm {
	int kvm, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

static int fail(char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s: %s", what, strerror(errno));
	return MEASURE_FAILED;
}

/* One 2 MiB page maps the first 2 MiB identically: enough for 16 KiB. */
static void write_guest(uint8_t *mem)
{
	static const uint8_t code[] = { 0xe6, FLOOR_PORT, 0xeb, 0xfc };
	uint64_t *pml4 = (uint64_t *)(mem + GPA_PML4);
	uint64_t *pdpt = (uint64_t *)(mem + GPA_PDPT);
	uint64_t *pd = (uint64_t *)(mem + GPA_PD);

	pml4[0] = GPA_PDPT | PTE_P | PTE_RW;
	pdpt[0] = GPA_PD | PTE_P | PTE_RW;
	pd[0] = 0 | PTE_P | PTE_RW | PTE_PS;
	memcpy(mem + GPA_CODE, code, sizeof(code));
}

/* Long mode needs the LM bit in the vCPU's CPUID, or KVM refuses EFER.LME:
 * give it everything KVM supports. */
static int setup_cpuid(struct floor_vm *f)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		int r;

		if (!c)
			return -1;
		c->nent = n;
		r = ioctl(f->kvm, KVM_GET_SUPPORTED_CPUID, c);
		if (r == 0)
			r = ioctl(f->vcpu, KVM_SET_CPUID2, c);
		free(c);
		if (r == 0 || errno != E2BIG)
			return r;
	}
	return -1;
}

static int setup_sregs(struct floor_vm *f)
{
	struct kvm_sregs s;
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x8, .type = 0xb,
				    .present = 1, .dpl = 0, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0x3,
				    .present = 1, .dpl = 0, .s = 1, .db = 1, .g = 1 };

	if (ioctl(f->vcpu, KVM_GET_SREGS, &s))
		return -1;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s.cr3 = GPA_PML4;
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	return ioctl(f->vcpu, KVM_SET_SREGS, &s);
}

static int setup_regs(struct floor_vm *f)
{
	struct kvm_regs r = { .rip = GPA_CODE, .rflags = 0x2 };

	return ioctl(f->vcpu, KVM_SET_REGS, &r);
}

static int floor_open(struct floor_vm *f, char *why, size_t len)
{
	struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0,
						      .memory_size = GUEST_SIZE };
	int size;

	f->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (f->kvm < 0) {
		snprintf(why, len, "cannot open /dev/kvm: %s", strerror(errno));
		return MEASURE_UNSUPPORTED;
	}
	f->vm = ioctl(f->kvm, KVM_CREATE_VM, 0);
	if (f->vm < 0)
		return fail(why, len, "KVM_CREATE_VM");
	f->mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->mem == MAP_FAILED)
		return fail(why, len, "mmap of guest memory");
	write_guest(f->mem);
	region.userspace_addr = (uint64_t)f->mem;
	if (ioctl(f->vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail(why, len, "KVM_SET_USER_MEMORY_REGION");
	f->vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	if (f->vcpu < 0)
		return fail(why, len, "KVM_CREATE_VCPU");
	size = ioctl(f->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return fail(why, len, "KVM_GET_VCPU_MMAP_SIZE");
	f->run_size = (size_t)size;
	f->run = mmap(NULL, f->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, f->vcpu, 0);
	if (f->run == MAP_FAILED)
		return fail(why, len, "mmap of kvm_run");
	if (setup_cpuid(f))
		return fail(why, len, "KVM_SET_CPUID2");
	if (setup_sregs(f))
		return fail(why, len, "KVM_SET_SREGS (64-bit mode)");
	if (setup_regs(f))
		return fail(why, len, "KVM_SET_REGS");
	return MEASURE_OK;
}

/* One round trip; anything but our `out` is a broken floor. */
static int floor_exit(struct floor_vm *f, char *why, size_t len)
{
	if (ioctl(f->vcpu, KVM_RUN, 0))
		return fail(why, len, "KVM_RUN");
	if (f->run->exit_reason == KVM_EXIT_IO && f->run->io.port == FLOOR_PORT &&
	    f->run->io.direction == KVM_EXIT_IO_OUT)
		return MEASURE_OK;
	snprintf(why, len, "the bare guest exited with reason %u, not our out to port %#x",
		 f->run->exit_reason, FLOOR_PORT);
	return MEASURE_FAILED;
}

int measure_kvm_floor(long iterations, double *ns_per_op, char *why, size_t len)
{
	static struct floor_vm f = { .kvm = -1, .vm = -1, .vcpu = -1 };
	static bool opened; /* one VM per process, however often we measure */
	int r = opened ? MEASURE_OK : floor_open(&f, why, len);
	double t0;

	opened = r == MEASURE_OK;
	/* The first runs fault the guest's pages in and build KVM's shadow state. */
	for (long i = 0; r == MEASURE_OK && i < iterations / 10 + 10; i++)
		r = floor_exit(&f, why, len);
	if (r)
		return r;
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		if ((r = floor_exit(&f, why, len)))
			return r;
	*ns_per_op = (now_ns() - t0) / iterations;
	return MEASURE_OK;
}
