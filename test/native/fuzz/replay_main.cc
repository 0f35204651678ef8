// A main for the fuzz harnesses where libFuzzer is not available (CI builds the native tests with g++): runs
// LLVMFuzzerTestOneInput over files and directories of inputs, as libFuzzer does with a corpus but without
// mutating at random. With --mutate it also runs, for every input of at most kMaxMutated bytes, the systematic
// single-byte edits that HTTP desyncs come from: each byte replaced by, and each position given an extra, CR, LF,
// NUL, space, tab, ':', ';', '"', DEL or 0xff, and each byte deleted.
//
//   http_request_head_replay [--mutate] <file or directory>...
//
// A broken invariant aborts (the harness prints it); an unreadable path is an error; no inputs at all is an error,
// so a wrong corpus path cannot pass as an empty run.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr size_t kMaxMutated = 512;
constexpr uint8_t kEdits[] = {'\r', '\n', '\0', ' ', '\t', ':', ';', '"', 0x7f, 0xff};

size_t runs = 0;

void Run(const std::vector<uint8_t>& input) {
  // An exact-size heap copy, as libFuzzer passes inputs, so reads past the end are caught under ASan.
  std::vector<uint8_t> copy(input);
  static const uint8_t kNothing = 0;
  LLVMFuzzerTestOneInput(copy.empty() ? &kNothing : copy.data(), copy.size());
  runs++;
}

void RunMutations(const std::vector<uint8_t>& input) {
  if (input.size() > kMaxMutated) return;
  for (size_t i = 0; i <= input.size(); i++) {
    for (uint8_t c : kEdits) {
      std::vector<uint8_t> inserted(input);
      inserted.insert(inserted.begin() + static_cast<std::ptrdiff_t>(i), c);
      Run(inserted);
      if (i < input.size() && input[i] != c) {
        std::vector<uint8_t> replaced(input);
        replaced[i] = c;
        Run(replaced);
      }
    }
    if (i < input.size()) {
      std::vector<uint8_t> deleted(input);
      deleted.erase(deleted.begin() + static_cast<std::ptrdiff_t>(i));
      Run(deleted);
    }
  }
}

bool CollectFiles(const std::string& path, std::vector<std::string>* files) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "replay: cannot read %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    files->push_back(path);
    return true;
  }
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    std::fprintf(stderr, "replay: cannot list %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') names.push_back(entry->d_name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());  // a stable order, so a failure reproduces the same way
  bool ok = true;
  for (const std::string& name : names) ok = CollectFiles(path + "/" + name, files) && ok;
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool mutate = false;
  std::vector<std::string> files;
  bool ok = true;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--mutate") == 0) mutate = true;
    else ok = CollectFiles(argv[i], &files) && ok;
  }
  if (!ok) return 2;
  if (files.empty()) {
    std::fprintf(stderr, "replay: no inputs (usage: %s [--mutate] <file or directory>...)\n", argv[0]);
    return 2;
  }
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::vector<uint8_t> input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail()) {
      std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
      return 2;
    }
    Run(input);
    if (mutate) RunMutations(input);
  }
  std::printf("replay: %zu inputs from %zu files%s, every invariant held\n", runs, files.size(),
              mutate ? " and their single-byte edits" : "");
  return 0;
}
