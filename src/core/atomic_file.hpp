// Private: files replaced whole or not at all — what every file libdfd rewrites (indexes, ledgers,
// checkpoints, weights) goes through, so a kill mid-write leaves the old file intact.
#pragma once

#include <string>
#include <string_view>

namespace dfd {

// Writes `text` beside `path` (path + ".tmp") and renames it over `path`.
// ensures: `path` holds the old content or all of `text`, never part of it.
// throws: IoError naming the file that could not be written or replaced.
void write_file_atomically(const std::string& path, std::string_view text);

// Renames `written` (a finished file beside it) over `path`. throws: IoError naming `path`.
void replace_file(const std::string& written, const std::string& path);

}  // namespace dfd
