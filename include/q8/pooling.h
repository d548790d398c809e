/* q8 pooling operators (see q8/operators.h for the conventions). */
#ifndef Q8_POOLING_H
#define Q8_POOLING_H

#include "q8/operators.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
