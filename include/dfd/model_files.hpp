// dfd/model_files.hpp — where libdfd looks for model files.
#pragma once

#include <string>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// The directories searched for a model file given by a bare name, in order: $DFD_MODELS (a
// ':'-separated list), ~/.cache/dfd, then the models shipped with libdfd (bundled_models_dirs()).
std::vector<std::string> model_search_path();

// Where the shipped models are looked for, relative to the binary that holds libdfd (so an
// installed, a relocated and a pip-installed copy each find their own): <dir>/models (the build
// tree; the Python package, whose libdfd sits in the package folder) and <dir>/../share/dfd/models
// (`cmake --install`: lib/ beside share/). ensures: both, whether or not they exist (none when the
// binary cannot be found). Never throws but std::bad_alloc.
std::vector<std::string> bundled_models_dirs();

// A model file shipped with libdfd (models/ in the source tree; docs/models.md has each card).
struct BundledModel {
  std::string name;     // the file name, as presets name it
  std::string sha256;   // of the file as shipped
  std::string what;     // one line: what it is and where it comes from
  std::string licence;
};
// ensures: every shipped file, sorted by name, each with a non-empty sha256 and licence.
std::vector<BundledModel> bundled_models();

// `name` itself if it names an existing file; else, for a bare file name, the first match in
// model_search_path(). A bundled model's name is checked wherever it is found: the file must have
// the shipped sha256.
// throws: ModelError naming `name` and every place looked at when there is none, or naming the
// file and both hashes when a bundled model's checksum does not match (a damaged or replaced file).
std::string find_model_file(const std::string& name);

// requires: `path` names a readable file. ensures: the SHA-256 of its bytes, 64 lowercase hex digits.
// throws: IoError naming the file when it cannot be opened or read.
std::string sha256_file(const std::string& path);

}  // namespace dfd
DFD_END_API
