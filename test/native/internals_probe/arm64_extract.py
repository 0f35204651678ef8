#!/usr/bin/env python3
"""Prints, as C++ byte arrays, the functions the AArch64 decoders read, from official linux-arm64 node binaries.

Usage: arm64_extract.py <version>=<path to bin/node> ...
  e.g. arm64_extract.py 20.20.2=.matrix/arm64/20.20.2/package/bin/node ...
Reads symbols from .dynsym/.symtab and bytes through the PT_LOAD segments (no objdump needed); the output is what
test/native/arm64_decode_test.cc holds (each array with its version, symbol address and size).
"""
import struct
import sys

NAMES = [
    ("tid", "_ZN2v88internal8ThreadId18GetCurrentThreadIdEv"),
    ("add", "_ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_"),
    ("remove", "_ZN2v87Isolate24RemoveGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_"),
    ("hadd", "_ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_"),
    ("hremove", "_ZN2v88internal4Heap24RemoveGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES6_"),
    ("stack", "_ZN2v88internal4Heap5stackEv"),
    ("set", "_ZN2v88internal4Heap13SetStackStartEPv"),
    ("set", "_ZN2v88internal4Heap13SetStackStartEv"),
    ("ftr", "_ZN2v88internal13ThreadManager19FreeThreadResourcesEv"),
    ("hsifree", "_ZN2v88internal22HandleScopeImplementer19FreeThreadResourcesEv"),
    ("unlock", "_ZN2v88Unlocker10InitializeEPNS_7IsolateE"),
]
# Only the address is needed: a branch target the decoders report.
ADDRESS_ONLY = ("hadd", "hremove", "hsifree")
# The branch targets in these are relative to their own address.
WITH_ADDRESS = ("add", "remove", "ftr")


def elf(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not a 64-bit little-endian ELF"
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    loads = []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_vaddr, p_offset, p_filesz))
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    syms = {}
    for sh in sections:
        if sh[1] not in (2, 11):  # SHT_SYMTAB, SHT_DYNSYM
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            st_name, _, _, _, st_value, st_size = struct.unpack_from("<IBBHQQ", data, off)
            if st_value == 0:
                continue
            end = data.index(b"\0", strtab[4] + st_name)
            syms.setdefault(data[strtab[4] + st_name:end].decode(), (st_value, st_size))

    def read(addr, n):
        for vaddr, offset, filesz in loads:
            if vaddr <= addr and addr + n <= vaddr + filesz:
                return data[offset + addr - vaddr:offset + addr - vaddr + n]
        raise ValueError("address 0x%x not in a PT_LOAD segment" % addr)

    return syms, read


def main():
    for arg in sys.argv[1:]:
        version, path = arg.split("=", 1)
        tag = version.split(".")[0]
        syms, read = elf(path)
        for short, name in NAMES:
            if name not in syms:
                continue
            addr, size = syms[name]
            if short in ADDRESS_ONLY:
                print("constexpr uint64_t k%s_%s = 0x%x;  // %s" % (short, tag, addr, name))
                continue
            code = read(addr, size)
            print("// Node %s (linux-arm64), %s at 0x%x, %d bytes" % (version, name, addr, size))
            print("constexpr uint8_t k%s_%s[] = {" % (short, tag))
            for i in range(0, len(code), 16):
                print("    " + ", ".join("0x%02x" % b for b in code[i:i + 16]) + ",")
            print("};")
            if short in WITH_ADDRESS:
                print("constexpr uint64_t k%s_%s_addr = 0x%x;" % (short, tag, addr))


if __name__ == "__main__":
    main()
