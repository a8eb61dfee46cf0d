// Include this first in every test file — after <torch/torch.h> in a file that needs torch.
//
// Debian's LibTorch is built with glog, whose CHECK* macros silently replace doctest's: a test file
// that includes torch after doctest runs with zero assertions and "passes" (TOOLCHAIN.md trap 1).
// Torch, when a test needs it, is included before this header; the glog macros are then removed
// here, before doctest defines its own. main.cpp also fails a run that made no assertion.
#pragma once

#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LT
#undef CHECK_LE
#undef CHECK_GT
#undef CHECK_GE
#include <doctest/doctest.h>

#include "shared_data.hpp"
