// dfd/media_files.hpp — the media files of a directory: what `dfd scan DIR` scans.
#pragma once

#include <string>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// True if the name ends in an extension of a video, image or audio format libdfd reads (FFmpeg's
// and OpenCV's usual ones: .mp4 .mov .mkv .webm .avi .ts .mpg ... .jpg .png .webp .tif ... .wav
// .mp3 .flac .m4a .ogg .opus ...), in any case. By name only: nothing is opened.
bool has_media_extension(const std::string& path);

// The media files under `directory`: regular files (or links to them) with a media extension,
// in subdirectories too when `recursive`; names starting with '.' (and everything under such a
// directory) are left out, as are links to directories (no loops). Sorted by path, byte for byte,
// so two runs list the same files in the same order (a resumed `dfd scan --csv` relies on it).
// Paths are `directory` joined with the names as the file system holds them (bytes, not text).
// requires: `directory` is a directory.
// ensures: every path has has_media_extension(); none repeats; empty if it holds no media file.
// throws: IoError naming `directory` (missing, not a directory) or a subdirectory that cannot be
//         read (a file skipped unseen would be a verdict silently missing).
std::vector<std::string> list_media_files(const std::string& directory, bool recursive = true);

}  // namespace dfd
DFD_END_API
