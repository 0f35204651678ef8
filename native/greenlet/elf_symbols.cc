// See elf_symbols.h.
#include "greenlet/elf_symbols.h"

#if defined(__linux__)

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace verdant::detail {

namespace {

// Exported by every Node build we support; used to find the object that contains V8 and to verify the bias.
constexpr const char kAnchorSymbol[] = "_ZN2v87Isolate13SetStackLimitEm";

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#else
constexpr uint16_t kHostMachine = EM_NONE;
#endif

std::string Hex(uintptr_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "0x%lx", static_cast<unsigned long>(v));
  return buf;
}

// [off, off+len) inside [0, size) without overflow.
bool InFile(uint64_t off, uint64_t len, size_t size) { return off <= size && len <= size - off; }

}  // namespace

ElfSymbols::~ElfSymbols() { Close(); }

void ElfSymbols::Close() {
  if (map_ != nullptr) munmap(map_, map_size_);
  map_ = nullptr;
  map_size_ = 0;
  dynsym_ = Table();
  symtab_ = Table();
  gnu_hash_ = nullptr;
  gnu_hash_words_ = 0;
}

bool ElfSymbols::MapAndParse(const char* path, std::string* why) {
  Close();
  seg_count_ = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("cannot open ") + path;
    return false;
  }
  // Its size from lseek rather than fstat, whose symbol needs glibc 2.33 (platform/glibc_floor.h).
  off_t end = lseek(fd, 0, SEEK_END);
  if (end < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    close(fd);
    *why = std::string("cannot size or too small: ") + path;
    return false;
  }
  size_t size = static_cast<size_t>(end);
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    *why = std::string("cannot mmap ") + path;
    return false;
  }
  map_ = map;
  map_size_ = size;
  const auto* base = static_cast<const uint8_t*>(map);

  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_ident[EI_DATA] != ELFDATA2LSB || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
      eh->e_machine != kHostMachine) {
    *why = std::string("not a 64-bit little-endian host ELF executable/shared object: ") + path;
    Close();
    return false;
  }
  if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 ||
      !InFile(eh->e_shoff, uint64_t{eh->e_shnum} * sizeof(Elf64_Shdr), size) || eh->e_phentsize != sizeof(Elf64_Phdr) ||
      !InFile(eh->e_phoff, uint64_t{eh->e_phnum} * sizeof(Elf64_Phdr), size)) {
    *why = std::string("bad ELF section/program header table: ") + path;
    Close();
    return false;
  }
  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
  for (unsigned i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_DYNSYM && sh[i].sh_type != SHT_SYMTAB) continue;
    Table* t = sh[i].sh_type == SHT_DYNSYM ? &dynsym_ : &symtab_;
    if (t->syms != nullptr) continue;  // only the first of each kind
    if (sh[i].sh_entsize != sizeof(Elf64_Sym) || !InFile(sh[i].sh_offset, sh[i].sh_size, size) ||
        sh[i].sh_link >= eh->e_shnum) {
      continue;
    }
    const Elf64_Shdr& str = sh[sh[i].sh_link];
    if (str.sh_type != SHT_STRTAB || str.sh_size == 0 || !InFile(str.sh_offset, str.sh_size, size)) continue;
    const char* strtab = reinterpret_cast<const char*>(base + str.sh_offset);
    if (strtab[str.sh_size - 1] != '\0') continue;  // names must be terminated inside the table
    t->syms = base + sh[i].sh_offset;
    t->count = sh[i].sh_size / sizeof(Elf64_Sym);
    t->strtab = strtab;
    t->strtab_size = str.sh_size;
  }
  // .gnu.hash for .dynsym, if its header and arrays fit in the section.
  for (unsigned i = 0; i < eh->e_shnum && dynsym_.syms != nullptr; i++) {
    if (sh[i].sh_type != SHT_GNU_HASH || sh[i].sh_link >= eh->e_shnum || sh[i].sh_size < 16 ||
        !InFile(sh[i].sh_offset, sh[i].sh_size, size) || sh[i].sh_offset % 8 != 0 ||
        base + sh[sh[i].sh_link].sh_offset != dynsym_.syms) {
      continue;
    }
    const auto* h = reinterpret_cast<const uint32_t*>(base + sh[i].sh_offset);
    size_t words = sh[i].sh_size / 4;
    if (h[0] == 0 || 4 + uint64_t{h[2]} * 2 + h[0] > words) continue;
    gnu_hash_ = h;
    gnu_hash_words_ = words;
    break;
  }
  if (dynsym_.syms == nullptr && symtab_.syms == nullptr) {
    *why = std::string("no symbol tables in ") + path;
    Close();
    return false;
  }
  return true;
}

