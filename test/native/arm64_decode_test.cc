// Unit tests for the pure AArch64 decoders in native/greenlet/arm64_decode.h: the real bytes of every function they
// read, from the official linux-arm64 Node 20.20.2, 22.23.3, 24.21.0 and 26.10.0 binaries, with the values
// cross-checked by hand against `aarch64-linux-gnu-objdump -d` of the same binaries (docs/internals.md); then the
// encodings they must refuse (a changed register, an unknown instruction, implausible offsets), truncated input and
// random words (every buffer is heap-allocated at its exact size, so an out-of-bounds read shows up under ASan).
//
// The fixtures were printed by test/native/internals_probe/arm64_extract.py (symbol address and size from the
// ELF symbol tables, bytes through the PT_LOAD segments); each array is the whole function, `st_size` bytes.
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "exact_buffer.h"
#include "greenlet/arm64_decode.h"

namespace a = verdant::detail::arm64;

namespace {

// clang-format off
// Node 20.20.2 (linux-arm64), _ZN2v88internal8ThreadId18GetCurrentThreadIdEv at 0x103e7d0, 92 bytes
constexpr uint8_t ktid_20[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf3, 0x0b, 0x00, 0xf9, 0x53, 0xd0, 0x3b, 0xd5,
    0x73, 0x02, 0x40, 0x91, 0x73, 0x22, 0x03, 0x91, 0x60, 0x02, 0x40, 0xb9, 0x80, 0x00, 0x00, 0x34,
    0xf3, 0x0b, 0x40, 0xf9, 0xfd, 0x7b, 0xc2, 0xa8, 0xc0, 0x03, 0x5f, 0xd6, 0x41, 0x22, 0x02, 0xd0,
    0x20, 0x00, 0x80, 0x52, 0x21, 0x60, 0x2e, 0x91, 0xca, 0x65, 0x4e, 0x94, 0x60, 0x02, 0x00, 0xb9,
    0x1f, 0x00, 0x00, 0x71, 0xec, 0xfe, 0xff, 0x54, 0x61, 0xcc, 0x00, 0xb0, 0xe0, 0xc9, 0x00, 0xb0,
    0x21, 0x00, 0x39, 0x91, 0x00, 0x00, 0x30, 0x91, 0x92, 0x5d, 0x3d, 0x94,
};
// Node 20.20.2 (linux-arm64), _ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_ at 0xec6730, 24 bytes
constexpr uint8_t kadd_20[] = {
    0xe4, 0x03, 0x02, 0xaa, 0xe2, 0x03, 0x03, 0x2a, 0x03, 0x58, 0x9a, 0xd2, 0x00, 0x00, 0x03, 0x8b,
    0xe3, 0x03, 0x04, 0xaa, 0x9f, 0xbb, 0x07, 0x14,
};
constexpr uint64_t kadd_20_addr = 0xec6730;
// Node 20.20.2 (linux-arm64), _ZN2v87Isolate24RemoveGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_ at 0xec6750, 12 bytes
constexpr uint8_t kremove_20[] = {
    0x03, 0x58, 0x9a, 0xd2, 0x00, 0x00, 0x03, 0x8b, 0xf6, 0xbb, 0x07, 0x14,
};
constexpr uint64_t kremove_20_addr = 0xec6750;
constexpr uint64_t khadd_20 = 0x10b55c0;  // _ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_
constexpr uint64_t khremove_20 = 0x10b5730;  // _ZN2v88internal4Heap24RemoveGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES6_
// Node 20.20.2 (linux-arm64), _ZN2v88internal4Heap5stackEv at 0x10b55a0, 16 bytes
constexpr uint8_t kstack_20[] = {
    0x00, 0x28, 0x40, 0xf9, 0x01, 0x25, 0x9f, 0xd2, 0x00, 0x00, 0x01, 0x8b, 0xc0, 0x03, 0x5f, 0xd6,
};
// Node 20.20.2 (linux-arm64), _ZN2v88internal4Heap13SetStackStartEPv at 0x10b5580, 32 bytes
constexpr uint8_t kset_20[] = {
    0x00, 0x28, 0x40, 0xf9, 0x03, 0x00, 0x9f, 0xd2, 0x42, 0x1f, 0x02, 0xf0, 0x00, 0x00, 0x03, 0x8b,
    0x42, 0xc8, 0x48, 0x39, 0x01, 0x94, 0x00, 0xf9, 0x02, 0xe0, 0x04, 0x39, 0xc0, 0x03, 0x5f, 0xd6,
};
// Node 20.20.2 (linux-arm64), _ZN2v88internal13ThreadManager19FreeThreadResourcesEv at 0x10407e0, 100 bytes
constexpr uint8_t kftr_20[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf3, 0x0b, 0x00, 0xf9, 0xf3, 0x03, 0x00, 0xaa,
    0x00, 0x28, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0x00, 0xe4, 0x71, 0xf9, 0x69, 0x2c, 0xfa, 0x97,
    0x60, 0x2a, 0x40, 0xf9, 0x00, 0x20, 0x04, 0x91, 0x3e, 0xf8, 0xff, 0x97, 0x60, 0x2a, 0x40, 0xf9,
    0x00, 0x20, 0x00, 0x91, 0x53, 0xf3, 0xff, 0x97, 0x60, 0x2a, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91,
    0x01, 0x18, 0x72, 0xf9, 0x20, 0x00, 0x08, 0x91, 0xca, 0xff, 0x10, 0x94, 0x60, 0x2a, 0x40, 0xf9,
    0xf3, 0x0b, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0xfd, 0x7b, 0xc2, 0xa8, 0x00, 0xdc, 0x70, 0xf9,
    0x0c, 0x35, 0x05, 0x14,
};
constexpr uint64_t kftr_20_addr = 0x10407e0;
constexpr uint64_t khsifree_20 = 0xecb9a0;  // _ZN2v88internal22HandleScopeImplementer19FreeThreadResourcesEv
// Node 20.20.2 (linux-arm64), _ZN2v88Unlocker10InitializeEPNS_7IsolateE at 0x103fef0, 152 bytes
constexpr uint8_t kunlock_20[] = {
    0xfd, 0x7b, 0xbd, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf5, 0x13, 0x00, 0xf9, 0xf5, 0x03, 0x00, 0xaa,
    0x20, 0x20, 0x40, 0x91, 0xf3, 0x53, 0x01, 0xa9, 0xa1, 0x02, 0x00, 0xf9, 0x14, 0x00, 0x72, 0xf9,
    0x80, 0x22, 0x40, 0xf9, 0x13, 0x08, 0x40, 0xf9, 0x1f, 0x00, 0x13, 0xeb, 0xe0, 0x02, 0x00, 0x54,
    0x61, 0x02, 0x41, 0xa9, 0x20, 0x0c, 0x00, 0xf9, 0x61, 0x0a, 0x40, 0xf9, 0x01, 0x08, 0x00, 0xf9,
    0x80, 0x2a, 0x40, 0xf9, 0x3b, 0x99, 0xff, 0x97, 0x13, 0x0c, 0x00, 0xf9, 0x25, 0xfa, 0xff, 0x97,
    0x80, 0x36, 0x00, 0xb9, 0x93, 0x1e, 0x00, 0xf9, 0x22, 0xfa, 0xff, 0x97, 0x60, 0x02, 0x00, 0xb9,
    0x02, 0x00, 0x80, 0x12, 0xa0, 0x02, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0x00, 0x00, 0x72, 0xf9,
    0x01, 0xc0, 0x00, 0x91, 0x22, 0x00, 0x00, 0xb9, 0xf3, 0x53, 0x41, 0xa9, 0xf5, 0x13, 0x40, 0xf9,
    0xfd, 0x7b, 0xc3, 0xa8, 0xdf, 0x6e, 0x3d, 0x14, 0xe0, 0x03, 0x14, 0xaa, 0x59, 0xff, 0xff, 0x97,
    0xf3, 0x03, 0x00, 0xaa, 0xe7, 0xff, 0xff, 0x17,
};
// Node 22.23.3 (linux-arm64), _ZN2v88internal8ThreadId18GetCurrentThreadIdEv at 0x1362d60, 92 bytes
constexpr uint8_t ktid_22[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf3, 0x0b, 0x00, 0xf9, 0x53, 0xd0, 0x3b, 0xd5,
    0x73, 0x02, 0x40, 0x91, 0x73, 0xc2, 0x03, 0x91, 0x60, 0x02, 0x40, 0xb9, 0x80, 0x00, 0x00, 0x34,
    0xf3, 0x0b, 0x40, 0xf9, 0xfd, 0x7b, 0xc2, 0xa8, 0xc0, 0x03, 0x5f, 0xd6, 0x41, 0x9b, 0x02, 0xb0,
    0x20, 0x00, 0x80, 0x52, 0x21, 0x20, 0x39, 0x91, 0x92, 0x39, 0x6d, 0x94, 0x60, 0x02, 0x00, 0xb9,
    0x1f, 0x00, 0x00, 0x71, 0xec, 0xfe, 0xff, 0x54, 0xc1, 0x27, 0x01, 0xd0, 0xc0, 0x24, 0x01, 0xd0,
    0x21, 0x60, 0x3d, 0x91, 0x00, 0x60, 0x3a, 0x91, 0xf6, 0x96, 0x4e, 0x94,
};
// Node 22.23.3 (linux-arm64), _ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_ at 0x11f14f0, 24 bytes
constexpr uint8_t kadd_22[] = {
    0xe4, 0x03, 0x02, 0xaa, 0xe2, 0x03, 0x03, 0x2a, 0x03, 0xd4, 0x9b, 0xd2, 0x00, 0x00, 0x03, 0x8b,
    0xe3, 0x03, 0x04, 0xaa, 0xb3, 0x05, 0x08, 0x14,
};
constexpr uint64_t kadd_22_addr = 0x11f14f0;
// Node 22.23.3 (linux-arm64), _ZN2v87Isolate24RemoveGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_ at 0x11f1510, 12 bytes
constexpr uint8_t kremove_22[] = {
    0x03, 0xd4, 0x9b, 0xd2, 0x00, 0x00, 0x03, 0x8b, 0x0a, 0x06, 0x08, 0x14,
};
constexpr uint64_t kremove_22_addr = 0x11f1510;
constexpr uint64_t khadd_22 = 0x13f2bd0;  // _ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_
constexpr uint64_t khremove_22 = 0x13f2d40;  // _ZN2v88internal4Heap24RemoveGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES6_
// Node 22.23.3 (linux-arm64), _ZN2v88internal4Heap5stackEv at 0x13f2b70, 44 bytes
constexpr uint8_t kstack_22[] = {
    0x00, 0xc8, 0x40, 0xf9, 0x60, 0x00, 0x00, 0xb4, 0x00, 0x60, 0x1a, 0x91, 0xc0, 0x03, 0x5f, 0xd6,
    0xfd, 0x7b, 0xbf, 0xa9, 0x01, 0x24, 0x01, 0xd0, 0x40, 0x20, 0x01, 0xd0, 0xfd, 0x03, 0x00, 0x91,
    0x21, 0x80, 0x32, 0x91, 0x00, 0x60, 0x3a, 0x91, 0x7e, 0x57, 0x4c, 0x94,
};
// Node 22.23.3 (linux-arm64), _ZN2v88internal4Heap13SetStackStartEPv at 0x13f2b60, 16 bytes
constexpr uint8_t kset_22[] = {
    0x00, 0xc8, 0x40, 0xf9, 0x40, 0x00, 0x00, 0xb4, 0x01, 0x4c, 0x03, 0xf9, 0xc0, 0x03, 0x5f, 0xd6,
};
// Node 22.23.3 (linux-arm64), _ZN2v88internal13ThreadManager19FreeThreadResourcesEv at 0x13652f0, 100 bytes
constexpr uint8_t kftr_22[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf3, 0x0b, 0x00, 0xf9, 0xf3, 0x03, 0x00, 0xaa,
    0x00, 0x28, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0x00, 0xf0, 0x76, 0xf9, 0x6d, 0x45, 0xfa, 0x97,
    0x60, 0x2a, 0x40, 0xf9, 0x00, 0x40, 0x04, 0x91, 0xe6, 0xf6, 0xff, 0x97, 0x60, 0x2a, 0x40, 0xf9,
    0x00, 0x20, 0x00, 0x91, 0x03, 0xf2, 0xff, 0x97, 0x60, 0x2a, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91,
    0x01, 0x64, 0x77, 0xf9, 0x20, 0x00, 0x08, 0x91, 0x82, 0x6f, 0x11, 0x94, 0x60, 0x2a, 0x40, 0xf9,
    0xf3, 0x0b, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0xfd, 0x7b, 0xc2, 0xa8, 0x00, 0xf4, 0x75, 0xf9,
    0x38, 0x8c, 0x05, 0x14,
};
constexpr uint64_t kftr_22_addr = 0x13652f0;
constexpr uint64_t khsifree_22 = 0x11f68c0;  // _ZN2v88internal22HandleScopeImplementer19FreeThreadResourcesEv
// Node 22.23.3 (linux-arm64), _ZN2v88Unlocker10InitializeEPNS_7IsolateE at 0x1364a00, 152 bytes
constexpr uint8_t kunlock_22[] = {
    0xfd, 0x7b, 0xbd, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf5, 0x13, 0x00, 0xf9, 0xf5, 0x03, 0x00, 0xaa,
    0x20, 0x20, 0x40, 0x91, 0xf3, 0x53, 0x01, 0xa9, 0xa1, 0x02, 0x00, 0xf9, 0x14, 0x48, 0x77, 0xf9,
    0x80, 0x22, 0x40, 0xf9, 0x13, 0x08, 0x40, 0xf9, 0x1f, 0x00, 0x13, 0xeb, 0xe0, 0x02, 0x00, 0x54,
    0x61, 0x02, 0x41, 0xa9, 0x20, 0x0c, 0x00, 0xf9, 0x61, 0x0a, 0x40, 0xf9, 0x01, 0x08, 0x00, 0xf9,
    0x80, 0x2a, 0x40, 0xf9, 0xe3, 0x99, 0xff, 0x97, 0x13, 0x0c, 0x00, 0xf9, 0xc5, 0xf8, 0xff, 0x97,
    0x80, 0x36, 0x00, 0xb9, 0x93, 0x1e, 0x00, 0xf9, 0xc2, 0xf8, 0xff, 0x97, 0x60, 0x02, 0x00, 0xb9,
    0x02, 0x00, 0x80, 0x12, 0xa0, 0x02, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0x00, 0x48, 0x77, 0xf9,
    0x01, 0xc0, 0x00, 0x91, 0x22, 0x00, 0x00, 0xb9, 0xf3, 0x53, 0x41, 0xa9, 0xf5, 0x13, 0x40, 0xf9,
    0xfd, 0x7b, 0xc3, 0xa8, 0xeb, 0xa7, 0x4e, 0x14, 0xe0, 0x03, 0x14, 0xaa, 0x59, 0xff, 0xff, 0x97,
    0xf3, 0x03, 0x00, 0xaa, 0xe7, 0xff, 0xff, 0x17,
};
// Node 24.21.0 (linux-arm64), _ZN2v88internal8ThreadId18GetCurrentThreadIdEv at 0xdcbd10, 92 bytes
constexpr uint8_t ktid_24[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf3, 0x0b, 0x00, 0xf9, 0x53, 0xd0, 0x3b, 0xd5,
    0x73, 0x02, 0x40, 0x91, 0x73, 0x82, 0x04, 0x91, 0x60, 0x02, 0x40, 0xb9, 0x80, 0x00, 0x00, 0x34,
    0xf3, 0x0b, 0x40, 0xf9, 0xfd, 0x7b, 0xc2, 0xa8, 0xc0, 0x03, 0x5f, 0xd6, 0x01, 0xc2, 0x02, 0xb0,
    0x20, 0x00, 0x80, 0x52, 0x21, 0xe0, 0x05, 0x91, 0x02, 0x83, 0x76, 0x94, 0x60, 0x02, 0x00, 0xb9,
    0x1f, 0x00, 0x00, 0x71, 0xec, 0xfe, 0xff, 0x54, 0xc1, 0x45, 0x01, 0xf0, 0xa0, 0x42, 0x01, 0xb0,
    0x21, 0x60, 0x16, 0x91, 0x00, 0x80, 0x2e, 0x91, 0xb2, 0x0d, 0x59, 0x94,
};
// Node 24.21.0 (linux-arm64), _ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_ at 0xc1ebd0, 24 bytes
constexpr uint8_t kadd_24[] = {
    0xe4, 0x03, 0x02, 0xaa, 0xe2, 0x03, 0x03, 0x2a, 0x03, 0xff, 0x9d, 0xd2, 0x00, 0x00, 0x03, 0x8b,
    0xe3, 0x03, 0x04, 0xaa, 0x7f, 0x64, 0x09, 0x14,
};
constexpr uint64_t kadd_24_addr = 0xc1ebd0;
// Node 24.21.0 (linux-arm64), _ZN2v87Isolate24RemoveGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_ at 0xc1ebf0, 12 bytes
constexpr uint8_t kremove_24[] = {
    0x03, 0xff, 0x9d, 0xd2, 0x00, 0x00, 0x03, 0x8b, 0xd6, 0x64, 0x09, 0x14,
};
constexpr uint64_t kremove_24_addr = 0xc1ebf0;
constexpr uint64_t khadd_24 = 0xe77de0;  // _ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_
constexpr uint64_t khremove_24 = 0xe77f50;  // _ZN2v88internal4Heap24RemoveGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES6_
// Node 24.21.0 (linux-arm64), _ZN2v88internal4Heap5stackEv at 0xe77d00, 44 bytes
constexpr uint8_t kstack_24[] = {
    0x00, 0x0c, 0x41, 0xf9, 0x60, 0x00, 0x00, 0xb4, 0x00, 0x00, 0x1b, 0x91, 0xc0, 0x03, 0x5f, 0xd6,
    0xfd, 0x7b, 0xbf, 0xa9, 0x41, 0x41, 0x01, 0xb0, 0x40, 0x3d, 0x01, 0xb0, 0xfd, 0x03, 0x00, 0x91,
    0x21, 0xc0, 0x33, 0x91, 0x00, 0x80, 0x2e, 0x91, 0xc2, 0x5d, 0x56, 0x94,
};
// Node 24.21.0 (linux-arm64), _ZN2v88internal4Heap13SetStackStartEv at 0xe77cd0, 40 bytes
constexpr uint8_t kset_24[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf3, 0x0b, 0x00, 0xf9, 0x13, 0x0c, 0x41, 0xf9,
    0x73, 0x00, 0x00, 0xb4, 0x1b, 0x73, 0x56, 0x94, 0x60, 0x62, 0x03, 0xf9, 0xf3, 0x0b, 0x40, 0xf9,
    0xfd, 0x7b, 0xc2, 0xa8, 0xc0, 0x03, 0x5f, 0xd6,
};
// Node 24.21.0 (linux-arm64), _ZN2v88internal13ThreadManager19FreeThreadResourcesEv at 0xdce9d0, 100 bytes
constexpr uint8_t kftr_24[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf3, 0x0b, 0x00, 0xf9, 0xf3, 0x03, 0x00, 0xaa,
    0x00, 0x14, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0x00, 0x78, 0x7e, 0xf9, 0x79, 0x55, 0xf9, 0x97,
    0x60, 0x16, 0x40, 0xf9, 0x00, 0x00, 0x05, 0x91, 0x1a, 0xf5, 0xff, 0x97, 0x60, 0x16, 0x40, 0xf9,
    0x00, 0x20, 0x00, 0x91, 0xef, 0xef, 0xff, 0x97, 0x60, 0x16, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91,
    0x01, 0xe0, 0x7e, 0xf9, 0x20, 0x00, 0x10, 0x91, 0x6a, 0xd1, 0x13, 0x94, 0x60, 0x16, 0x40, 0xf9,
    0xf3, 0x0b, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0xfd, 0x7b, 0xc2, 0xa8, 0x00, 0x1c, 0x7e, 0xf9,
    0xb8, 0x8a, 0x06, 0x14,
};
constexpr uint64_t kftr_24_addr = 0xdce9d0;
constexpr uint64_t khsifree_24 = 0xc23fd0;  // _ZN2v88internal22HandleScopeImplementer19FreeThreadResourcesEv
// Node 24.21.0 (linux-arm64), _ZN2v88Unlocker10InitializeEPNS_7IsolateE at 0xdce0f0, 152 bytes
constexpr uint8_t kunlock_24[] = {
    0xfd, 0x7b, 0xbd, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0xf5, 0x13, 0x00, 0xf9, 0xf5, 0x03, 0x00, 0xaa,
    0x20, 0x20, 0x40, 0x91, 0xf3, 0x53, 0x01, 0xa9, 0xa1, 0x02, 0x00, 0xf9, 0x14, 0xc4, 0x7e, 0xf9,
    0x80, 0x0e, 0x40, 0xf9, 0x13, 0x08, 0x40, 0xf9, 0x1f, 0x00, 0x13, 0xeb, 0xe0, 0x02, 0x00, 0x54,
    0x61, 0x02, 0x41, 0xa9, 0x20, 0x0c, 0x00, 0xf9, 0x61, 0x0a, 0x40, 0xf9, 0x01, 0x08, 0x00, 0xf9,
    0x80, 0x16, 0x40, 0xf9, 0x5f, 0xbb, 0xff, 0x97, 0x13, 0x0c, 0x00, 0xf9, 0xf5, 0xf6, 0xff, 0x97,
    0x80, 0x0e, 0x00, 0xb9, 0x93, 0x0a, 0x00, 0xf9, 0xf2, 0xf6, 0xff, 0x97, 0x60, 0x02, 0x00, 0xb9,
    0x02, 0x00, 0x80, 0x12, 0xa0, 0x02, 0x40, 0xf9, 0x00, 0x20, 0x40, 0x91, 0x00, 0xc4, 0x7e, 0xf9,
    0x01, 0x20, 0x00, 0x91, 0x22, 0x00, 0x00, 0xb9, 0xf3, 0x53, 0x41, 0xa9, 0xf5, 0x13, 0x40, 0xf9,
    0xfd, 0x7b, 0xc3, 0xa8, 0xdf, 0x19, 0x59, 0x14, 0xe0, 0x03, 0x14, 0xaa, 0x59, 0xff, 0xff, 0x97,
    0xf3, 0x03, 0x00, 0xaa, 0xe7, 0xff, 0xff, 0x17,
};
// Node 26.10.0 (linux-arm64), _ZN2v88internal8ThreadId18GetCurrentThreadIdEv at 0xe55400, 92 bytes
constexpr uint8_t ktid_26[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xf3, 0x0b, 0x00, 0xf9, 0xfd, 0x03, 0x00, 0x91, 0x48, 0xd0, 0x3b, 0xd5,
    0x08, 0x01, 0x40, 0x91, 0x13, 0x01, 0x05, 0x91, 0x60, 0x02, 0x40, 0xb9, 0x00, 0x01, 0x00, 0x35,
    0x21, 0x13, 0x03, 0xf0, 0x21, 0x00, 0x3f, 0x91, 0x20, 0x00, 0x80, 0x52, 0x2c, 0x50, 0x8c, 0x94,
    0x1f, 0x00, 0x00, 0x71, 0x60, 0x02, 0x00, 0xb9, 0x8d, 0x00, 0x00, 0x54, 0xf3, 0x0b, 0x40, 0xf9,
    0xfd, 0x7b, 0xc2, 0xa8, 0xc0, 0x03, 0x5f, 0xd6, 0x60, 0x72, 0x01, 0xf0, 0x00, 0x64, 0x16, 0x91,
    0x21, 0x74, 0x01, 0xb0, 0x21, 0xac, 0x0b, 0x91, 0xff, 0x6e, 0x62, 0x94,
};
// Node 26.10.0 (linux-arm64), _ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_ at 0xcc86d8, 24 bytes
constexpr uint8_t kadd_26[] = {
    0xe8, 0x03, 0x02, 0xaa, 0x09, 0x78, 0x9e, 0x52, 0xe2, 0x03, 0x03, 0x2a, 0x00, 0x00, 0x09, 0x8b,
    0xe3, 0x03, 0x08, 0xaa, 0x3a, 0x14, 0x09, 0x14,
};
constexpr uint64_t kadd_26_addr = 0xcc86d8;
// Node 26.10.0 (linux-arm64), _ZN2v87Isolate24RemoveGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_ at 0xcc86f0, 12 bytes
constexpr uint8_t kremove_26[] = {
    0x08, 0x78, 0x9e, 0x52, 0x00, 0x00, 0x08, 0x8b, 0xe6, 0x1a, 0x09, 0x14,
};
constexpr uint64_t kremove_26_addr = 0xcc86f0;
constexpr uint64_t khadd_26 = 0xf0d7d4;  // _ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_
constexpr uint64_t khremove_26 = 0xf0f290;  // _ZN2v88internal4Heap24RemoveGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES6_
// Node 26.10.0 (linux-arm64), _ZN2v88internal4Heap5stackEv at 0xf02ae4, 44 bytes
constexpr uint8_t kstack_26[] = {
    0x08, 0x10, 0x41, 0xf9, 0x68, 0x00, 0x00, 0xb4, 0x00, 0x41, 0x1d, 0x91, 0xc0, 0x03, 0x5f, 0xd6,
    0xfd, 0x7b, 0xbf, 0xa9, 0xfd, 0x03, 0x00, 0x91, 0x00, 0x6d, 0x01, 0xd0, 0x00, 0x64, 0x16, 0x91,
    0x81, 0x6f, 0x01, 0xb0, 0x21, 0x28, 0x08, 0x91, 0x52, 0xb9, 0x5f, 0x94,
};
// Node 26.10.0 (linux-arm64), _ZN2v88internal4Heap13SetStackStartEv at 0xf0d7ac, 40 bytes
constexpr uint8_t kset_26[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xf3, 0x0b, 0x00, 0xf9, 0xfd, 0x03, 0x00, 0x91, 0x13, 0x10, 0x41, 0xf9,
    0x73, 0x00, 0x00, 0xb4, 0x90, 0x99, 0x5f, 0x94, 0x60, 0xaa, 0x03, 0xf9, 0xf3, 0x0b, 0x40, 0xf9,
    0xfd, 0x7b, 0xc2, 0xa8, 0xc0, 0x03, 0x5f, 0xd6,
};
// Node 26.10.0 (linux-arm64), _ZN2v88internal13ThreadManager19FreeThreadResourcesEv at 0xe56fc8, 100 bytes
constexpr uint8_t kftr_26[] = {
    0xfd, 0x7b, 0xbe, 0xa9, 0xf3, 0x0b, 0x00, 0xf9, 0xfd, 0x03, 0x00, 0x91, 0x08, 0x14, 0x40, 0xf9,
    0xf3, 0x03, 0x00, 0xaa, 0x09, 0x41, 0x40, 0x91, 0x20, 0x59, 0x40, 0xf9, 0xfd, 0xda, 0xf9, 0x97,
    0x68, 0x16, 0x40, 0xf9, 0x00, 0x21, 0x05, 0x91, 0x4c, 0xf9, 0xff, 0x97, 0x68, 0x16, 0x40, 0xf9,
    0x00, 0x21, 0x00, 0x91, 0x2a, 0xf5, 0xff, 0x97, 0x68, 0x16, 0x40, 0xf9, 0x09, 0x41, 0x40, 0x91,
    0x21, 0xc5, 0x40, 0xf9, 0x20, 0x00, 0x10, 0x91, 0x5a, 0x6b, 0x13, 0x94, 0x68, 0x16, 0x40, 0xf9,
    0x09, 0xff, 0x9f, 0x52, 0x00, 0x69, 0x69, 0xf8, 0xf3, 0x0b, 0x40, 0xf9, 0xfd, 0x7b, 0xc2, 0xa8,
    0x34, 0x04, 0x06, 0x14,
};
constexpr uint64_t kftr_26_addr = 0xe56fc8;
constexpr uint64_t khsifree_26 = 0xccdbd8;  // _ZN2v88internal22HandleScopeImplementer19FreeThreadResourcesEv
// Node 26.10.0 (linux-arm64), _ZN2v88Unlocker10InitializeEPNS_7IsolateE at 0xe570b4, 164 bytes
constexpr uint8_t kunlock_26[] = {
    0xfd, 0x7b, 0xbd, 0xa9, 0xf5, 0x0b, 0x00, 0xf9, 0xf4, 0x4f, 0x02, 0xa9, 0xfd, 0x03, 0x00, 0x91,
    0x01, 0x00, 0x00, 0xf9, 0x28, 0x40, 0x40, 0x91, 0xf3, 0x03, 0x00, 0xaa, 0x15, 0xa5, 0x40, 0xf9,
    0xa8, 0x0e, 0x40, 0xf9, 0x14, 0x09, 0x40, 0xf9, 0x9f, 0x02, 0x08, 0xeb, 0x21, 0x01, 0x00, 0x54,
    0x00, 0x05, 0x80, 0x52, 0x42, 0x29, 0xe7, 0x97, 0x08, 0x00, 0x80, 0x12, 0xf4, 0x03, 0x00, 0xaa,
    0x1f, 0x80, 0x00, 0xa9, 0x08, 0x00, 0x00, 0xb9, 0x00, 0xd4, 0x01, 0xa9, 0x8a, 0x00, 0x00, 0x94,
    0x89, 0x22, 0x41, 0xa9, 0x28, 0x0d, 0x00, 0xf9, 0x89, 0x0a, 0x40, 0xf9, 0x09, 0x09, 0x00, 0xf9,
    0xa0, 0x16, 0x40, 0xf9, 0xa2, 0x6a, 0xff, 0x97, 0x14, 0x0c, 0x00, 0xf9, 0xb8, 0xf8, 0xff, 0x97,
    0xb4, 0x0a, 0x00, 0xf9, 0xa0, 0x0e, 0x00, 0xb9, 0xb5, 0xf8, 0xff, 0x97, 0x80, 0x02, 0x00, 0xb9,
    0x68, 0x02, 0x40, 0xf9, 0x09, 0x41, 0x40, 0x91, 0x08, 0x00, 0x80, 0x12, 0x20, 0xa5, 0x40, 0xf9,
    0x08, 0x08, 0x00, 0xb9, 0xf4, 0x4f, 0x42, 0xa9, 0xf5, 0x0b, 0x40, 0xf9, 0xfd, 0x7b, 0xc3, 0xa8,
    0xf9, 0x72, 0x62, 0x14,
};
// clang-format on

using verdant_test::Buf;
using verdant_test::Bytes;

template <size_t N>
Bytes B(const uint8_t (&a)[N]) {
  return Bytes(a, a + N);
}

// Little-endian instruction words to bytes.
Bytes W(std::initializer_list<uint32_t> words) {
  Bytes out;
  for (uint32_t w : words) {
    for (int i = 0; i < 4; i++) out.push_back(static_cast<uint8_t>(w >> (8 * i)));
  }
  return out;
}

uint32_t WordAt(const Bytes& b, size_t at) {
  return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 | static_cast<uint32_t>(b[at + 2]) << 16 |
         static_cast<uint32_t>(b[at + 3]) << 24;
}

Bytes WithWord(Bytes b, size_t at, uint32_t w) {
  for (int i = 0; i < 4; i++) b[at + i] = static_cast<uint8_t>(w >> (8 * i));
  return b;
}

Bytes Truncated(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + n); }

