// CPlatform is header-only; this file gives SwiftPM a source to build the target from.
#include "CPlatform.h"
