// Every test file includes this (before or after the library's headers: either works).
//
// Debian's LibTorch is built with glog, whose CHECK* macros silently replace doctest's: a test file
// that includes torch after doctest runs its CHECKs as glog's, uncounted (TOOLCHAIN.md trap 1;
// test_aggregation.cpp did, through dfd/detector.hpp). So c10's logging is included here first and
// its macros removed before doctest defines its own. main.cpp also fails a run with no assertion.
#pragma once

// c10's logging (glog) first, here, whatever the test file includes before or after: its include
// guard then keeps a later <ATen/...> or dfd header from defining CHECK* again over doctest's.
#include <c10/util/Logging.h>

#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LT
#undef CHECK_LE
#undef CHECK_GT
#undef CHECK_GE
#include <doctest/doctest.h>

#include "shared_data.hpp"
