/* lock.h: the runtime's lock over shared guest state (the memory mirror,
 * rewriting, vCPU creation). A spinlock, not a pthread mutex: libc's futex
 * calls are syscall sites the guest may have rewritten. */
#ifndef DUNE_LOCK_H
#define DUNE_LOCK_H

struct dune_lock {
	int held;
};

static inline void dune_lock(struct dune_lock *l)
{
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void dune_unlock(struct dune_lock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

#endif
