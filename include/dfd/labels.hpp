// dfd/labels.hpp — which files are fake: the label sources datasets come with, read into one list.
//
// read_labels(source) understands
//   - a CSV with a header holding `path` and `label` (0/1, REAL/FAKE in any case); an optional
//     `group` (or `identity`, or `original`) column says which files belong together;
//   - FFDV label files: a header `video_name,target` (target 1 = fake);
//   - a DFDC `metadata.json`: {"name.mp4": {"label": "FAKE", "original": "src.mp4", ...}} — a fake
//     is grouped with its original;
//   - a folder holding `real/` and `fake/` subfolders, searched recursively for images and videos.
// The group is what training splits by (dfd::Trainer): files of one group never straddle training
// and validation, so a person or an original video is never on both sides. Without one, each file
// is its own group.
#pragma once

#include <string>
#include <vector>

#include "dfd/error.hpp"
#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

struct LabelledFile {
  std::string path;   // as the source lists it (relative to `root`, or absolute)
  std::string file;   // the path to open: root / path
  int label = 0;      // 1 = fake
  std::string group;  // files of one group stay on one side of a split; default: `path`
};

struct LabelSource {
  enum class Kind { Csv, Ffdv, DfdcMetadata, Folders };
  Kind kind = Kind::Csv;
  std::string root;                 // what relative paths are relative to
  std::vector<LabelledFile> files;  // in the source's order (folders: sorted)
};

// Reads `source` (a file or a folder, as above). `root` overrides where relative paths point
// (default: the label file's folder, or the folder itself).
// throws: IoError (missing, unreadable), DecodeError (no known layout — the message lists them —,
//         a bad label, a row with too few fields), each naming the file and the line.
LabelSource read_labels(const std::string& source, const std::string& root = "");

// True for the file names read_labels' folder walk takes: images and videos by extension.
bool is_media_path(const std::string& path);

}  // namespace dfd
DFD_END_API
