/*
 * NumPy .npy files of float32 C-order arrays: what q8-run, q8-demo and the
 * model tests read inputs and PyTorch's outputs from. Anything else (other
 * dtypes, Fortran order, truncated data) is refused with a message.
 */
#ifndef Q8_APPS_NPY_H
#define Q8_APPS_NPY_H

#include <stddef.h>

#include <q8/runtime.h>

/* Reads path into a malloc'd *data; 0 on success, else -1 with a message
 * naming the file and the problem in message[size]. */
int q8_npy_read(const char* path, q8_tensor_shape* shape, float** data, char* message,
                size_t message_size);

/* Writes a version 1.0 .npy; 0 on success, else -1 with a message. */
int q8_npy_write(const char* path, const q8_tensor_shape* shape, const float* data,
                 char* message, size_t message_size);

size_t q8_npy_element_count(const q8_tensor_shape* shape);

#endif
