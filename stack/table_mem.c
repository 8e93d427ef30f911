#include "table_mem.h"

#include <sys/mman.h>

void *table_mem_map(size_t bytes)
{
	void *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	/* Advice only: without THP (or with it off) the table works the same
	 * on small pages, so a refusal is no error. */
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

void table_mem_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}
