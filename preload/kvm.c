/* kvm.c: the /dev/kvm backend.
 *
 * One VM per process, one vCPU per thread. Registers travel through the
 * kvm_run page (KVM_CAP_SYNC_REGS), so a syscall exit costs one ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "backend.h"
#include "cpu.h"
#include "fds.h"
#include "log.h"
#include "platform.h"
#include "rawsys.h"

_Static_assert(sizeof(struct guest_regs) == sizeof(struct kvm_regs), "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rip) == offsetof(struct kvm_regs, rip), "rip");
_Static_assert(offsetof(struct guest_regs, r15) == offsetof(struct kvm_regs, r15), "r15");
_Static_assert(offsetof(struct guest_regs, rbx) == 8 && offsetof(struct guest_regs, rbp) == 56 &&
	       offsetof(struct guest_regs, r12) == 96 && offsetof(struct guest_regs, rsp) == 48,
	       "enter.S offsets");

#define MSR_IA32_TSC 0x10

struct kvm_vcpu_state {
	struct kvm_run *run;
	size_t run_size;
	struct kvm_xsave xsave; /* saved across fork */
};

static int kvm_fd = -1;
static int vm_fd = -1;
static int next_slot;
static int max_slots;
static struct kvm_cpuid2 *cpuid;
/* VM entry on Intel demands a busy TSS (type 11). SVM checks nothing, but
 * QEMU's emulated CPUs, under which we test, grant CPL3 I/O through the TSS
 * bitmap only for type 9: give each what it wants (set in kvm_open). */
static uint8_t tss_type;
/* How the host reports exits (the probe's findings); NULL until it ran. */
static const struct platform *platform;

/* ioctl returning -errno: no libc wrapper may run once the guest does. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	return (int)raw_ioctl(fd, req, arg);
}

static struct kvm_cpuid2 *supported_cpuid(void)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (xioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
	}
	return NULL;
}

/* Replace KVM's hypervisor leaves by dune's signature at 0x40000000. */
static void set_signature(struct kvm_cpuid2 *c)
{
	uint32_t out = 0;
	bool have = false;

	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 0x40000000) {
			e->eax = 0x40000000;
			memcpy(&e->ebx, "Dune", 4);
			memcpy(&e->ecx, "Dune", 4);
			memcpy(&e->edx, "Dune", 4);
			have = true;
		} else if ((e->function & 0xffff0000) == 0x40000000) {
			continue; /* drop KVM's paravirtual feature leaves */
		}
		c->entries[out++] = *e;
	}
	c->nent = out;
	if (!have) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

		memset(e, 0, sizeof(*e));
		e->function = 0x40000000;
		e->eax = 0x40000000;
		memcpy(&e->ebx, "DuneDuneDune", 12);
	}
}

static int kvm_open(char *why, size_t len)
{
	int r;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			snprintf(why, len, "/dev/kvm does not exist: this machine has no KVM. Enable "
				 "VT-x or AMD-V and load kvm_intel or kvm_amd (modprobe kvm_intel), "
				 "or run the program inside tests/vm/kvm-run");
		else if (e == EACCES || e == EPERM)
			snprintf(why, len, "cannot open /dev/kvm: %s. Give this user access to it "
				 "(usermod -aG kvm USER, then log in again)", strerror(e));
		else
			snprintf(why, len, "cannot open /dev/kvm: %s", strerror(e));
		return -e;
	}
	kvm_fd = fd_protect(kvm_fd);
	r = xioctl(kvm_fd, KVM_GET_API_VERSION, NULL);
	if (r < 0) {
		snprintf(why, len, "/dev/kvm is not a working KVM device (%s)", strerror(-r));
		return r;
	}
	if (r != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm speaks KVM API version %d, dune needs %d", r,
			 KVM_API_VERSION);
		return -EINVAL;
	}
	if (xioctl(kvm_fd, KVM_CHECK_EXTENSION, (void *)KVM_CAP_SYNC_REGS) <= 0) {
		snprintf(why, len, "this KVM lacks KVM_CAP_SYNC_REGS (Linux 4.16 or newer needed)");
		return -EINVAL;
	}
	max_slots = xioctl(kvm_fd, KVM_CHECK_EXTENSION, (void *)KVM_CAP_NR_MEMSLOTS);
	if (max_slots <= 0)
		max_slots = 32;
	vm_fd = fd_protect(xioctl(kvm_fd, KVM_CREATE_VM, (void *)0));
	if (vm_fd < 0) {
		snprintf(why, len, "KVM_CREATE_VM failed: %s", strerror(-vm_fd));
		return vm_fd;
	}
	cpuid = supported_cpuid();
	if (!cpuid) {
		snprintf(why, len, "KVM_GET_SUPPORTED_CPUID failed");
		return -EINVAL;
	}
	set_signature(cpuid);
	tss_type = host_cpuid(0, 0).ebx == 0x756e6547 /* "Genu" */ ? 0xb : 0x9;
	return 0;
}

