#ifndef CPLATFORM_H
#define CPLATFORM_H

/// Small platform accessors that Swift cannot import directly.

#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
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

/// Enters one more level of inline execution on the calling thread; returns the new
/// depth. Pair with `cplatform_inline_depth_leave`.
int cplatform_inline_depth_enter(void);

/// Leaves one level of inline execution on the calling thread.
void cplatform_inline_depth_leave(void);

/// The inline execution depth of the calling thread.
int cplatform_inline_depth(void);

/// Enters an exit procedure on the calling thread. Pair with `cplatform_exiting_leave`.
void cplatform_exiting_enter(void);

/// Leaves the innermost exit procedure on the calling thread.
void cplatform_exiting_leave(void);

/// How many exit procedures run on the calling thread's stack: a kill made from inside
/// one (an exit hook) never waits for another thread's exit, so no two threads can
/// wait for each other.
int cplatform_exiting_depth(void);

/// ThreadSanitizer's annotation entry points, present only when the process runs with
/// its runtime (weak: without it they resolve to null and the wrappers below do nothing).
#if defined(__linux__)
extern void __tsan_acquire(void *addr) __attribute__((weak));
extern void __tsan_release(void *addr) __attribute__((weak));
extern void __asan_init(void) __attribute__((weak));
#endif

/// Tells ThreadSanitizer, when it runs, that the caller has just acquired the
/// synchronisation object at `addr` (a lock it now holds). Without it, a load and a branch.
static inline void cplatform_tsan_acquire(const void *addr) {
#if defined(__linux__)
    if (__tsan_acquire) __tsan_acquire((void *)addr);
#endif
}

/// Tells ThreadSanitizer, when it runs, that the caller is about to release the
/// synchronisation object at `addr`. Without it, a load and a branch.
static inline void cplatform_tsan_release(const void *addr) {
#if defined(__linux__)
    if (__tsan_release) __tsan_release((void *)addr);
#endif
}

/// How many times slower than plain code this process is expected to run: 1, or more when
/// a sanitizer's runtime is in it (ThreadSanitizer 5, AddressSanitizer 3). Tests whose
/// deadlines are wall-clock (leases, fencing, connection timeouts) scale them by it.
static inline int cplatform_sanitizer_slowdown(void) {
#if defined(__linux__)
    if (__tsan_acquire) return 5;
    if (__asan_init) return 3;
#endif
    return 1;
}

#endif
