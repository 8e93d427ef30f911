/* Starting the load of a cache line the data path will read soon. */
#ifndef MBX_PREFETCH_H
#define MBX_PREFETCH_H

/* __builtin_prefetch behind an empty asm: GCC 12 at -O2 deletes prefetches
 * that sit under two nested conditions and nothing else (a branch whose
 * only statements are prefetches counts as dead to its control-dependent
 * DCE), which silently took out every unit prefetch. The asm, which emits
 * no instruction, keeps the branch and the prefetch; clang needs none of it
 * and loses nothing. */
static inline void mbx_prefetch(const void *p)
{
	__asm__ volatile("" : : "r"(p));
	__builtin_prefetch(p);
}

#endif
