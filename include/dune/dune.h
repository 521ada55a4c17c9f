/* dune.h: the public interface of dune for programs that run under it. */
#ifndef DUNE_DUNE_H
#define DUNE_DUNE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The identification syscall: it does not exist natively (ENOSYS there). */
#define DUNE_SYSCALL_QUERY 0x44554e45L /* "DUNE" */
#define DUNE_INFO_MAGIC    0x454e5544u /* the bytes "DUNE" in memory */
#define DUNE_INFO_VERSION  1u

enum dune_backend_kind {
	DUNE_BACKEND_KVM = 1,
	DUNE_BACKEND_DEV = 2,
};

struct dune_info {
	uint32_t magic;   /* DUNE_INFO_MAGIC */
	uint32_t version; /* DUNE_INFO_VERSION */
	uint32_t cpl;     /* the CPL the calling code runs at: 3 or 0 */
	uint32_t backend; /* enum dune_backend_kind */
	uint64_t vcpu;    /* id of the calling thread's vCPU, unique in the process */
	uint64_t exits;   /* exits taken so far on this vCPU */
};

/**
 * dune_query() - ask whether the caller runs under dune.
 * @info: filled in when the answer is yes.
 *
 * Return: 0 under dune, -1 with errno ENOSYS natively.
 */
int dune_query(struct dune_info *info);

#ifdef __cplusplus
}
#endif

#endif