constexpr uint32_t kNop = 0xd503201f;

struct Version {
  const char* node;
  Bytes tid, add, remove, stack, set;
  uint64_t add_addr, remove_addr, hadd, hremove;
  // Expected, read off the objdump listings by hand.
  int64_t tp_offset;
  uint32_t heap, holder, stack_offset;
  // The compact-record fields: ThreadManager::FreeThreadResources (its address, and the HandleScopeImplementer
  // method its first bl lands on) and Unlocker::Initialize, then the expected ThreadManager::isolate_ and
  // Isolate::handle_scope_implementer_ offsets (x0's chain at that bl) and Isolate::thread_manager_ (the first
  // load from x1).
  Bytes ftr, unlock;
  uint64_t ftr_addr, hsifree;
  uint32_t isolate, hsi, thread_manager;
};

const std::vector<Version>& Versions() {
  static const std::vector<Version> v = {
      // 20: add x19, x19, #0x0, lsl #12; add x19, x19, #0xc8 / mov x3, #0xd2c0 / ldr x0, [x0, #80]; mov x1, #0xf928
      {"20.20.2", B(ktid_20), B(kadd_20), B(kremove_20), B(kstack_20), B(kset_20), kadd_20_addr, kremove_20_addr,
       khadd_20, khremove_20, 0xc8, 0xd2c0, 0x50, 0xf928,
       // ldr x0, [x0, #80]; add x0, x0, #0x8, lsl #12; ldr x0, [x0, #25544] / add x0, x1, #0x8, lsl #12;
       // ldr x20, [x0, #25600]
       B(kftr_20), B(kunlock_20), kftr_20_addr, khsifree_20, 80, 0x8000 + 25544, 0x8000 + 25600},
      // 22: #0xf0 / mov x3, #0xdea0 / ldr x0, [x0, #400]; add x0, x0, #0x698
      {"22.23.3", B(ktid_22), B(kadd_22), B(kremove_22), B(kstack_22), B(kset_22), kadd_22_addr, kremove_22_addr,
       khadd_22, khremove_22, 0xf0, 0xdea0, 0x190, 0x698,
       // ldr x0, [x0, #80]; add #0x8, lsl #12; ldr x0, [x0, #28128] / add x0, x1, #0x8, lsl #12; ldr x20, [x0, #28304]
       B(kftr_22), B(kunlock_22), kftr_22_addr, khsifree_22, 80, 0x8000 + 28128, 0x8000 + 28304},
      // 24: #0x120 / mov x3, #0xeff8 / ldr x0, [x0, #536]; add x0, x0, #0x6c0
      {"24.21.0", B(ktid_24), B(kadd_24), B(kremove_24), B(kstack_24), B(kset_24), kadd_24_addr, kremove_24_addr,
       khadd_24, khremove_24, 0x120, 0xeff8, 0x218, 0x6c0,
       // ldr x0, [x0, #40]; add #0x8, lsl #12; ldr x0, [x0, #31984] / add x0, x1, #0x8, lsl #12; ldr x20, [x0, #32136]
       B(kftr_24), B(kunlock_24), kftr_24_addr, khsifree_24, 40, 0x8000 + 31984, 0x8000 + 32136},
      // 26: add x8, x8, #0x0, lsl #12; add x19, x8, #0x140 / mov w9, #0xf3c0 / ldr x8, [x0, #544]; add x0, x8, #0x750
      {"26.10.0", B(ktid_26), B(kadd_26), B(kremove_26), B(kstack_26), B(kset_26), kadd_26_addr, kremove_26_addr,
       khadd_26, khremove_26, 0x140, 0xf3c0, 0x220, 0x750,
       // ldr x8, [x0, #40]; mov x19, x0; add x9, x8, #0x10, lsl #12; ldr x0, [x9, #176] /
       // add x8, x1, #0x10, lsl #12; mov x19, x0; ldr x21, [x8, #328]
       B(kftr_26), B(kunlock_26), kftr_26_addr, khsifree_26, 40, 0x10000 + 176, 0x10000 + 328},
  };
  return v;
}

