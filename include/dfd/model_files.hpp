// dfd/model_files.hpp — where libdfd looks for model files.
#pragma once

#include <string>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// The directories searched for a model file given by a bare name, in order: $DFD_MODELS (a
// ':'-separated list), then ~/.cache/dfd.
std::vector<std::string> model_search_path();

// `name` itself if it names an existing file; else, for a bare file name, the first match in
// model_search_path().
// throws: ModelError naming `name` and every place looked at when there is none.
std::string find_model_file(const std::string& name);

}  // namespace dfd
DFD_END_API
