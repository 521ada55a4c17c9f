/* startup_only.S: libc's functions that the runtime may call only while it
 * starts, before the program's first instruction.
 *
 * Once the program runs, everything libc keeps outside its code and its GOT
 * is memory the program can write: the TLS block it shares with the
 * runtime's libc (errno, the locale, the cancellation state), libc's .data
 * and .bss (its exit handlers, malloc's arenas, SIGRTMIN) and the dynamic
 * linker's lists of objects. A function that reads them on the host side
 * runs on data the program chose. After that point the host side calls only
 * functions that read their arguments and nothing else (memcpy, strlen, the
 * Zydis decoder): cmake/seal-runtime.c fails the build for any other import
 * that is not listed here.
 *
 * The link's --wrap=NAME (CMakeLists.txt takes the names from this file)
 * sends the runtime's calls to NAME through __wrap_NAME, which goes on to
 * libc while dune_program_started is clear and stops the process with a
 * dune: line once it is set. Its arguments are left as they are, variadic
 * ones included.
 */
	.macro startup_only name
	.section .rodata.str1.1, "aMS", @progbits, 1
.Lname_\name:
	.asciz "\name"
	.text
	.globl __wrap_\name
	.hidden __wrap_\name
	.type __wrap_\name, @function
__wrap_\name:
	cmpb $0, dune_program_started(%rip)
	jne 1f
	jmp *__real_\name@GOTPCREL(%rip)
1:	leaq .Lname_\name(%rip), %rdi
	jmp dune_startup_only_called
	.size __wrap_\name, . - __wrap_\name
	.endm

	startup_only getenv
	startup_only secure_getenv
	startup_only getauxval
	startup_only __errno_location
	startup_only __ctype_tolower_loc
	startup_only strcasecmp
	startup_only strncasecmp
	startup_only fnmatch
	startup_only qsort
	startup_only realpath
	startup_only opendir
	startup_only readdir
	startup_only closedir
	startup_only open
	startup_only read
	startup_only readlink
	startup_only close
	startup_only stat
	startup_only prctl
	startup_only dl_iterate_phdr
	startup_only dladdr
	startup_only dladdr1
	startup_only dlinfo
	startup_only dlopen
	startup_only dlsym
	startup_only dlerror

	.bss
	.globl dune_program_started
	.hidden dune_program_started
	.type dune_program_started, @object
dune_program_started:
	.byte 0
	.size dune_program_started, 1

	.section .note.GNU-stack, "", @progbits
