/* seal-runtime.c: make libdunepre.so one the guest never needs to touch,
 * and check that nothing in it reaches for the program's state.
 *
 * The guest cannot see libdunepre.so's mappings (preload/memory.c), yet
 * ld.so runs in the guest: each lazy binding, dlsym and dlopen of the
 * program walks the global scope, where a preloaded library comes second,
 * and reads every object's .dynamic and hash table there, which would fault
 * in our hidden pages. ld.so skips an object whose hash table has no
 * buckets before it reads anything of the object (do_lookup_x: "If the hash
 * table is empty there is nothing to do here"). libdunepre.so exports
 * nothing, so the linker writes an empty GNU hash table with one empty
 * bucket; this tool sets the number of buckets to 0.
 *
 * It also checks the other ways the guest's ld.so would touch the object,
 * and fails the build if one is there:
 *   - an exported symbol (the table would not be empty);
 *   - DT_HASH, a SysV table, read the same way;
 *   - DT_FINI or DT_FINI_ARRAY: exit() would run our hidden code;
 *   - more than one DT_INIT_ARRAY entry: after our constructor returns (in
 *     the guest, enter.S) ld.so would read the next one;
 *   - DT_SONAME: every dlopen reads each loaded object's soname;
 *   - PT_TLS: every new thread copies each object's TLS image;
 *   - anything but headers and dynamic-linking tables in the segment that
 *     holds the ELF header, the one segment the guest sees (memory.c).
 * And that every function the runtime imports is one the host side may
 * call while the program runs, one that reads nothing but its arguments
 * (strerrordesc_np, Zydis's decoder), or one that only runs while the
 * runtime starts (preload/startup_only.S). Anything else reads state the
 * program can write once it runs: the printf family (the program's printf
 * handlers), stdio (FILE objects and their function tables), the malloc
 * family (the heap), the locale, errno, libc's data. The runtime has its own
 * printing and heap (preload/format.c, preload/alloc.c), which the link's
 * --wrap options substitute; a fortified call (__snprintf_chk) would escape
 * --wrap, and fails here.
 *
 * Usage: seal-runtime FILE.so (changed in place).
 */
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file;
static int failures;

static void fail(const char *what, const char *name)
{
	fprintf(stderr, "seal-runtime: %s: %s%s%s\n", file, what, name ? ": " : "",
		name ? name : "");
	failures++;
}

static void *at(unsigned char *elf, size_t size, uint64_t off, uint64_t len)
{
	if (off > size || len > size - off) {
		fprintf(stderr, "seal-runtime: %s: truncated ELF file\n", file);
		exit(1);
	}
	return elf + off;
}

/* libc's functions that read their arguments and nothing the program can
 * write: the host side may call them at any time. Not libc's memcpy and
 * string functions: memcpy picks its loop by thresholds in libc's data,
 * strstr calls helpers through libc's PLT; the runtime has its own
 * (preload/string.c). */
static const char *const pure[] = { "strerrordesc_np" };
/* Zydis's functions: the decoder keeps no state (its data is crtstuff's). */
#define PURE_PREFIX "Zydis"
/* libc's variables that the runtime reads while it starts (entry.c, exec.c). */
static const char *const startup_data[] = { "environ", "__environ", "__libc_stack_end" };

static bool listed(const char *const *list, size_t count, const char *name)
{
	size_t n = strcspn(name, "@");

	for (size_t i = 0; i < count; i++)
		if (strlen(list[i]) == n && !strncmp(name, list[i], n))
			return true;
	return false;
}

/* Does the object define __wrap_NAME (startup_only.S)? Then the link's
 * --wrap=NAME sent every call to NAME there, or __real_NAME would be left
 * undefined and -z defs would have failed the link. */
