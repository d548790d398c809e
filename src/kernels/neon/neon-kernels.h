/* Declarations of the portable NEON micro-kernels (ARMv7 and ARM64). */
#ifndef Q8_KERNELS_NEON_KERNELS_H
#define Q8_KERNELS_NEON_KERNELS_H

#include "../kernels.h"

#endif