bool DecodeTid(const Bytes& b, a::ThreadIdDecode* out, std::string* why) {
  Buf buf(b);
  return a::DecodeGetCurrentThreadId(buf.data.get(), buf.size, out, why);
}

bool DecodeThunk(const Bytes& b, uintptr_t addr, a::ThunkDecode* out, std::string* why) {
  Buf buf(b);
  return a::DecodeAddX0Thunk(buf.data.get(), buf.size, addr, "Isolate::AddGCPrologueCallback", out, why);
}

bool DecodeStack(const Bytes& b, a::HeapStackDecode* out, std::string* why) {
  Buf buf(b);
  return a::DecodeHeapStack(buf.data.get(), buf.size, out, why);
}

bool FindStore(const Bytes& b, uint32_t holder, uint32_t* off, std::string* why) {
  Buf buf(b);
  return a::FindSetStackStartStore(buf.data.get(), buf.size, holder, off, why);
}

bool FirstCall(const Bytes& b, uintptr_t addr, a::FirstCallDecode* out, std::string* why) {
  Buf buf(b);
  return a::DecodeFirstCall(buf.data.get(), buf.size, addr, "ThreadManager::FreeThreadResources", out, why);
}

bool FirstLoad(const Bytes& b, int arg, uint32_t* offset, std::string* why) {
  Buf buf(b);
  return a::DecodeFirstLoadFromArg(buf.data.get(), buf.size, arg, "Unlocker::Initialize", offset, why);
}

bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

// --- the real functions ---

TEST(real_bytes_all_versions) {
  for (const Version& v : Versions()) {
    std::printf("  node %s\n", v.node);
    std::string why;
    a::ThreadIdDecode t;
    CHECK(DecodeTid(v.tid, &t, &why));
    CHECK(why.empty());
    CHECK_EQ(t.tp_offset, v.tp_offset);

    a::ThunkDecode add, remove;
    CHECK(DecodeThunk(v.add, v.add_addr, &add, &why));
    CHECK(DecodeThunk(v.remove, v.remove_addr, &remove, &why));
    CHECK_EQ(add.heap_offset, v.heap);
    CHECK_EQ(remove.heap_offset, v.heap);
    CHECK_EQ(add.jump_target, v.hadd);  // the b lands on Heap::AddGCPrologueCallback's symbol
    CHECK_EQ(remove.jump_target, v.hremove);

    a::HeapStackDecode h;
    CHECK(DecodeStack(v.stack, &h, &why));
    CHECK_EQ(h.holder_offset, v.holder);
    CHECK_EQ(h.stack_offset, v.stack_offset);

    uint32_t store = 0;
    CHECK(FindStore(v.set, h.holder_offset, &store, &why));
    CHECK_EQ(store, v.stack_offset);  // the stack start is the Stack's first word, as on x86-64
    CHECK(why.empty());
  }
}

