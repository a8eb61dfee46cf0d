// dfd/export.hpp — what libdfd exports. The library is built with hidden visibility
// (-fvisibility=hidden): only the public API is in libdfd.so's symbol table, so its private
// helpers and the libraries it links (fmt, nlohmann-json, FFmpeg glue) cannot clash with a host
// application's, and the loader has less to resolve.
//
// DFD_BEGIN_API / DFD_END_API enclose each public header's declarations; DFD_API marks a single
// declaration (a private one a test needs).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define DFD_API __attribute__((visibility("default")))
#define DFD_BEGIN_API _Pragma("GCC visibility push(default)")
#define DFD_END_API _Pragma("GCC visibility pop")
#else
#define DFD_API
#define DFD_BEGIN_API
#define DFD_END_API
#endif
