#ifndef CPLATFORM_H
#define CPLATFORM_H

/// Small platform accessors that Swift cannot import directly.

#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>
#endif

/// The CPU the calling thread runs on right now (a hint: the thread may migrate at
/// any time), or 0 where the platform cannot tell.
static inline int cplatform_current_cpu(void) {
#if defined(__linux__)
    int cpu = sched_getcpu();
    return cpu < 0 ? 0 : cpu;
#else
    return 0;
#endif
}

/// A hint to the CPU that the caller is spinning.
static inline void cplatform_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

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

/// Enters one more level of inline execution on the calling thread; returns the new
/// depth. Pair with `cplatform_inline_depth_leave`.
int cplatform_inline_depth_enter(void);

/// Leaves one level of inline execution on the calling thread.
void cplatform_inline_depth_leave(void);

/// The inline execution depth of the calling thread.
int cplatform_inline_depth(void);

#endif