// --- GetCurrentThreadId ---

TEST(thread_id_refusals) {
  const Bytes tid20 = B(ktid_20);  // +12 mrs x19; +16 add lsl 12; +20 add #0xc8; +24 ldr w0; +28 cbz; +60 str w0
  const Bytes tid26 = B(ktid_26);  // +12 mrs x8; +16 add x8; +20 add x19, x8; +24 ldr; +28 cbnz; +52 str w0
  a::ThreadIdDecode t;
  std::string why;
  // The load from another register than the slot's (x20).
  CHECK(!DecodeTid(WithWord(tid20, 24, 0xb9400280), &t, &why));
  CHECK_EQ(why, std::string("ThreadId::GetCurrentThreadId: expected ldr w0, [xS] of the TLS slot at +24: b9400280"));
  // The load into w1.
  CHECK(!DecodeTid(WithWord(tid20, 24, 0xb9400261), &t, &why));
  // The load with a non-zero immediate: ldr w0, [x19, #4].
  CHECK(!DecodeTid(WithWord(tid20, 24, 0xb9400660), &t, &why));
  // Node 26: the second add from x9 rather than x8 (not the mrs chain).
  CHECK(!DecodeTid(WithWord(tid26, 20, 0x91050133), &t, &why));
  CHECK(Has(why, "expected add xS, xA, #lo"));
  // The first add without its lsl #12, and the mrs of another system register (tpidrro_el0).
  CHECK(!DecodeTid(WithWord(tid20, 16, 0x91000273), &t, &why));
  CHECK(Has(why, "lsl #12"));
  CHECK(!DecodeTid(WithWord(tid20, 12, 0xd53bd073), &t, &why));
  CHECK(Has(why, "mrs"));
  // mrs into xzr.
  CHECK(!DecodeTid(WithWord(tid20, 12, 0xd53bd05f), &t, &why));
  // The store back into another slot (str w0, [x20]), or missing (a nop).
  CHECK(!DecodeTid(WithWord(tid20, 60, 0xb9000280), &t, &why));
  CHECK(Has(why, "no store back"));
  CHECK(!DecodeTid(WithWord(tid26, 52, kNop), &t, &why));
  // No cbz/cbnz w0 after the load (cbz w1).
  CHECK(!DecodeTid(WithWord(tid20, 28, 0x34000081), &t, &why));
  CHECK(Has(why, "cbz"));
  // An unknown instruction in the frame set-up or in the chain.
  CHECK(!DecodeTid(WithWord(tid20, 4, kNop), &t, &why));
  CHECK(Has(why, "at +4: d503201f"));
  CHECK(!DecodeTid(WithWord(tid20, 16, kNop), &t, &why));
  // Implausible offsets: inside the TCB (#0x8) and not int-aligned (#0xca).
  CHECK(!DecodeTid(WithWord(tid20, 20, 0x91002273), &t, &why));
  CHECK(Has(why, "implausible TLS offset"));
  CHECK(!DecodeTid(WithWord(tid20, 20, 0x91032a73), &t, &why));
  // A non-zero tprel_hi12 is accepted (a larger TLS segment): add x19, x19, #0x1, lsl #12.
  CHECK(DecodeTid(WithWord(tid20, 16, 0x91400673), &t, &why));
  CHECK_EQ(t.tp_offset, int64_t{0x10c8});
  // An x86-64 function is not arm64 code.
  CHECK(!DecodeTid({0x64, 0x8b, 0x04, 0x25, 0xc0, 0xff, 0xff, 0xff, 0x85, 0xc0, 0xc3, 0x90}, &t, &why));
  CHECK(!DecodeTid({}, &t, &why));
  CHECK(Has(why, "<end>"));
}

// --- the Isolate -> Heap thunks ---

TEST(thunk_refusals) {
  const Bytes add20 = B(kadd_20);        // mov x4, x2; mov w2, w3; mov x3, #0xd2c0; add x0, x0, x3; mov x3, x4; b
  const Bytes remove26 = B(kremove_26);  // mov w8, #0xf3c0; add x0, x0, x8; b
  a::ThunkDecode d;
  std::string why;
  // add x0, x0, x4: x4 holds no movz constant (it is a copy of x2).
  CHECK(!DecodeThunk(WithWord(add20, 12, 0x8b040000), 0, &d, &why));
  CHECK_EQ(why, std::string("Isolate::AddGCPrologueCallback: add to x0 of a register with no movz constant at +12: "
                            "8b040000"));
  // add x1, x1, x3 instead of x0; add x0, x1, x3.
  CHECK(!DecodeThunk(WithWord(add20, 12, 0x8b030021), 0, &d, &why));
  CHECK(!DecodeThunk(WithWord(add20, 12, 0x8b030020), 0, &d, &why));
  // mov x0, x4 after the add, and a movz into x0.
  CHECK(!DecodeThunk(WithWord(add20, 16, 0xaa0403e0), 0, &d, &why));
  CHECK(Has(why, "another write to x0"));
  CHECK(!DecodeThunk(WithWord(add20, 0, 0xd2800020), 0, &d, &why));
  // The constant register overwritten before the add (mov x3, x4 moved up).
  CHECK(!DecodeThunk(W({0xd29a5803, 0xaa0403e3, 0x8b030000, 0x14000000}), 0, &d, &why));
  // movz with a shifted halfword (movz x3, #0xd2c0, lsl #16): not a form we saw.
  CHECK(!DecodeThunk(W({0xd2ba5803, 0x8b030000, 0x14000000}), 0, &d, &why));
  CHECK(Has(why, "unexpected instruction"));
  // Two adds; a b without an add; bl instead of b; an unknown instruction.
  CHECK(!DecodeThunk(W({0x529e7808, 0x8b080000, 0x8b080000, 0x14000000}), 0, &d, &why));
  CHECK(Has(why, "more than one add"));
  CHECK(!DecodeThunk(W({0x14000000}), 0, &d, &why));
  CHECK(!DecodeThunk(WithWord(remove26, 8, 0x94091ae6), 0, &d, &why));
  CHECK(!DecodeThunk(WithWord(remove26, 4, kNop), 0, &d, &why));
  // Implausible Heap offsets: not 8-aligned (#0xf3c4), zero.
  CHECK(!DecodeThunk(WithWord(remove26, 0, 0x529e7888), 0, &d, &why));
  CHECK(Has(why, "implausible Heap offset"));
  CHECK(!DecodeThunk(WithWord(remove26, 0, 0x52800008), 0, &d, &why));
  // Endless fillers.
  std::vector<uint32_t> fillers(20, 0xaa0203e4);
  Bytes many;
  for (uint32_t w : fillers) {
    Bytes one = W({w});
    many.insert(many.end(), one.begin(), one.end());
  }
  CHECK(!DecodeThunk(many, 0, &d, &why));
  CHECK(Has(why, "too many instructions"));
  CHECK(!DecodeThunk({}, 0, &d, &why));
}

