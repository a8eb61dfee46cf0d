#include "dfd/error.hpp"

namespace dfd {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Io: return "io";
    case ErrorKind::Decode: return "decode";
    case ErrorKind::Model: return "model";
    case ErrorKind::InvalidArgument: return "invalid_argument";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string subject, std::string cause)
    : std::runtime_error(subject + ": " + cause),
      kind_(kind),
      subject_(std::move(subject)),
      cause_(std::move(cause)) {}

}  // namespace dfd
