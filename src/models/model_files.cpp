#include "dfd/model_files.hpp"

#include <dlfcn.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/sha.h>
}

namespace dfd {
namespace fs = std::filesystem;

std::vector<BundledModel> bundled_models() {
  // Keep in step with models/ and docs/models.md (tests/python/test_bundled_models.py checks both).
  return {
      {"dfd-faces-v3.safetensors", "44d84d7572ae71e2b805c0b0c6e0996af360fe8057d4f1e29209cb839862bac8",
       "libdfd's face model: mobilenet_v1 at 224 px from faceres-deep, trained on self-blended real faces",
       "MIT (libdfd; its start, faceres-deep, MIT)"},
      {"mtcnn-facenet.safetensors", "da26b71a91a57573cd311e85aff5db151690e2b30eca4ad0fb818a8677e178b2",
       "facenet-pytorch's MTCNN (P/R/O-Net), converted by dfd.convert", "MIT"},
      {"aasist-l.safetensors", "1a7a1d8b7972c8071f7de01fd95834f8ea40e5cb643ba6c878a1ad11df9d8076",
       "clovaai/aasist's AASIST-L (ASVspoof 2019 LA), converted by dfd.convert", "MIT (NAVER Corp.)"},
  };
}

std::vector<std::string> bundled_models_dirs() {
  // The file holding this function: libdfd.so, or the executable a static libdfd is linked into.
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&bundled_models_dirs), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  fs::path binary = fs::canonical(info.dli_fname, ec);
  if (ec) return {};
  const fs::path dir = binary.parent_path();
  return {(dir / "models").string(), (dir.parent_path() / "share" / "dfd" / "models").string()};
}

std::vector<std::string> model_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("DFD_MODELS")) {
    std::stringstream list(env);
    std::string dir;
    while (std::getline(list, dir, ':')) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  if (const char* home = std::getenv("HOME")) dirs.push_back(std::string(home) + "/.cache/dfd");
  for (std::string& dir : bundled_models_dirs()) dirs.push_back(std::move(dir));
  return dirs;
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open to hash");
  const std::unique_ptr<AVSHA, decltype(&av_free)> sha(av_sha_alloc(), &av_free);
  if (!sha || av_sha_init(sha.get(), 256) < 0) throw IoError(path, "cannot start SHA-256");
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    av_sha_update(sha.get(), reinterpret_cast<const uint8_t*>(buffer.data()), static_cast<unsigned>(in.gcount()));
  }
  if (in.bad()) throw IoError(path, "read error while hashing");
  std::array<uint8_t, 32> digest{};
  av_sha_final(sha.get(), digest.data());
  std::string hex;
  for (uint8_t b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

namespace {

// A bundled model's name must come with the shipped bytes, wherever it was found.
std::string checked(const std::string& name, const std::string& path) {
  const std::string file = fs::path(name).filename().string();
  for (const BundledModel& model : bundled_models()) {
    if (model.name != file || model.sha256.empty()) continue;
    const std::string actual = sha256_file(path);
    if (actual != model.sha256) {
      throw ModelError(path, fmt::format("checksum mismatch for the shipped model {}: sha256 {}, expected {} "
                                         "(a damaged or replaced file: reinstall libdfd)", model.name, actual, model.sha256));
    }
  }
  return path;
}

}  // namespace

std::string find_model_file(const std::string& name) {
  std::error_code ec;
  if (name.empty()) throw ModelError("(model file)", "no file name given");
  if (fs::is_regular_file(name, ec)) return checked(name, name);
  std::string looked = name;
  if (fs::path(name).has_parent_path()) throw ModelError(name, "no such model file");
  for (const std::string& dir : model_search_path()) {
    const fs::path candidate = fs::path(dir) / name;
    if (fs::is_regular_file(candidate, ec)) return checked(name, candidate.string());
    looked += ", " + candidate.string();
  }
  throw ModelError(name, "model file not found (looked at " + looked + "); set DFD_MODELS or pass a path");
}

}  // namespace dfd