TEST(thunk_branch_targets) {
  // b backwards (imm26 = -1) and the largest forward offset.
  a::ThunkDecode d;
  std::string why;
  CHECK(DecodeThunk(W({0x529e7808, 0x8b080000, 0x17ffffff}), 0x100000, &d, &why));
  CHECK_EQ(d.jump_target, uintptr_t{0x100000 + 8 - 4});
  CHECK(DecodeThunk(W({0x529e7808, 0x8b080000, 0x15ffffff}), 0x100000, &d, &why));
  CHECK_EQ(d.jump_target, uintptr_t{0x100000 + 8 + ((1u << 25) - 1) * 4});
}

// --- Heap::stack ---

TEST(heap_stack_refusals) {
  const Bytes stack20 = B(kstack_20);  // ldr x0, [x0, #80]; mov x1, #0xf928; add x0, x0, x1; ret
  const Bytes stack26 = B(kstack_26);  // ldr x8, [x0, #544]; cbz x8; add x0, x8, #0x750; ret
  a::HeapStackDecode h;
  std::string why;
  // The load from x1; the cbz of x9; the add from x9; the add into x1.
  CHECK(!DecodeStack(WithWord(stack26, 0, 0xf9411028), &h, &why));
  CHECK_EQ(why, std::string("Heap::stack: expected ldr xH, [x0, #D] at +0: f9411028"));
  CHECK(!DecodeStack(WithWord(stack26, 4, 0xb4000069), &h, &why));
  CHECK(Has(why, "cbz"));
  CHECK(!DecodeStack(WithWord(stack26, 8, 0x911d4120), &h, &why));
  CHECK(!DecodeStack(WithWord(stack26, 8, 0x911d4101), &h, &why));
  // add with lsl #12.
  CHECK(!DecodeStack(WithWord(stack26, 8, 0x915d4100), &h, &why));
  // Node 20: the add of another register than the movz's (x2), the movz into the holder (x0).
  CHECK(!DecodeStack(WithWord(stack20, 8, 0x8b020000), &h, &why));
  CHECK(Has(why, "after the movz"));
  CHECK(!DecodeStack(WithWord(stack20, 4, 0xd29f2500), &h, &why));
  // No ret (a nop); an unknown instruction where the add goes.
  CHECK(!DecodeStack(WithWord(stack20, 12, kNop), &h, &why));
  CHECK(Has(why, "expected ret"));
  CHECK(!DecodeStack(WithWord(stack26, 8, kNop), &h, &why));
  // Implausible offsets: holder at 0 (ldr x8, [x0]), misaligned stack offset (#0x754).
  CHECK(!DecodeStack(WithWord(stack26, 0, 0xf9400008), &h, &why));
  CHECK(Has(why, "implausible holder offset"));
  CHECK(!DecodeStack(WithWord(stack26, 8, 0x911d5100), &h, &why));
  CHECK(Has(why, "implausible stack offset"));
  CHECK(!DecodeStack({}, &h, &why));
}

// --- Heap::SetStackStart cross-check ---

TEST(set_stack_start_refusals) {
  const Bytes set20 = B(kset_20);  // ldr x0, [x0, #80]; movz x3; adrp x2; add x0, x0, x3; ldrb w2; str x1, [x0, #296]
  const Bytes set22 = B(kset_22);  // ldr x0, [x0, #400]; cbz x0; str x1, [x0, #1688]; ret
  const Bytes set24 = B(kset_24);  // stp; mov; str x19; ldr x19, [x0, #536]; cbz x19; bl; str x0, [x19, #1728]
  uint32_t off = 0;
  std::string why;
  // Another holder offset than Heap::stack()'s.
  CHECK(!FindStore(set22, 0x198, &off, &why));
  CHECK(Has(why, "no load of the stack holder"));
  CHECK(!FindStore(set22, 0x194, &off, &why));
  CHECK(Has(why, "unencodable"));
  // The store through x1 instead of the holder.
  CHECK(!FindStore(WithWord(set22, 8, 0xf9034c22), 0x190, &off, &why));
  CHECK(Has(why, "unexpected instruction at +8: f9034c22"));
  // Node 20: the add of a register with no constant (x4); the movz into the holder; an unknown instruction.
  CHECK(!FindStore(WithWord(set20, 12, 0x8b040000), 0x50, &off, &why));
  CHECK(Has(why, "no movz constant"));
  CHECK(!FindStore(WithWord(set20, 4, 0xd29f0000), 0x50, &off, &why));
  CHECK(Has(why, "overwritten"));
  CHECK(!FindStore(WithWord(set20, 8, kNop), 0x50, &off, &why));
  // movz into xzr, then add x0, x0, xzr.
  CHECK(!FindStore(WithWord(set20, 4, 0xd29f001f), 0x50, &off, &why));
  // Node 22: a call with the holder in x0 (caller-saved).
  CHECK(!FindStore(WithWord(set22, 4, 0x94000000), 0x190, &off, &why));
  CHECK(Has(why, "caller-saved"));
  // Node 24: the cbz of x0 instead of x19; the store cut off.
  CHECK(!FindStore(WithWord(set24, 16, 0xb4000060), 0x218, &off, &why));
  CHECK(!FindStore(Truncated(set24, 24), 0x218, &off, &why));
  CHECK(Has(why, "no 64-bit store"));
  CHECK(!FindStore({}, 0x190, &off, &why));
}

// --- the compact-record fields: ThreadManager::FreeThreadResources, Unlocker::Initialize ---

TEST(record_fields_all_versions) {
  for (const Version& v : Versions()) {
    std::printf("  node %s\n", v.node);
    std::string why;
    a::FirstCallDecode call;
    CHECK(FirstCall(v.ftr, v.ftr_addr, &call, &why));
    CHECK(why.empty());
    CHECK_EQ(call.arg0.root, 0);  // this, the ThreadManager
    CHECK_EQ(call.arg0.depth, 2);
    CHECK_EQ(call.arg0.offsets[0], v.isolate);
    CHECK_EQ(call.arg0.offsets[1], v.hsi);
    CHECK_EQ(call.call_target, v.hsifree);  // the bl lands on HandleScopeImplementer::FreeThreadResources' symbol

    uint32_t thread_manager = 0;
    CHECK(FirstLoad(v.unlock, 1, &thread_manager, &why));
    CHECK(why.empty());
    CHECK_EQ(thread_manager, v.thread_manager);
    // Handle-scope implementer and thread manager are neighbouring Isolate fields in every version.
    CHECK(thread_manager > v.hsi && thread_manager - v.hsi < 0x100);
  }
}

