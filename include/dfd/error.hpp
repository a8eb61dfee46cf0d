// dfd/error.hpp — the one exception hierarchy every libdfd call uses.
//
// Every failure of a library call is a dfd::Error (or one of its kinds below); nothing aborts and no
// other exception type escapes a public function. The message always names the file (or the
// argument) first and then the cause, e.g.
//     "clip.mp4: truncated file: the stream ended after 151 of 300 frames"
// so a batch run can record it next to the file and carry on.
#pragma once

#include <stdexcept>
#include <string>

#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

enum class ErrorKind {
  Io,               // the file cannot be opened or read: missing, a directory, no permission
  Decode,           // the bytes are not what they should be: not media, corrupt, truncated, no such stream
  Model,            // weights or model files: bad header, missing/misshaped tensor, wrong dtype
  InvalidArgument,  // the caller asked for something impossible: index out of range, n = 0, bad option
};

// Returns "io", "decode", "model" or "invalid_argument".
const char* to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  // ensures: what() == subject + ": " + cause, kind() == kind.
  Error(ErrorKind kind, std::string subject, std::string cause);

  ErrorKind kind() const noexcept { return kind_; }
  // The file path or argument name the error is about.
  const std::string& subject() const noexcept { return subject_; }
  // What went wrong, without the subject.
  const std::string& cause() const noexcept { return cause_; }

 private:
  ErrorKind kind_;
  std::string subject_;
  std::string cause_;
};

class IoError : public Error {
 public:
  IoError(std::string path, std::string cause) : Error(ErrorKind::Io, std::move(path), std::move(cause)) {}
};

class DecodeError : public Error {
 public:
  DecodeError(std::string path, std::string cause)
      : Error(ErrorKind::Decode, std::move(path), std::move(cause)) {}
};

// A file that holds no stream of the kind asked for (an audio file given to VideoReader, a silent
// video given to AudioReader): still a DecodeError, typed so a pipeline can route the file instead.
class MissingStreamError : public DecodeError {
 public:
  enum class Stream { Video, Audio };
  MissingStreamError(std::string path, Stream stream, std::string cause)
      : DecodeError(std::move(path), std::move(cause)), stream_(stream) {}
  Stream stream() const noexcept { return stream_; }

 private:
  Stream stream_;
};

class ModelError : public Error {
 public:
  ModelError(std::string path, std::string cause)
      : Error(ErrorKind::Model, std::move(path), std::move(cause)) {}
};

class InvalidArgument : public Error {
 public:
  // subject: the argument's name, optionally with the file it concerns ("indices (clip.mp4)").
  InvalidArgument(std::string subject, std::string cause)
      : Error(ErrorKind::InvalidArgument, std::move(subject), std::move(cause)) {}
};

}  // namespace dfd
DFD_END_API
