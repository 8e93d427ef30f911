/* Memory for the stack's large tables: connections, their hash slots and
 * timer entries, buffer pools. */
#ifndef MBX_TABLE_MEM_H
#define MBX_TABLE_MEM_H

#include <stddef.h>

/* An anonymous mapping of bytes, zeroed; NULL when there is none. Pages
 * never touched cost nothing (a huge page, once any of it is), so a table
 * sized for a million connections costs what its connections use. The
 * kernel is asked to back it with transparent huge pages: a request
 * touches a few lines at random in tables of tens of MiB, and on 4 KiB
 * pages each of them would miss the TLB as well as the cache. */
void *table_mem_map(size_t bytes);
void table_mem_unmap(void *p, size_t bytes);

#endif
