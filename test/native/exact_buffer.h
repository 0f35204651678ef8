// Test input for the decoders: bytes copied to a heap block of exactly their size, so that reading one byte past
// the end is an ASan error rather than silent.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace verdant_test {

using Bytes = std::vector<uint8_t>;

struct Buf {
  explicit Buf(const Bytes& b) : size(b.size()), data(new uint8_t[b.size() ? b.size() : 1]) {
    if (!b.empty()) std::memcpy(data.get(), b.data(), b.size());
  }
  size_t size;
  std::unique_ptr<uint8_t[]> data;
};

}  // namespace verdant_test
