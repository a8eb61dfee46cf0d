#include "dfd_test.hpp"

#include "dfd/error.hpp"

TEST_CASE("errors carry kind, subject and cause" * doctest::test_suite("unit")) {
  const dfd::DecodeError e("clip.mp4", "the stream ended early");
  CHECK(std::string(e.what()) == "clip.mp4: the stream ended early");
  CHECK(e.kind() == dfd::ErrorKind::Decode);
  CHECK(e.subject() == "clip.mp4");
  CHECK(e.cause() == "the stream ended early");
  CHECK(std::string(dfd::to_string(dfd::IoError("a", "b").kind())) == "io");
  CHECK(std::string(dfd::to_string(dfd::ModelError("a", "b").kind())) == "model");
  CHECK(std::string(dfd::to_string(dfd::InvalidArgument("a", "b").kind())) == "invalid_argument");
  const dfd::Error& base = e;
  CHECK(dynamic_cast<const std::runtime_error*>(&base) != nullptr);
}
