#ifndef CBENCHPROBES_H
#define CBENCHPROBES_H

/// Memory probes for pool-bench: the heap in use, the resident set, a heap trim. Kept
/// out of the runtime's own C module, which needs none of them.

#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>
#endif

/// Bytes the C heap has handed out and not taken back (glibc's mallinfo2: in-use
/// chunks plus mmapped blocks), or 0 where unknown.
static inline unsigned long long cplatform_heap_in_use(void) {
#if defined(__linux__) && defined(__GLIBC__)
    struct mallinfo2 info = mallinfo2();
    return (unsigned long long)(info.uordblks + info.hblkhd);
#else
    return 0;
#endif
}

/// Resident set size of the process in bytes, or 0 where unknown.
static inline unsigned long long cplatform_resident_bytes(void) {
#if defined(__linux__)
    FILE *file = fopen("/proc/self/statm", "r");
    if (!file) return 0;
    unsigned long long size = 0, resident = 0;
    int read = fscanf(file, "%llu %llu", &size, &resident);
    fclose(file);
    if (read != 2) return 0;
    return resident * (unsigned long long)sysconf(_SC_PAGESIZE);
#else
    return 0;
#endif
}

/// Returns freed heap memory to the OS where the allocator supports it.
static inline void cplatform_trim_heap(void) {
#if defined(__linux__) && defined(__GLIBC__)
    malloc_trim(0);
#endif
}

#endif
