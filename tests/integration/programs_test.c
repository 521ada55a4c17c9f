/* programs_test.c: everyday programs give byte-identical output and the same
 * exit status under dune as natively. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/personality.h>

#include "harness.h"

static const char *const no_rewrite[] = { "DUNE_REWRITE=0", NULL };

Test(programs, echo) { expect_same_as_native(ARGV("echo", "hello", "world"), NULL); }

Test(programs, cat) { expect_same_as_native(ARGV("cat", make_text_file("cat.txt", 2000)), NULL); }

Test(programs, sort) { expect_same_as_native(ARGV("sort", make_text_file("sort.txt", 3000)), NULL); }

Test(programs, sort_numeric_unique)
{
	expect_same_as_native(ARGV("sort", "-n", "-u", make_text_file("sortn.txt", 3000)), NULL);
}

Test(programs, sha256sum)
{
	expect_same_as_native(ARGV("sha256sum", make_text_file("sha.txt", 5000), "/bin/ls"), NULL);
}

Test(programs, gzip_and_gunzip)
{
	const char *text = make_text_file("gz.txt", 20000);
	char gz[512], cmd[1024];

	expect_same_as_native(ARGV("gzip", "-c", "-n", "-9", text), NULL);
	snprintf(gz, sizeof(gz), "%s.gz", text);
	snprintf(cmd, sizeof(cmd), "gzip -c -n %s > %s", text, gz);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	expect_same_as_native(ARGV("gunzip", "-c", gz), NULL);
}

Test(programs, ls_la_usr_bin) { expect_same_as_native(ARGV("ls", "-la", "/usr/bin"), NULL); }

Test(programs, find) { expect_same_as_native(ARGV("find", "/usr/include/linux", "-name", "*.h"), NULL); }

Test(programs, grep)
{
	expect_same_as_native(ARGV("grep", "-n", "-E", "beta|7$", make_text_file("grep.txt", 4000)),
			      NULL);
}

Test(programs, grep_no_match_status)
{
	expect_same_as_native(ARGV("grep", "no such text", make_text_file("grep1.txt", 100)), NULL);
}

Test(programs, sed)
{
	expect_same_as_native(ARGV("sed", "-e", "s/alpha/ALPHA/g", "-e", "/beta/d",
				   make_text_file("sed.txt", 3000)), NULL);
}

Test(programs, awk)
{
	expect_same_as_native(ARGV("awk", "{ s += $1; n[$NF]++ } END { print s, n[\"alpha\"], n[\"beta\"] }",
				   make_text_file("awk.txt", 3000)), NULL);
}

Test(programs, tar_create_and_list)
{
	char archive[512], cmd[1024];

	make_text_file("tar-a.txt", 500);
	make_text_file("tar-b.txt", 900);
	expect_same_as_native(ARGV("tar", "-C", scratch_dir(), "-cf", "-", "tar-a.txt", "tar-b.txt"),
			      NULL);
	snprintf(archive, sizeof(archive), "%s/t.tar", scratch_dir());
	snprintf(cmd, sizeof(cmd), "tar -C %s -cf %s tar-a.txt tar-b.txt", scratch_dir(), archive);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	expect_same_as_native(ARGV("tar", "-tvf", archive), NULL);
	expect_same_as_native(ARGV("tar", "-xOf", archive, "tar-b.txt"), NULL);
}

Test(programs, dd)
{
	char in[512];

	snprintf(in, sizeof(in), "if=%s", make_text_file("dd.txt", 3000));
	expect_same_as_native(ARGV("dd", in, "bs=1k", "count=40", "status=none"), NULL);
}

Test(programs, python3)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c",
				   "import hashlib, json, zlib\n"
				   "d = {str(i): i * i for i in range(20000)}\n"
				   "s = json.dumps(d, sort_keys=True).encode()\n"
				   "print(len(s), hashlib.sha256(zlib.compress(s)).hexdigest())\n"
				   "print(sorted(d.values())[-3:])"), NULL);
}

Test(programs, python3_exit_status)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c", "import sys; print('bye'); sys.exit(7)"),
			      NULL);
}

Test(programs, same_output_without_rewriting)
{
	expect_same_as_native(ARGV("sort", "-r", make_text_file("norw.txt", 2000)), no_rewrite);
	expect_same_as_native(ARGV("ls", "-la", "/usr/lib"), no_rewrite);
}

Test(programs, memory_map_changes) { expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/memory"), NULL); }

/* Without address randomization the stack ends at the top of user space,
 * just below 2^47: the memory slot over it must stop there too. */
Test(programs, without_aslr_stack_at_top_of_user_space)
{
	int old = personality(0xffffffff);

	cr_assert(old != -1 && personality(old | ADDR_NO_RANDOMIZE) != -1, "personality failed");
	expect_same_as_native(ARGV("awk", "/\\[stack\\]/ { split($1, a, \"-\"); print a[2] }",
				   "/proc/self/maps"), NULL);
	expect_same_as_native(ARGV("cat", "/proc/self/personality"), NULL);
	personality(old);
}