static int kvm_add_memory(uint64_t start, uint64_t size)
{
	struct kvm_userspace_memory_region region = {
		.slot = next_slot,
		.guest_phys_addr = start,
		.memory_size = size,
		.userspace_addr = start,
	};
	int r;

	if (next_slot >= max_slots)
		return -ENOSPC;
	r = xioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (r == 0)
		next_slot++;
	return r;
}

static void set_segment(struct kvm_segment *s, uint16_t sel, int code, int dpl)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel,
		.type = code ? 0xb : 0x3, .present = 1, .dpl = dpl, .s = 1,
		.l = code, .db = !code, .g = 1,
	};
}

static uint64_t xcr0_supported(void)
{
	uint32_t lo, hi;
	uint64_t host, allowed = 0;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	host = (uint64_t)hi << 32 | lo;
	for (uint32_t i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0xd && cpuid->entries[i].index == 0)
			allowed = (uint64_t)cpuid->entries[i].edx << 32 | cpuid->entries[i].eax;
	return host & allowed;
}

static int set_msrs(int fd, const struct cpu_setup *c)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[4];
	} m = { .hdr.nmsrs = 4 };

	m.e[0] = (struct kvm_msr_entry){ .index = MSR_STAR, .data = c->star };
	m.e[1] = (struct kvm_msr_entry){ .index = MSR_LSTAR, .data = c->lstar };
	m.e[2] = (struct kvm_msr_entry){ .index = MSR_SFMASK, .data = c->sfmask };
	m.e[3] = (struct kvm_msr_entry){ .index = MSR_CSTAR, .data = c->lstar };
	return xioctl(fd, KVM_SET_MSRS, &m) == 4 ? 0 : -EINVAL;
}

/* Guest TSC = host TSC, so the vDSO's clock works unchanged in the guest. */
static void set_tsc(int fd)
{
	uint64_t zero = 0;
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET, .addr = (uint64_t)&zero,
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1 };

	if (xioctl(fd, KVM_SET_DEVICE_ATTR, &attr) == 0)
		return;
	m.e = (struct kvm_msr_entry){ .index = MSR_IA32_TSC, .data = __builtin_ia32_rdtsc() };
	xioctl(fd, KVM_SET_MSRS, &m);
}

static int set_sregs(int fd, const struct cpu_setup *c)
{
	struct kvm_sregs s;
	int dpl = c->cpl;
	int r = xioctl(fd, KVM_GET_SREGS, &s);

	if (r)
		return r;
	set_segment(&s.cs, dpl ? SEL_USER_CS : SEL_KERNEL_CS, 1, dpl);
	set_segment(&s.ss, dpl ? SEL_USER_DS : SEL_KERNEL_DS, 0, dpl);
	set_segment(&s.ds, 0, 0, dpl);
	set_segment(&s.es, 0, 0, dpl);
	set_segment(&s.fs, 0, 0, dpl);
	set_segment(&s.gs, 0, 0, dpl);
	s.fs.base = c->fs_base;
	s.gs.base = c->gs_base;
	s.tr = (struct kvm_segment){ .base = c->tss_base, .limit = c->tss_limit,
				     .selector = SEL_TSS, .type = tss_type, .present = 1 };
	s.ldt = (struct kvm_segment){ .unusable = 1 };
	s.gdt.base = c->gdt_base;
	s.gdt.limit = c->gdt_limit;
	s.idt.base = c->idt_base;
	s.idt.limit = c->idt_limit;
	s.cr0 = c->cr0;
	s.cr3 = c->cr3;
	s.cr4 = c->cr4;
	s.efer = c->efer;
	return xioctl(fd, KVM_SET_SREGS, &s);
}

