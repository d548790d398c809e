/* libFuzzer target: the lite-interpreter front end (bytecode.h) building
 * the graph of a .ptl; the input is a bundle of its entries. */
#include "fuzz-frontend.h"
#include "runtime/loader/bytecode.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_front_end_once(data, size, q8_bytecode_load);
}
