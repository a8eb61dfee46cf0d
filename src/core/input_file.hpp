// Private: the checks every reader makes before it opens a file it was given.
#pragma once

#include <cstdint>
#include <string>

namespace dfd {

// Checks that `path` names a regular file this process can read, without opening it for reading
// first: a FIFO, socket or device would block (or never end) on read, so it is refused by type.
// Symbolic links are followed. Returns the file's size in bytes.
// throws: IoError naming the file: no such file, a directory, a FIFO / socket / character or
//         block device, a name too long for the file system, no permission, any other stat error.
uint64_t check_input_file(const std::string& path);

// The whole of a (small) input file, after check_input_file.
// throws: IoError as check_input_file, or when reading fails.
std::string read_input_file(const std::string& path);

}  // namespace dfd