/* XCR0 first: it decides which parts of an XSAVE image the vCPU accepts. */
static int set_fpu(int fd, const void *xsave)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs[0] = { .xcr = 0, .value = xcr0_supported() } };
	int r = xioctl(fd, KVM_SET_XCRS, &xcrs);

	if (r)
		return r;
	if (xsave) {
		struct kvm_xsave image;
		uint64_t *xstate_bv = (uint64_t *)((uint8_t *)image.region + 512);

		/* KVM refuses state for components the vCPU does not have. */
		memcpy(&image, xsave, sizeof(image));
		*xstate_bv &= xcrs.xcrs[0].value;
		return xioctl(fd, KVM_SET_XSAVE, &image);
	}
	return xioctl(fd, KVM_SET_FPU, &fpu);
}

static int kvm_vcpu_reset(struct vcpu *v, const struct cpu_setup *setup,
			  const struct guest_regs *regs)
{
	int r;

	if ((r = set_sregs(v->fd, setup)) || (r = set_msrs(v->fd, setup)) ||
	    (r = set_fpu(v->fd, setup->xsave)))
		return r;
	*v->regs = *regs;
	v->regs_dirty = true;
	v->sregs_dirty = false;
	return 0;
}

static int kvm_vcpu_create(struct vcpu *v, const struct cpu_setup *setup,
			   const struct guest_regs *regs)
{
	struct kvm_vcpu_state *s;
	int fd, r;

	/* mmap, not malloc: a vCPU may be made while the guest holds malloc's lock. */
	s = raw_mmap(sizeof(*s), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!s)
		return -ENOMEM;
	fd = fd_protect(xioctl(vm_fd, KVM_CREATE_VCPU, (void *)v->id));
	if (fd < 0)
		return fd;
	v->fd = fd;
	s->run_size = xioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	s->run = raw_mmap(s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	if (!s->run)
		return -ENOMEM;
	v->backend_state = s;

	if ((r = xioctl(fd, KVM_SET_CPUID2, cpuid)))
		return r;
	set_tsc(fd);
	s->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	v->regs = (struct guest_regs *)&s->run->s.regs.regs;
	return kvm_vcpu_reset(v, setup, regs);
}

/* Load a changed FS/GS base (arch_prctl) into the vCPU. */
static int load_bases(struct vcpu *v)
{
	struct kvm_sregs s;
	int r = xioctl(v->fd, KVM_GET_SREGS, &s);

	if (r)
		return r;
	s.fs.base = v->fs_base;
	s.gs.base = v->gs_base;
	v->sregs_dirty = false;
	return xioctl(v->fd, KVM_SET_SREGS, &s);
}

static int kvm_vcpu_run(struct vcpu *v)
{
	struct kvm_vcpu_state *s = v->backend_state;
	struct kvm_run *run = s->run;
	uint64_t t0;
	long r;

	if (v->sregs_dirty && load_bases(v)) {
		dune_error("cannot load FS/GS base into the vCPU");
		return -1;
	}
	if (v->regs_dirty) {
		run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
		v->regs_dirty = false;
	}
	t0 = __builtin_ia32_rdtsc();
	r = raw_ioctl(v->fd, KVM_RUN, NULL);
	v->stats.guest_tsc += __builtin_ia32_rdtsc() - t0;
	v->exits++;
	if (r == -EINTR || r == -EAGAIN)
		return EXIT_INTERRUPTED;
	if (r < 0) {
		dune_error("KVM_RUN failed: %s (rip %#llx)", strerror((int)-r),
			   (unsigned long long)run->s.regs.regs.rip);
		return -1;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		/* Every handler sees rip at the out, as hardware reports it. */
		if (platform && platform->io_exit_past) {
			run->s.regs.regs.rip = platform_io_exit_rip(platform, run->s.regs.regs.rip);
			v->regs_dirty = true;
		}
		if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1) {
			if (run->io.port == PORT_SYSCALL_STUB)
				return EXIT_SYSCALL_STUB;
			if (run->io.port == PORT_SYSCALL_SITE)
				return EXIT_SYSCALL_SITE;
			if (run->io.port == PORT_EXCEPTION)
				return EXIT_EXCEPTION;
			if (run->io.port == PORT_EXITLESS)
				return EXIT_SYSCALL_EXITLESS;
		}
		dune_error("the guest did I/O on port %#x, which dune does not expect", run->io.port);
		return -1;
	case KVM_EXIT_INTR:
		return EXIT_INTERRUPTED;
	case KVM_EXIT_HLT:
		dune_error("the guest executed hlt at CPL0");
		return -1;
	case KVM_EXIT_SHUTDOWN:
		dune_error("the guest vCPU shut down (triple fault)");
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		dune_error("KVM could not enter the guest (hardware reason %#llx)",
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		dune_error("KVM internal error, suberror %u", run->internal.suberror);
		return -1;
	case KVM_EXIT_MMIO:
		dune_error("the guest touched %#llx, which no memory slot covers",
			   (unsigned long long)run->mmio.phys_addr);
		return -1;
	default:
		dune_error("unexpected KVM exit reason %u", run->exit_reason);
		return -1;
	}
}

/* One run of the probe: KVM_RUN until an exit that is not a signal's. */
static long probe_run(struct vcpu *v, const struct guest_regs *regs, uint64_t *ns)
{
	struct kvm_vcpu_state *s = v->backend_state;
	uint64_t t0;
	long r;

	*v->regs = *regs;
	do {
		s->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
		t0 = raw_now_ns();
		r = raw_ioctl(v->fd, KVM_RUN, NULL);
		*ns = raw_now_ns() - t0;
	} while (r == -EINTR || r == -EAGAIN);
	return r;
}

static bool probe_exited_on_site_port(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
	       run->io.port == PORT_SYSCALL_SITE;
}

static int kvm_probe(struct vcpu *v, const struct cpu_setup *c, uint64_t code, bool ring0,
		     struct platform *p)
{
	struct guest_regs regs = { .rip = code + PROBE_SYSCALL, .rflags = 0x2 };
	struct probe_exit e = { .out = code + PROBE_LSTAR };
	struct cpu_setup c0 = *c;
	struct kvm_vcpu_state *s;
	struct kvm_sregs sregs;
	uint64_t ns;
	int r;

	if ((r = kvm_vcpu_create(v, c, &regs)))
		return r;
	s = v->backend_state;
	if (probe_run(v, &regs, &ns) < 0 || !probe_exited_on_site_port(s->run))
		return -EPROTO;
	e.rip = s->run->s.regs.regs.rip;
	e.rcx = s->run->s.regs.regs.rcx;
	if ((r = xioctl(v->fd, KVM_GET_SREGS, &sregs)))
		return r;
	e.cs = sregs.cs.selector;
	if ((r = platform_from_probe(p, &e)))
		return r;
	/* Once more, timed: the first run paid for the vCPU's first entry. */
	if ((r = kvm_vcpu_reset(v, c, &regs)) || probe_run(v, &regs, &ns) < 0 ||
	    !probe_exited_on_site_port(s->run))
		return r ? r : -EPROTO;
	p->exit_ns = (uint32_t)(ns < UINT32_MAX ? ns : UINT32_MAX);
	if (ring0) {
		/* CPL0 code that PVM's emulator cannot run: an exit on the
		 * port where CPL0 runs general code, an error where it does not. */
		c0.cpl = 0;
		regs.rip = code + PROBE_RING0;
		if ((r = kvm_vcpu_reset(v, &c0, &regs)))
			return r;
		p->ring0_general = probe_run(v, &regs, &ns) == 0 && probe_exited_on_site_port(s->run);
	}
	platform = p;
	return 0;
}

static uint64_t kvm_fault_address(struct vcpu *v)
{
	struct kvm_sregs s;

	return xioctl(v->fd, KVM_GET_SREGS, &s) == 0 ? s.cr2 : 0;
}

static void kvm_dump(struct vcpu *v)
{
	struct kvm_sregs s;

	if (xioctl(v->fd, KVM_GET_SREGS, &s) == 0)
		dune_error("  cs %#x ss %#x cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx "
			   "fs.base %#llx", s.cs.selector, s.ss.selector,
			   (unsigned long long)s.cr0, (unsigned long long)s.cr2,
			   (unsigned long long)s.cr3, (unsigned long long)s.cr4,
			   (unsigned long long)s.efer, (unsigned long long)s.fs.base);
}

static void kvm_request_exit(struct vcpu *v)
{
	struct kvm_vcpu_state *s = v->backend_state;

	if (s)
		__atomic_store_n(&s->run->immediate_exit, 1, __ATOMIC_RELEASE);
}

static void kvm_clear_exit_request(struct vcpu *v)
{
	struct kvm_vcpu_state *s = v->backend_state;

	__atomic_store_n(&s->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

static int kvm_save_fpu(struct vcpu *v, void *xsave)
{
	return xioctl(v->fd, KVM_GET_XSAVE, xsave);
}

static int kvm_load_fpu(struct vcpu *v, const void *xsave)
{
	return xioctl(v->fd, KVM_SET_XSAVE, (void *)xsave);
}

/* KVM drops the vCPU's translations when KVM_SET_SREGS changes CR3 (the MMU
 * context is reset and reloaded). To flush without switching, alternate the
 * page-level write-through bit (PWT), which is harmless for the root table. */
#define CR3_PWT 0x8ull

static int kvm_load_cr3(struct vcpu *v, uint64_t cr3)
{
	struct kvm_sregs s;
	int r = xioctl(v->fd, KVM_GET_SREGS, &s);

	if (r)
		return r;
	s.cr3 = (s.cr3 & ~CR3_PWT) == cr3 ? s.cr3 ^ CR3_PWT : cr3;
	s.tr.type = tss_type; /* KVM reports it busy; see tss_type */
	return xioctl(v->fd, KVM_SET_SREGS, &s);
}

static int kvm_fork_prepare(struct vcpu *v)
{
	struct kvm_vcpu_state *s = v->backend_state;

	return xioctl(v->fd, KVM_GET_XSAVE, &s->xsave);
}

static int kvm_fork_child(struct vcpu *v, const struct vma_list *covered,
			  const struct cpu_setup *setup, const struct guest_regs *regs)
{
	struct kvm_vcpu_state *old = v->backend_state;
	struct cpu_setup with_fpu = *setup;
	int r;

	/* The inherited fds answer EIO, and the kvm_run page is the parent's. */
	raw_munmap(old->run, old->run_size);
	raw_syscall1(SYS_close, v->fd);
	raw_syscall1(SYS_close, vm_fd);
	fd_forget(v->fd);
	fd_forget(vm_fd);
	vm_fd = fd_protect(xioctl(kvm_fd, KVM_CREATE_VM, (void *)0));
	if (vm_fd < 0)
		return vm_fd;
	next_slot = 0;
	for (size_t i = 0; i < covered->n; i++)
		if ((r = kvm_add_memory(covered->v[i].start, covered->v[i].end - covered->v[i].start)))
			return r;
	with_fpu.xsave = &old->xsave;
	r = kvm_vcpu_create(v, &with_fpu, regs);
	raw_munmap(old, sizeof(*old));
	return r;
}

const struct backend_ops kvm_backend = {
	.name = "kvm",
	.kind = 1,
	.open = kvm_open,
	.probe = kvm_probe,
	.add_memory = kvm_add_memory,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_reset = kvm_vcpu_reset,
	.vcpu_run = kvm_vcpu_run,
	.fault_address = kvm_fault_address,
	.dump = kvm_dump,
	.request_exit = kvm_request_exit,
	.clear_exit_request = kvm_clear_exit_request,
	.save_fpu = kvm_save_fpu,
	.load_fpu = kvm_load_fpu,
	.load_cr3 = kvm_load_cr3,
	.fork_prepare = kvm_fork_prepare,
	.fork_child = kvm_fork_child,
};
