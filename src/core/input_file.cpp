#include "core/input_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "dfd/error.hpp"

namespace dfd {

uint64_t check_input_file(const std::string& path) {
  if (path.empty()) throw IoError("(empty path)", "no file name given");
  // stat(2) itself, not std::filesystem: its throwing overloads turn ENAMETOOLONG and the like into
  // std::filesystem_error, and a name with bytes that are not UTF-8 must reach the OS unchanged.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    switch (err) {
      case ENOENT: throw IoError(path, "no such file");
      case ENOTDIR: throw IoError(path, "no such file (a component of the path is not a directory)");
      case ENAMETOOLONG: throw IoError(path, "the file name is too long for the file system");
      case EACCES: throw IoError(path, "permission denied");
      case ELOOP: throw IoError(path, "too many symbolic links (a link loop?)");
      default: throw IoError(path, std::string("cannot access the file: ") + std::strerror(err));
    }
  }
  if (S_ISDIR(st.st_mode)) throw IoError(path, "is a directory, not a file");
  if (S_ISFIFO(st.st_mode)) throw IoError(path, "is a FIFO (named pipe), not a regular file: reading it could block forever");
  if (S_ISSOCK(st.st_mode)) throw IoError(path, "is a socket, not a regular file");
  if (S_ISCHR(st.st_mode)) throw IoError(path, "is a character device, not a regular file");
  if (S_ISBLK(st.st_mode)) throw IoError(path, "is a block device, not a regular file");
  if (!S_ISREG(st.st_mode)) throw IoError(path, "is not a regular file");
  if (::access(path.c_str(), R_OK) != 0) {
    const int err = errno;
    throw IoError(path, err == EACCES ? std::string("permission denied") : std::string("cannot be read: ") + std::strerror(err));
  }
  return static_cast<uint64_t>(st.st_size);
}

std::string read_input_file(const std::string& path) {
  check_input_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot be opened for reading");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path, "read failed");
  return text;
}

}  // namespace dfd
