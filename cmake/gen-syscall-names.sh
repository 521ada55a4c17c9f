#!/bin/sh
# Generate the syscall name table from the kernel's own header: $1 = unistd_64.h, $2 = output.
set -eu
{
	echo '/* Generated from the installed kernel headers by cmake/gen-syscall-names.sh. */'
	echo 'const char *const dune_syscall_names[] = {'
	awk '/^#define __NR_[a-z0-9_]+ [0-9]+$/ { sub("__NR_", "", $2); printf "\t[%d] = \"%s\",\n", $3, $2 }' "$1"
	echo '};'
	awk 'BEGIN { max = 0 } /^#define __NR_[a-z0-9_]+ [0-9]+$/ { if ($3 + 0 > max) max = $3 + 0 }
	     END { printf "const int dune_syscall_count = %d;\n", max + 1 }' "$1"
} > "$2"
