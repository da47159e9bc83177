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

#endif