static bool startup_only(const unsigned char *elf, size_t size, const Elf64_Shdr *sh, int shnum,
			 const char *name)
{
	size_t n = strcspn(name, "@");

	for (int i = 0; i < shnum; i++) {
		const Elf64_Sym *sym;
		const Elf64_Shdr *names;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		sym = (const Elf64_Sym *)at((unsigned char *)elf, size, sh[i].sh_offset, sh[i].sh_size);
		names = &sh[sh[i].sh_link];
		for (uint64_t k = 1; k < sh[i].sh_size / sizeof(*sym); k++) {
			const char *s = at((unsigned char *)elf, size, names->sh_offset + sym[k].st_name, 1);

			if (sym[k].st_shndx != SHN_UNDEF && !strncmp(s, "__wrap_", 7) &&
			    strlen(s + 7) == n && !strncmp(s + 7, name, n))
				return true;
		}
	}
	return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The sections the linker puts in the first segment: headers, no state. */
static bool is_metadata(const char *name)
{
	static const char *const prefixes[] = { ".note", ".gnu.hash", ".dynsym", ".dynstr",
						".gnu.version", ".rela." };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct stat st;
	unsigned char *elf;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph, *headers = NULL;
	Elf64_Shdr *sh, *strtab_sh;
	uint32_t *gnu_hash = NULL;
	uint64_t gnu_hash_off = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: seal-runtime FILE.so\n");
		return 2;
	}
	file = argv[1];
	fd = open(file, O_RDWR);
	if (fd < 0 || fstat(fd, &st) || !(elf = malloc((size_t)st.st_size)) ||
	    read(fd, elf, (size_t)st.st_size) != st.st_size) {
		perror(file);
		return 1;
	}
	eh = at(elf, (size_t)st.st_size, 0, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_type != ET_DYN) {
		fail("not a 64-bit shared object", NULL);
		return 1;
	}
	ph = at(elf, (size_t)st.st_size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(*ph));
	sh = at(elf, (size_t)st.st_size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh));
	strtab_sh = &sh[eh->e_shstrndx];

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_TLS)
			fail("has thread-local storage (PT_TLS)", NULL);
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			headers = &ph[i];
		if (ph[i].p_type != PT_DYNAMIC)
			continue;
		for (Elf64_Dyn *d = at(elf, (size_t)st.st_size, ph[i].p_offset, ph[i].p_filesz);
		     d->d_tag != DT_NULL; d++) {
			if (d->d_tag == DT_FINI || d->d_tag == DT_FINI_ARRAY)
				fail("has a destructor (DT_FINI, DT_FINI_ARRAY)", NULL);
			if (d->d_tag == DT_INIT || (d->d_tag == DT_INIT_ARRAYSZ && d->d_un.d_val != 8))
				fail("has more than the one constructor of enter.S", NULL);
			if (d->d_tag == DT_SONAME)
				fail("has a DT_SONAME", NULL);
			if (d->d_tag == DT_HASH)
				fail("has a SysV hash table (DT_HASH)", NULL);
		}
	}
	if (!headers || (headers->p_flags & (PF_W | PF_X)))
		fail("the segment of the ELF header is writable or executable", NULL);

	for (int i = 0; i < eh->e_shnum; i++) {
		const char *name = at(elf, (size_t)st.st_size, strtab_sh->sh_offset + sh[i].sh_name, 1);

		if (sh[i].sh_type == SHT_GNU_HASH) {
			gnu_hash_off = sh[i].sh_offset;
			gnu_hash = at(elf, (size_t)st.st_size, sh[i].sh_offset, sh[i].sh_size);
		}
		if (sh[i].sh_type == SHT_DYNSYM) {
			Elf64_Sym *sym = at(elf, (size_t)st.st_size, sh[i].sh_offset, sh[i].sh_size);
			const Elf64_Shdr *names = &sh[sh[i].sh_link];

			for (uint64_t k = 1; k < sh[i].sh_size / sizeof(*sym); k++) {
				const char *sym_name =
					at(elf, (size_t)st.st_size, names->sh_offset + sym[k].st_name, 1);

				if (sym[k].st_shndx != SHN_UNDEF)
					fail("exports a symbol", sym_name);
				else if (!listed(pure, COUNT(pure), sym_name) &&
					 strncmp(sym_name, PURE_PREFIX, strlen(PURE_PREFIX)) &&
					 !listed(startup_data, COUNT(startup_data), sym_name) &&
					 !startup_only(elf, (size_t)st.st_size, sh, eh->e_shnum, sym_name))
					fail("imports a function that reads state the program can write, "
					     "neither pure nor in preload/startup_only.S", sym_name);
			}
		}
		if (headers && (sh[i].sh_flags & SHF_ALLOC) && sh[i].sh_addr >= headers->p_vaddr &&
		    sh[i].sh_addr < headers->p_vaddr + headers->p_memsz && !is_metadata(name))
			fail("a section in the segment the guest sees", name);
	}
	if (!gnu_hash) {
		fail("has no GNU hash table", NULL);
	} else {
		/* nbuckets, symoffset, bloom words, shift, the bloom filter, the buckets */
		uint32_t nbuckets = gnu_hash[0], bloom = gnu_hash[2];
		uint32_t *buckets = gnu_hash + 4 + 2 * bloom;

		for (uint32_t b = 0; b < nbuckets; b++)
			if (buckets[b])
				fail("its hash table is not empty", NULL);
	}
	if (failures)
		return 1;

	/* No buckets: ld.so looks no further into the object. */
	uint32_t zero = 0;

	if (pwrite(fd, &zero, sizeof(zero), (off_t)gnu_hash_off) != sizeof(zero) || close(fd)) {
		perror(file);
		return 1;
	}
	return 0;
}
