// The probes are inline functions in include/CBenchProbes.h; SwiftPM needs a source file.
#include "CBenchProbes.h"