TEST(first_call_refusals) {
  // 20: +0 stp; +4 mov x29, sp; +8 str x19, [sp, #16]; +12 mov x19, x0; +16 ldr x0, [x0, #80];
  //     +20 add x0, x0, #0x8, lsl #12; +24 ldr x0, [x0, #25544]; +28 bl
  // 26: +0 stp; +4 str x19, [sp, #16]; +8 mov x29, sp; +12 ldr x8, [x0, #40]; +16 mov x19, x0;
  //     +20 add x9, x8, #0x10, lsl #12; +24 ldr x0, [x9, #176]; +28 bl
  const Bytes ftr20 = B(kftr_20);
  const Bytes ftr26 = B(kftr_26);
  a::FirstCallDecode d;
  std::string why;
  // An unknown instruction before the call.
  CHECK(!FirstCall(WithWord(ftr20, 16, kNop), 0, &d, &why));
  CHECK_EQ(why, std::string("ThreadManager::FreeThreadResources: unexpected instruction at +16: d503201f"));
  // A pending addend after the last load (add x0, x0, #8): x0 is an address inside the HSI, not a LoadChain.
  Bytes with_addend = Truncated(ftr20, 28);
  for (uint8_t byte : W({0x91002000, WordAt(ftr20, 28)})) with_addend.push_back(byte);
  CHECK(!FirstCall(with_addend, 0, &d, &why));
  CHECK_EQ(why, std::string("ThreadManager::FreeThreadResources: the first argument of the call is an address, not a "
                            "loaded pointer at +32: 97fa2c69"));
  // Branches before the call: cbz x0; ret; b; b.eq; blr x8.
  for (uint32_t branch : {0xb4000060u, a::kRet, 0x14000010u, 0x54000040u, 0xd63f0100u}) {
    CHECK(!FirstCall(WithWord(ftr20, 20, branch), 0, &d, &why));
    CHECK(Has(why, "a branch before the answer at +20"));
  }
  // The first load from a register not derived from an argument (x20), or from the stack.
  CHECK(!FirstCall(WithWord(ftr20, 16, 0xf9402a80), 0, &d, &why));
  CHECK(Has(why, "not loaded from an argument at +28"));
  CHECK(!FirstCall(WithWord(ftr20, 16, 0xf9400be0), 0, &d, &why));
  // Through x19, the copy of x0 made at +12: the same chain.
  CHECK(FirstCall(WithWord(ftr20, 16, 0xf9402a60), 0, &d, &why));
  CHECK(d.arg0.root == 0 && d.arg0.depth == 2 && d.arg0.offsets[0] == 80 && d.arg0.offsets[1] == 0x8000 + 25544);
  // Node 26: a write to x8 between its load and the add kills the chain (mov x8, x20: untraced; mov x8, x2: the
  // third argument, so the chain starts there, one load deep).
  CHECK(!FirstCall(WithWord(ftr26, 16, 0xaa1403e8), 0, &d, &why));
  CHECK(Has(why, "not loaded from an argument"));
  CHECK(FirstCall(WithWord(ftr26, 16, 0xaa0203e8), 0, &d, &why));
  CHECK(d.arg0.root == 2 && d.arg0.depth == 1 && d.arg0.offsets[0] == 0x10000 + 176);
  // Node 26: x0 passed as it came (mov x0, x19: no load, depth 0), and one load too many.
  CHECK(!FirstCall(WithWord(ftr26, 24, 0xaa1303e0), 0, &d, &why));
  CHECK(Has(why, "not loaded from an argument at +28"));
  CHECK(!FirstCall(W({0xf9400400, 0xf9400800, 0xf9400c00, 0x94000000}), 0, &d, &why));
  CHECK(Has(why, "more pointers than a LoadChain holds"));
  // An offset past 16 MiB (add #0xfff, lsl #12 twice), and a misaligned one (add x0, x0, #4 before the load).
  CHECK(!FirstCall(W({0x917ffc00, 0x917ffc00, 0xf9400400, 0x94000000}), 0, &d, &why));
  CHECK(Has(why, "implausible offset"));
  CHECK(!FirstCall(W({0x91001000, 0xf9400400, 0xf9400400, 0x94000000}), 0, &d, &why));
  CHECK(Has(why, "implausible offset at +12"));
  // Writes to sp or xzr: add sp, x0, #16; ldr xzr, [x0, #8]; mov xzr, x0 is an orr into the zero register.
  CHECK(!FirstCall(WithWord(ftr20, 20, 0x9100401f), 0, &d, &why));
  CHECK(Has(why, "unexpected instruction"));
  CHECK(!FirstCall(WithWord(ftr20, 20, 0xf940041f), 0, &d, &why));
  CHECK(!FirstCall(WithWord(ftr20, 20, 0xaa0003ff), 0, &d, &why));
  // Pre/post-indexed and pair loads are not in the whitelist: ldr x0, [x0, #8]!; ldp x0, x1, [x0].
  CHECK(!FirstCall(WithWord(ftr20, 16, 0xf8408c00), 0, &d, &why));
  CHECK(!FirstCall(WithWord(ftr20, 16, 0xa9400400), 0, &d, &why));
  // No call within the bound.
  Bytes moves;
  for (int n = 0; n < 40; n++) {
    for (uint8_t byte : W({0xaa0203e1})) moves.push_back(byte);
  }
  CHECK(!FirstCall(moves, 0, &d, &why));
  CHECK(Has(why, "too many instructions"));
  CHECK(!FirstCall({}, 0, &d, &why));
  CHECK_EQ(why, std::string("ThreadManager::FreeThreadResources: ran off the end at +0: <end>"));
  // bl forwards, at the largest offset.
  CHECK(FirstCall(W({0xf9400400, 0xf9400800, 0x95ffffff}), 0x100000, &d, &why));
  CHECK_EQ(d.call_target, uintptr_t{0x100000 + 8 + ((1u << 25) - 1) * 4});
}

TEST(first_load_refusals) {
  // 20: +0 stp; +4 mov x29, sp; +8 str x21, [sp, #32]; +12 mov x21, x0; +16 add x0, x1, #0x8, lsl #12;
  //     +20 stp x19, x20, [sp, #16]; +24 str x1, [x21]; +28 ldr x20, [x0, #25600]; +32 ldr x0, [x20, #64]; +40 cmp
  // 26: +0 stp; +4 str x21, [sp, #16]; +8 stp x20, x19, [sp, #32]; +12 mov x29, sp; +16 str x1, [x0];
  //     +20 add x8, x1, #0x10, lsl #12; +24 mov x19, x0; +28 ldr x21, [x8, #328]
  const Bytes unlock20 = B(kunlock_20);
  const Bytes unlock26 = B(kunlock_26);
  uint32_t off = 0;
  std::string why;
  // An unknown instruction before the load.
  CHECK(!FirstLoad(WithWord(unlock20, 20, kNop), 1, &off, &why));
  CHECK_EQ(why, std::string("Unlocker::Initialize: unexpected instruction at +20: d503201f"));
  // A call or a branch before it.
  CHECK(!FirstLoad(WithWord(unlock20, 24, 0x94000000), 1, &off, &why));
  CHECK_EQ(why, std::string("Unlocker::Initialize: a call before the answer at +24: 94000000"));
  CHECK(!FirstLoad(WithWord(unlock26, 24, 0x54000121), 1, &off, &why));
  CHECK(Has(why, "a branch before the answer"));
  // x0 is overwritten before any load through it, so the trace runs on to the cmp; x2 is never loaded from.
  CHECK(!FirstLoad(unlock20, 0, &off, &why));
  CHECK(Has(why, "unexpected instruction at +40"));
  CHECK(!FirstLoad(unlock26, 2, &off, &why));
  // Not an argument register.
  CHECK(!FirstLoad(unlock20, 8, &off, &why));
  CHECK(Has(why, "no such argument register"));
  CHECK(!FirstLoad(unlock20, -1, &off, &why));
  // Node 26: the add from x2 instead of x1: x21 is then loaded from the third argument, not from x1.
  CHECK(!FirstLoad(WithWord(unlock26, 20, 0x91404048), 1, &off, &why));
  // A misaligned field (add x0, x1, #4) and one at offset 0 (ldr x20, [x1]).
  CHECK(!FirstLoad(WithWord(unlock20, 16, 0x91001020), 1, &off, &why));
  CHECK(Has(why, "implausible field offset at +28"));
  CHECK(!FirstLoad(W({0xf9400034}), 1, &off, &why));
  // Copies count as the argument itself (mov x9, x1; ldr x0, [x9, #16]); a load from another argument does not
  // (ldr x0, [x2, #16]; bl).
  CHECK(FirstLoad(W({0xaa0103e9, 0xf9400920}), 1, &off, &why));
  CHECK_EQ(off, 16u);
  CHECK(!FirstLoad(W({0xf9400840, 0x94000000}), 1, &off, &why));
  CHECK(Has(why, "a call before the answer at +4"));
  CHECK(!FirstLoad({}, 1, &off, &why));
}

// --- robustness: truncations, bit flips and random words ---

TEST(truncated_input_is_refused_without_overread) {
  for (const Version& v : Versions()) {
    // Each decoder needs everything up to its last checked word: the tid store (Node 20-24 at +60, 26 at +52), the
    // b, the ret, the str.
    size_t tid_needed = WordAt(v.tid, 60) == 0xb9000260 ? 64 : 56;
    for (size_t n = 0; n < tid_needed; n++) {
      a::ThreadIdDecode t;
      std::string why;
      CHECK(!DecodeTid(Truncated(v.tid, n), &t, &why));
    }
    for (size_t n = 0; n < v.add.size(); n++) {
      a::ThunkDecode d;
      std::string why;
      CHECK(!DecodeThunk(Truncated(v.add, n), 0, &d, &why));
      if (n < v.remove.size()) CHECK(!DecodeThunk(Truncated(v.remove, n), 0, &d, &why));
    }
    a::HeapStackDecode full;
    std::string why;
    REQUIRE(DecodeStack(v.stack, &full, &why));
    for (size_t n = 0; n < 16; n++) {  // 20: ldr, movz, add, ret; 22-26: ldr, cbz, add, ret
      a::HeapStackDecode h;
      CHECK(!DecodeStack(Truncated(v.stack, n), &h, &why));
    }
    size_t store_at = 0;
    for (size_t at = 0; at + 4 <= v.set.size(); at += 4) {
      uint32_t w = WordAt(v.set, at);
      if ((w & 0xffc00000) == 0xf9000000 && ((w >> 5) & 31) != 31 && store_at == 0) store_at = at;
    }
    REQUIRE(store_at != 0);
    for (size_t n = 0; n < store_at + 4; n++) {
      uint32_t off = 0;
      CHECK(!FindStore(Truncated(v.set, n), full.holder_offset, &off, &why));
    }
    // The bl of FreeThreadResources and the ldr of Unlocker::Initialize are at +28 in every version: each needs
    // exactly its first 32 bytes.
    for (size_t n = 0; n <= 32; n++) {
      a::FirstCallDecode d;
      uint32_t off = 0;
      CHECK_EQ(FirstCall(Truncated(v.ftr, n), v.ftr_addr, &d, &why), n == 32);
      CHECK_EQ(FirstLoad(Truncated(v.unlock, n), 1, &off, &why), n == 32);
      if (n == 32) CHECK(d.call_target == v.hsifree && d.arg0.offsets[1] == v.hsi && off == v.thread_manager);
    }
  }
}

