#!/bin/sh
# Generate the errno name table from the kernel's own headers: $1 = errno-base.h, $2 = errno.h, $3 = output.
# Aliases (EWOULDBLOCK = EAGAIN) resolve to the number of the name they stand for.
set -eu
{
	echo '/* Generated from the installed kernel headers by cmake/gen-errno-names.sh. */'
	echo '#include "names.h"'
	echo 'const struct dune_errno_name dune_errno_names[] = {'
	awk '$1 == "#define" && $2 ~ /^E[A-Z0-9]+$/ {
		if ($3 ~ /^[0-9]+$/) num[$2] = $3; else if ($3 in num) num[$2] = num[$3]; else next
		printf "\t{ \"%s\", %d },\n", $2, num[$2]
		if (num[$2] + 0 > max) max = num[$2] + 0
	     }
	     END { print "};"; printf "const int dune_errno_max = %d;\n", max }' "$1" "$2"
	echo 'const int dune_errno_count = sizeof(dune_errno_names) / sizeof(dune_errno_names[0]);'
} > "$3"
