#include "CPlatform.h"

/// How deeply inline activations nest on this thread's stack.
static _Thread_local int inline_depth = 0;

int cplatform_inline_depth_enter(void) { return ++inline_depth; }

void cplatform_inline_depth_leave(void) { --inline_depth; }

int cplatform_inline_depth(void) { return inline_depth; }

/// How many exit procedures run on this thread's stack (an exit hook may end another process).
static _Thread_local int exiting_depth = 0;

void cplatform_exiting_enter(void) { ++exiting_depth; }

void cplatform_exiting_leave(void) { --exiting_depth; }

int cplatform_exiting_depth(void) { return exiting_depth; }