TEST(every_bit_flip_is_refused_or_plausible) {
  // A single flipped bit in any word a decoder reads must either be refused or still decode to values within the
  // documented bounds (a flip inside an immediate field gives another plausible offset: that is what the resolver's
  // cross-checks are for). Flips that leave the result unchanged are in fields no decoder relies on: frame set-up
  // immediates, the registers of the thunks' argument shuffles, branch offsets to the fatal paths, the words
  // between the TLS load and its store. For GetCurrentThreadId the TLS chain (mrs, add, add, ldr, cbz at +12..+28,
  // the same in every version) is checked bit by bit: a flip there is accepted only inside the two add immediates
  // (bits 10..21) or the cbz's offset and cbz/cbnz bit (bits 5..24).
  int refused = 0, shifted = 0, total = 0;
  for (const Version& v : Versions()) {
    const size_t tid_read = WordAt(v.tid, 60) == 0xb9000260 ? 64 : 56;  // up to the lazy store
    a::ThreadIdDecode t0;
    a::HeapStackDecode h0;
    std::string why;
    REQUIRE(DecodeTid(v.tid, &t0, &why) && DecodeStack(v.stack, &h0, &why));
    for (size_t bit = 0; bit < tid_read * 8; bit++) {
      Bytes b = v.tid;
      b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      a::ThreadIdDecode t;
      total++;
      if (!DecodeTid(b, &t, &why)) {
        refused++;
        CHECK(why.find("ThreadId::GetCurrentThreadId: ") == 0);
        continue;
      }
      CHECK(t.tp_offset >= 16 && t.tp_offset % 4 == 0 && t.tp_offset < (int64_t{1} << 24));
      const size_t word = bit / 32, field = bit % 32;
      if (word >= 3 && word <= 7) {
        CHECK(((word == 4 || word == 5) && field >= 10 && field < 22) || (word == 7 && field >= 5 && field < 25));
      }
      if (t.tp_offset != t0.tp_offset) {
        shifted++;
        CHECK((word == 4 || word == 5) && field >= 10 && field < 22);
      }
    }
    for (const Bytes* thunk : {&v.add, &v.remove}) {
      for (size_t bit = 0; bit < thunk->size() * 8; bit++) {
        Bytes b = *thunk;
        b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        a::ThunkDecode d;
        total++;
        if (!DecodeThunk(b, 0, &d, &why)) {
          refused++;
          continue;
        }
        CHECK(d.heap_offset > 0 && d.heap_offset % 8 == 0 && d.heap_offset < (1u << 20));
        if (d.heap_offset != v.heap || d.jump_target != (thunk == &v.add ? v.hadd - v.add_addr : v.hremove - v.remove_addr)) {
          shifted++;
        }
      }
    }
    const size_t stack_read = 16;
    for (size_t bit = 0; bit < stack_read * 8; bit++) {
      Bytes b = v.stack;
      b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      a::HeapStackDecode h;
      total++;
      if (!DecodeStack(b, &h, &why)) {
        refused++;
        continue;
      }
      CHECK(h.holder_offset > 0 && h.holder_offset % 8 == 0 && h.stack_offset % 8 == 0);
      if (h.holder_offset != h0.holder_offset || h.stack_offset != h0.stack_offset) shifted++;
    }
    // The record prefixes (32 bytes each, up to the bl and the ldr): an accepted flip still gives a chain from an
    // argument register, 8-aligned offsets under 16 MiB.
    for (size_t bit = 0; bit < 32 * 8; bit++) {
      Bytes b = v.ftr;
      b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      a::FirstCallDecode d;
      total++;
      if (!FirstCall(b, v.ftr_addr, &d, &why)) {
        refused++;
        CHECK(why.find("ThreadManager::FreeThreadResources: ") == 0);
      } else {
        CHECK(d.arg0.root >= 0 && d.arg0.root < 8 && d.arg0.depth >= 1 && d.arg0.depth <= 2);
        for (int k = 0; k < d.arg0.depth; k++) CHECK(d.arg0.offsets[k] % 8 == 0 && d.arg0.offsets[k] < (1u << 24));
        if (d.arg0.root != 0 || d.arg0.depth != 2 || d.arg0.offsets[0] != v.isolate || d.arg0.offsets[1] != v.hsi ||
            d.call_target != v.hsifree) {
          shifted++;
        }
      }
      b = v.unlock;
      b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      uint32_t off = 0;
      total++;
      if (!FirstLoad(b, 1, &off, &why)) {
        refused++;
        continue;
      }
      CHECK(off > 0 && off % 8 == 0 && off < (1u << 24));
      if (off != v.thread_manager) shifted++;
    }
  }
  std::printf("  single-bit flips: %d refused, %d accepted with other offsets, %d of %d accepted unchanged\n",
              refused, shifted, total - refused - shifted, total);
}

TEST(random_words_never_crash) {
  std::mt19937 rng(12345);
  // Half the words come from the forms the decoders accept, with random fields, and half the inputs are real
  // functions with some of their words replaced, so the fuzzing reaches past the first instruction.
  const uint32_t hot[] = {0xa9807bfd, 0x910003fd, 0xf90003e0, 0xd53bd040, 0x91400000, 0x91000000,
                          0x8b000000, 0xb9400000, 0xb9000000, 0xf9400000, 0xf9000000, 0x39400000,
                          0x34000000, 0x35000000, 0xb4000000, 0xd2800000, 0x52800000, 0xaa0003e0,
                          0x2a0003e0, 0x90000000, 0x14000000, 0x94000000, 0xd65f03c0, 0xa90003e0,
                          0x54000000, 0x36000000, 0xd63f0000};
  const uint32_t hot_fields[] = {0x0, 0x1f, 0x3e0, 0x1f0000, 0x3ffc00, 0x13, 0x260, 0x3fffe0};
  int accepted = 0;
  for (int i = 0; i < 200000; i++) {
    size_t words = rng() % 16;
    std::vector<uint32_t> ws(words);
    for (uint32_t& w : ws) {
      w = static_cast<uint32_t>((rng() % 2) ? hot[rng() % (sizeof(hot) / sizeof(hot[0]))] | (rng() & hot_fields[rng() % 8])
                                            : rng());
    }
    Bytes b;
    for (uint32_t w : ws) {
      Bytes one = W({w});
      b.insert(b.end(), one.begin(), one.end());
    }
    if (i % 2 == 1) {
      // Or a real function with a few words replaced by hot or random ones.
      const Version& v = Versions()[rng() % Versions().size()];
      const Bytes* fns[] = {&v.tid, &v.add, &v.remove, &v.stack, &v.set, &v.ftr, &v.unlock};
      b = *fns[rng() % 7];
      for (uint32_t w : ws) {
        if (rng() % 4 != 0) continue;
        b = WithWord(b, 4 * (rng() % (b.size() / 4)), w);
      }
    }
    b.resize(b.size() - (b.empty() ? 0 : rng() % 4));  // sometimes a partial trailing word
    a::ThreadIdDecode t;
    a::ThunkDecode k;
    a::HeapStackDecode h;
    uint32_t off = 0;
    std::string why;
    if (DecodeTid(b, &t, &why)) {
      accepted++;
      CHECK(t.tp_offset >= 16 && t.tp_offset % 4 == 0);
    }
    if (DecodeThunk(b, 0x400000, &k, &why)) {
      accepted++;
      CHECK(k.heap_offset > 0 && k.heap_offset % 8 == 0 && k.heap_offset < (1u << 20));
    }
    if (DecodeStack(b, &h, &why)) {
      accepted++;
      CHECK(h.holder_offset % 8 == 0 && h.stack_offset % 8 == 0);
    }
    if (FindStore(b, 0x218, &off, &why)) {
      accepted++;
      CHECK(off > 0 && off < (1u << 20));
    }
    a::FirstCallDecode d;
    if (FirstCall(b, 0x400000, &d, &why)) {
      accepted++;
      CHECK(d.arg0.root >= 0 && d.arg0.root < 8 && d.arg0.depth >= 1 && d.arg0.depth <= 2);
      for (int n = 0; n < d.arg0.depth; n++) CHECK(d.arg0.offsets[n] % 8 == 0 && d.arg0.offsets[n] < (1u << 24));
    }
    if (FirstLoad(b, 1, &off, &why)) {
      accepted++;
      CHECK(off > 0 && off % 8 == 0 && off < (1u << 24));
    }
  }
  std::printf("  random inputs accepted: %d of %d decoder calls\n", accepted, 6 * 200000);
}

int main() { return RUN_ALL_TESTS(); }
