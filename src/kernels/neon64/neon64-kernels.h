/* Declarations of the ARM64 micro-kernels: baseline NEON (neon64), dotprod
 * (neondot, files *-neondot.c built with +dotprod) and i8mm (neoni8mm, files
 * *-neoni8mm.c built with +i8mm). */
#ifndef Q8_KERNELS_NEON64_KERNELS_H
#define Q8_KERNELS_NEON64_KERNELS_H

#include "../kernels.h"

#endif
