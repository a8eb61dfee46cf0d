#include "dfd_test.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "dfd/media_files.hpp"

namespace fs = std::filesystem;

namespace {

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

}  // namespace

TEST_CASE("has_media_extension: video, image and audio names, any case; nothing else" * doctest::test_suite("unit")) {
  for (const char* name : {"a.mp4", "b.MOV", "c.mkv", "d.webm", "e.avi", "f.ts", "g.jpg", "h.JPEG", "i.png", "j.webp",
                           "k.wav", "l.mp3", "m.flac", "n.m4a", "o.opus", "dir/p.MP4"}) {
    CAPTURE(name);
    CHECK(dfd::has_media_extension(name));
  }
  for (const char* name : {"metadata.json", "labels.csv", "notes.txt", "mp4", ".mp4", "video.mp4.part", "a.", ""}) {
    CAPTURE(name);
    CHECK_FALSE(dfd::has_media_extension(name));
  }
}

TEST_CASE("list_media_files: media files by name, recursively, sorted; hidden names and links to folders left out" *
          doctest::test_suite("unit")) {
  const fs::path root = fs::path(dfd::test::temp_dir()) / "media_tree";
  fs::remove_all(root);
  touch(root / "b.mp4");
  touch(root / "a.JPG");
  touch(root / "metadata.json");
  touch(root / ".hidden.mp4");
  touch(root / ".cache" / "thumb.jpg");
  touch(root / "sub" / "deeper" / "c.wav");
  touch(root / "sub" / "d.webm");
  touch(root / "sub" / "readme.txt");
  touch(root / std::string("caf\xe9.mp4"));  // a Latin-1 name: bytes, not text
  fs::create_directories(root / "empty");
  fs::create_directory_symlink(root / "sub", root / "link_to_sub");  // followed, it would list sub twice
  fs::create_symlink(root / "b.mp4", root / "link_to_b.mp4");       // a link to a file is a file

  const std::vector<std::string> expected = {
      (root / "a.JPG").string(),         (root / "b.mp4").string(),
      (root / std::string("caf\xe9.mp4")).string(), (root / "link_to_b.mp4").string(),
      (root / "sub" / "d.webm").string(), (root / "sub" / "deeper" / "c.wav").string()};
  std::vector<std::string> sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  CHECK(dfd::list_media_files(root.string()) == sorted);

  const std::vector<std::string> top = dfd::list_media_files(root.string(), /*recursive=*/false);
  CHECK(top == std::vector<std::string>{(root / "a.JPG").string(), (root / "b.mp4").string(),
                                        (root / std::string("caf\xe9.mp4")).string(), (root / "link_to_b.mp4").string()});
  CHECK(dfd::list_media_files((root / "empty").string()).empty());

  CHECK_THROWS_AS(dfd::list_media_files((root / "missing").string()), dfd::IoError);
  CHECK_THROWS_WITH_AS(dfd::list_media_files((root / "b.mp4").string()), doctest::Contains("is not a directory"),
                       dfd::IoError);
}