namespace {

// A defined function or object with a name; only those can be what a caller asks for.
bool Usable(const Elf64_Sym& s, size_t strtab_size) {
  unsigned type = ELF64_ST_TYPE(s.st_info);
  return s.st_shndx != SHN_UNDEF && s.st_value != 0 && s.st_name != 0 && s.st_name < strtab_size &&
         (type == STT_FUNC || type == STT_OBJECT);
}

size_t CountSet(const ElfSymbol* out, size_t count) {
  size_t n = 0;
  for (size_t k = 0; k < count; k++) n += out[k].address != 0;
  return n;
}

bool Wanted(const char* const* names, const ElfSymbol* out, size_t count) {
  for (size_t k = 0; k < count; k++) {
    if (names[k] != nullptr && out[k].address == 0) return true;
  }
  return false;
}

}  // namespace

void ElfSymbols::SetFrom(const void* sym, ElfSymbol* out) const {
  const auto* s = static_cast<const Elf64_Sym*>(sym);
  out->address = static_cast<uintptr_t>(s->st_value) + bias_;
  out->size = static_cast<size_t>(s->st_size);
}

void ElfSymbols::ScanTable(const Table& t, const char* const* names, ElfSymbol* out, size_t count) const {
  if (t.syms == nullptr) return;
  const auto* syms = static_cast<const Elf64_Sym*>(t.syms);
  size_t missing = 0;
  for (size_t k = 0; k < count; k++) missing += names[k] != nullptr && out[k].address == 0;
  for (size_t i = 0; i < t.count && missing > 0; i++) {
    const Elf64_Sym& s = syms[i];
    if (!Usable(s, t.strtab_size)) continue;
    const char* name = t.strtab + s.st_name;
    for (size_t k = 0; k < count; k++) {
      if (names[k] == nullptr || out[k].address != 0 || strcmp(name, names[k]) != 0) continue;
      SetFrom(&s, &out[k]);
      missing--;
      break;
    }
  }
}

// GNU hash table: nbuckets, symoffset, bloom_size, bloom_shift, bloom[bloom_size] (64-bit words),
// buckets[nbuckets], chain[] (one per dynsym entry from symoffset on; low bit set on a chain's last entry).
bool ElfSymbols::HashLookup(const char* name, ElfSymbol* out) const {
  const uint32_t* h = gnu_hash_;
  uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
  size_t buckets_at = 4 + size_t{bloom_size} * 2;
  size_t chain_at = buckets_at + nbuckets;
  uint32_t hash = 5381;
  for (const unsigned char* c = reinterpret_cast<const unsigned char*>(name); *c != 0; c++) hash = hash * 33 + *c;
  uint32_t idx = h[buckets_at + hash % nbuckets];
  if (idx < symoffset) return false;
  const auto* syms = static_cast<const Elf64_Sym*>(dynsym_.syms);
  for (; idx < dynsym_.count && chain_at + (idx - symoffset) < gnu_hash_words_; idx++) {
    uint32_t ch = h[chain_at + (idx - symoffset)];
    if ((ch | 1) == (hash | 1)) {
      const Elf64_Sym& s = syms[idx];
      if (Usable(s, dynsym_.strtab_size) && strcmp(dynsym_.strtab + s.st_name, name) == 0) {
        SetFrom(&s, out);
        return true;
      }
    }
    if (ch & 1) break;
  }
  return false;
}

size_t ElfSymbols::LookupDynamic(const char* const* mangled, ElfSymbol* out, size_t count) {
  if (map_ == nullptr) return CountSet(out, count);
  if (gnu_hash_ == nullptr) {
    ScanTable(dynsym_, mangled, out, count);
  } else {
    for (size_t k = 0; k < count; k++) {
      if (mangled[k] != nullptr && out[k].address == 0) HashLookup(mangled[k], &out[k]);
    }
  }
  return CountSet(out, count);
}

size_t ElfSymbols::LookupAll(const char* const* mangled, ElfSymbol* out, size_t count) {
  if (map_ == nullptr) return CountSet(out, count);
  LookupDynamic(mangled, out, count);
  if (Wanted(mangled, out, count)) ScanTable(symtab_, mangled, out, count);
  return CountSet(out, count);
}

bool ElfSymbols::Lookup(const char* mangled, ElfSymbol* out) { return LookupAll(&mangled, out, 1) == 1; }

