/* identify: print what the identification syscall says (or that it failed natively). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dune/dune.h"

int main(void)
{
	struct dune_info info;

	if (dune_query(&info) != 0) {
		printf("native: %s\n", strerror(errno));
		return 1;
	}
	printf("magic %#x version %u cpl %u backend %s vcpu %llu exits>0 %d\n", info.magic,
	       info.version, info.cpl, info.backend == DUNE_BACKEND_KVM ? "kvm" : "dev",
	       (unsigned long long)info.vcpu, info.exits > 0);
	return 0;
}
