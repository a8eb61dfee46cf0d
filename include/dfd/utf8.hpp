// dfd/utf8.hpp — file names as text.
//
// On Linux a file name is bytes, not text: libdfd passes paths to the OS unchanged, whatever they
// hold. Where a path (or a message holding one) is written as text — JSON, CSV, HTML, a terminal —
// bytes that are not valid UTF-8 are written as the four characters \xNN, the rule Python's
// bytes.decode("utf-8", "backslashreplace") follows, so a script can compute the same text:
//     os.fsencode(path).decode("utf-8", "backslashreplace")
// Valid UTF-8 is left as it is (a name that already holds the characters "\xe9" reads the same as
// one holding the byte 0xE9; such pairs of names are not told apart in written output).
#pragma once

#include <string>
#include <string_view>

#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

// True if `text` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

// `text` with every byte that is not part of a valid UTF-8 sequence written as \xNN (lower-case hex).
// ensures: the result is valid UTF-8; it equals `text` when `text` is valid UTF-8.
std::string utf8_escaped(std::string_view text);

}  // namespace dfd
DFD_END_API
