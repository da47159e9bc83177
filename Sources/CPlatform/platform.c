#include "CPlatform.h"

/// How deeply inline activations nest on this thread's stack.
static _Thread_local int inline_depth = 0;

int cplatform_inline_depth_enter(void) { return ++inline_depth; }

void cplatform_inline_depth_leave(void) { --inline_depth; }

int cplatform_inline_depth(void) { return inline_depth; }
