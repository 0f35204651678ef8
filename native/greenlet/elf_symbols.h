// A small read-only ELF64 symbol reader for the object that contains V8 (normally the node executable itself).
//
// Node 20/22 export V8's internals in .dynsym, Node 24+ only keep them in .symtab of the (unstripped) official
// binaries, so dlsym is not enough: we map the file, scan .dynsym then .symtab, and translate st_value to a runtime
// address with the object's load bias (0 for ET_EXEC, the load base for ET_DYN). The bias is verified against a
// dlsym'd exported symbol before any lookup is trusted.
//
// Used once at init; not thread-safe (one instance per caller). The file mapping is released by Close() or the
// destructor. Linux only: elsewhere Open() fails with "unsupported platform".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace verdant::detail {

struct ElfSymbol {
  uintptr_t address = 0;  // runtime address (st_value + load bias); 0 if not found
  size_t size = 0;        // st_size (0 if the table does not say)
};

class ElfSymbols {
 public:
  ElfSymbols() = default;
  ~ElfSymbols();
  ElfSymbols(const ElfSymbols&) = delete;
  ElfSymbols& operator=(const ElfSymbols&) = delete;

  // Finds the object containing V8 (via dladdr of the exported v8::Isolate::SetStackLimit), maps it read-only,
  // validates its headers and locates its symbol tables, computes and verifies the load bias.
  // Returns false with a one-line reason on any problem.
  bool Open(std::string* why);
  // Unmaps the file. Addresses already returned stay valid (they point into the loaded image, not the mapping).
  void Close();
  bool is_open() const { return map_ != nullptr; }

  // Runtime address of a defined symbol by mangled name (.dynsym first, then .symtab), or nullptr.
  void* Find(const char* mangled);
  // Same, with the symbol size. Returns false if not found.
  bool Lookup(const char* mangled, ElfSymbol* out);
  // Batched lookup. Only fills entries that are still missing (out[k].address == 0) and whose name is non-null,
  // so callers can pre-clear `out`, skip names, and call again: .dynsym through its GNU hash table (or one linear
  // pass if it has none), then, only if some are still missing, one linear pass over .symtab for all of them.
  // Returns the number of entries of `out` that are set afterwards.
  size_t LookupAll(const char* const* mangled, ElfSymbol* out, size_t count);
  // Same, .dynsym only (cheap: hash lookups). Useful to decide what to ask LookupAll for.
  size_t LookupDynamic(const char* const* mangled, ElfSymbol* out, size_t count);

  // True if [addr, addr+len) lies inside one of the object's loaded segments (PT_LOAD, runtime addresses).
  bool InLoadedImage(uintptr_t addr, size_t len) const;

  uintptr_t load_bias() const { return bias_; }
  const std::string& path() const { return path_; }

 private:
  struct Table {
    const void* syms = nullptr;  // Elf64_Sym array inside the mapping
    size_t count = 0;
    const char* strtab = nullptr;
    size_t strtab_size = 0;
  };
  bool MapAndParse(const char* path, std::string* why);
  void ScanTable(const Table& t, const char* const* names, ElfSymbol* out, size_t count) const;
  bool HashLookup(const char* name, ElfSymbol* out) const;
  void SetFrom(const void* sym, ElfSymbol* out) const;

  void* map_ = nullptr;
  size_t map_size_ = 0;
  uintptr_t bias_ = 0;
  std::string path_;
  Table dynsym_;
  Table symtab_;
  // .gnu.hash of .dynsym (inside the mapping), or null.
  const uint32_t* gnu_hash_ = nullptr;
  size_t gnu_hash_words_ = 0;
  // Loaded segments (runtime addresses), for InLoadedImage.
  static constexpr int kMaxSegments = 16;
  uintptr_t seg_start_[kMaxSegments] = {};
  uintptr_t seg_end_[kMaxSegments] = {};
  int seg_count_ = 0;
};

}  // namespace verdant::detail
