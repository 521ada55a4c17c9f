/* init_status.c: built by install-test against an installed libdune; says
 * what dune_init returned, whatever it was. */
#include <dune/dune.h>
#include <stdio.h>

int main(void)
{
	printf("dune_init: %d\n", dune_init(true));
	return 0;
}
