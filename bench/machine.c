/* machine.c: what the numbers were measured on, recorded with them: a
 * ratio from PVM or from QEMU's emulator means something else than one
 * from hardware VT-x. */
#include <cpuid.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "dune-bench.h"

static void read_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	if (f)
		fclose(f);
}

/* The hypervisor's CPUID signature: "KVMKVMKVM", "TCGTCGTCGTCG" (QEMU's
 * emulator), "Microsoft Hv", or "" when CPUID says there is none. */
static void read_hypervisor(char *buf, size_t len)
{
	unsigned int a, b, c, d;
	char sig[13] = "";

	__cpuid(1, a, b, c, d);
	if (c & (1u << 31)) {
		__cpuid(0x40000000, a, b, c, d);
		memcpy(sig, &b, 4);
		memcpy(sig + 4, &c, 4);
		memcpy(sig + 8, &d, 4);
	}
	snprintf(buf, len, "%s", sig);
}

static bool module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* Which kind of KVM /dev/kvm is, from the module that provides it. */
static void read_kvm(struct machine *m)
{
	static const struct {
		const char *module, *flavour;
	} kinds[] = { { "kvm_pvm", "PVM" }, { "kvm_intel", "VT-x" }, { "kvm_amd", "SVM" } };
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	snprintf(m->kvm, sizeof(m->kvm), "%s", fd < 0 ? "none" : "unknown");
	if (fd < 0)
		return;
	close(fd);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (module_loaded(kinds[i].module)) {
			snprintf(m->kvm, sizeof(m->kvm), "%s", kinds[i].flavour);
			snprintf(m->kvm_module, sizeof(m->kvm_module), "%s", kinds[i].module);
			return;
		}
	}
}

/* tests/vm/kvm-run boots its kernel with dune_job=...; any QEMU TCG machine
 * shows the TCG signature. */
static bool read_emulated(const char *hypervisor)
{
	FILE *f = fopen("/proc/cmdline", "r");
	char line[1024] = "";

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	return strstr(line, "dune_job=") || !strcmp(hypervisor, "TCGTCGTCGTCG");
}

void machine_describe(struct machine *m)
{
	struct utsname u;
	time_t now = time(NULL);

	memset(m, 0, sizeof(*m));
	read_cpu_model(m->cpu, sizeof(m->cpu));
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.release, u.version);
	read_hypervisor(m->hypervisor, sizeof(m->hypervisor));
	read_kvm(m);
	m->emulated = read_emulated(m->hypervisor);
	m->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}