void* ElfSymbols::Find(const char* mangled) {
  ElfSymbol s;
  return Lookup(mangled, &s) ? reinterpret_cast<void*>(s.address) : nullptr;
}

bool ElfSymbols::InLoadedImage(uintptr_t addr, size_t len) const {
  for (int i = 0; i < seg_count_; i++) {
    if (addr >= seg_start_[i] && addr <= seg_end_[i] && len <= seg_end_[i] - addr) return true;
  }
  return false;
}

bool ElfSymbols::Open(std::string* why) {
  std::string scratch;
  if (why == nullptr) why = &scratch;
  void* anchor = dlsym(RTLD_DEFAULT, kAnchorSymbol);
  Dl_info info;
  if (anchor == nullptr || dladdr(anchor, &info) == 0 || info.dli_fbase == nullptr) {
    *why = "elf: cannot locate v8::Isolate::SetStackLimit with dlsym/dladdr";
    return false;
  }
  // The object is normally the executable itself (dladdr then reports argv[0], which may be relative): try
  // /proc/self/exe first, then the path dladdr gave (libnode.so builds). The bias check decides.
  const char* candidates[2] = {"/proc/self/exe", info.dli_fname};
  std::string last_why = "elf: no candidate file";
  for (const char* path : candidates) {
    if (path == nullptr || path[0] == '\0') continue;
    std::string w;
    if (!MapAndParse(path, &w)) {
      last_why = "elf: " + w;
      continue;
    }
    const auto* base = static_cast<const uint8_t*>(map_);
    const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
    const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
    uint64_t min_vaddr = UINT64_MAX;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
      if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < min_vaddr) min_vaddr = ph[i].p_vaddr;
    }
    if (min_vaddr == UINT64_MAX) {
      last_why = std::string("elf: no PT_LOAD in ") + path;
      Close();
      continue;
    }
    uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t fbase = reinterpret_cast<uintptr_t>(info.dli_fbase);
    bias_ = fbase - static_cast<uintptr_t>(min_vaddr & ~(uint64_t{page} - 1));
    if (eh->e_type == ET_EXEC && bias_ != 0) {
      last_why = std::string("elf: ET_EXEC with nonzero load bias ") + Hex(bias_) + " in " + path;
      Close();
      continue;
    }
    seg_count_ = 0;
    for (unsigned i = 0; i < eh->e_phnum && seg_count_ < kMaxSegments; i++) {
      if (ph[i].p_type != PT_LOAD) continue;
      seg_start_[seg_count_] = static_cast<uintptr_t>(ph[i].p_vaddr) + bias_;
      seg_end_[seg_count_] = static_cast<uintptr_t>(ph[i].p_vaddr + ph[i].p_memsz) + bias_;
      seg_count_++;
    }
    ElfSymbol s;
    const char* anchor_name = kAnchorSymbol;
    LookupDynamic(&anchor_name, &s, 1);  // exported, so it is in .dynsym
    if (s.address != reinterpret_cast<uintptr_t>(anchor)) {
      last_why = std::string("elf: load bias check failed for ") + path + " (symbol " + Hex(s.address) +
                 " vs dlsym " + Hex(reinterpret_cast<uintptr_t>(anchor)) + ")";
      Close();
      continue;
    }
    path_ = path;
    return true;
  }
  *why = last_why;
  return false;
}

}  // namespace verdant::detail

#else  // !__linux__

namespace verdant::detail {

ElfSymbols::~ElfSymbols() {}
void ElfSymbols::Close() {}
bool ElfSymbols::Open(std::string* why) {
  if (why != nullptr) *why = "elf: unsupported platform";
  return false;
}
void* ElfSymbols::Find(const char*) { return nullptr; }
bool ElfSymbols::Lookup(const char*, ElfSymbol* out) {
  *out = ElfSymbol();
  return false;
}
size_t ElfSymbols::LookupAll(const char* const*, ElfSymbol*, size_t) { return 0; }
size_t ElfSymbols::LookupDynamic(const char* const*, ElfSymbol*, size_t) { return 0; }
bool ElfSymbols::InLoadedImage(uintptr_t, size_t) const { return false; }
bool ElfSymbols::MapAndParse(const char*, std::string*) { return false; }
void ElfSymbols::ScanTable(const Table&, const char* const*, ElfSymbol*, size_t) const {}
bool ElfSymbols::HashLookup(const char*, ElfSymbol*) const { return false; }
void ElfSymbols::SetFrom(const void*, ElfSymbol*) const {}

}  // namespace verdant::detail

#endif
