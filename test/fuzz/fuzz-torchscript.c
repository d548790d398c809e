/* libFuzzer target: the TorchScript-code front end (torchscript.h) building
 * the graph of a .pt; the input is a bundle of its entries. */
#include "fuzz-frontend.h"
#include "runtime/loader/torchscript.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_front_end_once(data, size, q8_torchscript_load_graph);
}
