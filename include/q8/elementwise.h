/* q8 elementwise operators (see q8/operators.h for the conventions). */
#ifndef Q8_ELEMENTWISE_H
#define Q8_ELEMENTWISE_H

#include "q8/operators.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
