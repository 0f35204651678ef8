// See elf_symbols.h.
#include "greenlet/elf_symbols.h"

#if defined(__linux__)

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
}

bool ElfSymbols::MapAndParse(const char* path, std::string* why) {
  Close();
  seg_count_ = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("cannot open ") + path;
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    close(fd);
    *why = std::string("cannot stat or too small: ") + path;
    return false;
  }
  size_t size = static_cast<size_t>(st.st_size);
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
  if (dynsym_.syms == nullptr && symtab_.syms == nullptr) {
    *why = std::string("no symbol tables in ") + path;
    Close();
    return false;
  }
  return true;
}

void ElfSymbols::ScanTable(const Table& t, const char* const* names, ElfSymbol* out, size_t count,
                           size_t* found) const {
  if (t.syms == nullptr) return;
  const auto* syms = static_cast<const Elf64_Sym*>(t.syms);
  for (size_t i = 0; i < t.count && *found < count; i++) {
    const Elf64_Sym& s = syms[i];
    if (s.st_shndx == SHN_UNDEF || s.st_value == 0 || s.st_name == 0 || s.st_name >= t.strtab_size) continue;
    unsigned type = ELF64_ST_TYPE(s.st_info);
    if (type != STT_FUNC && type != STT_OBJECT) continue;
    const char* name = t.strtab + s.st_name;
    for (size_t k = 0; k < count; k++) {
      if (out[k].address != 0 || name[0] != names[k][0] || strcmp(name, names[k]) != 0) continue;
      out[k].address = static_cast<uintptr_t>(s.st_value) + bias_;
      out[k].size = static_cast<size_t>(s.st_size);
      ++*found;
      break;
    }
  }
}

size_t ElfSymbols::LookupAll(const char* const* mangled, ElfSymbol* out, size_t count) {
  for (size_t k = 0; k < count; k++) out[k] = ElfSymbol();
  if (map_ == nullptr) return 0;
  size_t found = 0;
  ScanTable(dynsym_, mangled, out, count, &found);
  ScanTable(symtab_, mangled, out, count, &found);
  return found;
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
    if (!Lookup(kAnchorSymbol, &s) || s.address != reinterpret_cast<uintptr_t>(anchor)) {
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
size_t ElfSymbols::LookupAll(const char* const*, ElfSymbol* out, size_t count) {
  for (size_t k = 0; k < count; k++) out[k] = ElfSymbol();
  return 0;
}
bool ElfSymbols::InLoadedImage(uintptr_t, size_t) const { return false; }
bool ElfSymbols::MapAndParse(const char*, std::string*) { return false; }
void ElfSymbols::ScanTable(const Table&, const char* const*, ElfSymbol*, size_t, size_t*) const {}

}  // namespace verdant::detail

#endif
