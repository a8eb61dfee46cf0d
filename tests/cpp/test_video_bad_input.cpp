#include "dfd_test.hpp"

#include <filesystem>

#include <opencv2/imgcodecs.hpp>

#include "dfd/audio.hpp"
#include "dfd/error.hpp"
#include "dfd/video.hpp"

using dfd::test::shared_path;
using dfd::test::temp_dir;

namespace {

// Runs `f`, which must throw an error of type E whose message names `path` and contains `cause`.
template <typename E, typename F>
void check_error(F&& f, const std::string& path, const std::string& cause) {
  try {
    f();
    FAIL("no exception for " << path);
  } catch (const E& e) {
    const std::string what = e.what();
    INFO("message: " << what);
    CHECK(what.find(path) != std::string::npos);
    CHECK(what.find(cause) != std::string::npos);
  } catch (const std::exception& e) {
    FAIL("wrong exception type for " << path << ": " << e.what());
  }
}

}  // namespace

TEST_CASE("bad input gives a typed error naming the file and the cause") {
  const std::string dir = temp_dir();

  SUBCASE("missing file") {
    const std::string path = dir + "/does_not_exist.mp4";
    check_error<dfd::IoError>([&] { dfd::VideoReader r(path); }, path, "no such file");
    check_error<dfd::IoError>([&] { dfd::AudioReader r(path); }, path, "no such file");
  }
  SUBCASE("a directory") {
    check_error<dfd::IoError>([&] { dfd::VideoReader r(dir); }, dir, "is a directory");
  }
  SUBCASE("zero-byte file") {
    const std::string path = dir + "/empty.mp4";
    dfd::test::write_text(path, "");
    check_error<dfd::DecodeError>([&] { dfd::VideoReader r(path); }, path, "empty");
  }
  SUBCASE("text file named .mp4") {
    const std::string path = dir + "/notes.mp4";
    dfd::test::write_text(path, "this is not a video, just some text\n");
    check_error<dfd::DecodeError>([&] { dfd::VideoReader r(path); }, path, "not a readable media file");
  }
  SUBCASE("PNG named .mp4") {
    const std::string path = dir + "/picture.mp4";
    cv::Mat img(32, 48, CV_8UC3, cv::Scalar(10, 200, 30));
    std::vector<uchar> png;
    cv::imencode(".png", img, png);
    dfd::test::write_text(path, std::string(png.begin(), png.end()));
    check_error<dfd::DecodeError>([&] { dfd::VideoReader r(path); }, path, "still image");
  }
  SUBCASE("MP4 cut in half (index at the end: the container cannot be opened)") {
    const std::string src = shared_path("data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4");
    const std::string path = dir + "/half.mp4";
    dfd::test::copy_prefix(src, path, std::filesystem::file_size(src) / 2);
    check_error<dfd::DecodeError>([&] { dfd::VideoReader r(path); }, path, "moov atom not found");
  }
  SUBCASE("MP4 cut in half (index first: frames past the cut are reported missing)") {
    const std::string full = dir + "/faststart.mp4";
    dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8", "-c:v", "libx264",
                           "-g", "50", "-movflags", "+faststart", full});
    const std::string path = dir + "/faststart_half.mp4";
    dfd::test::copy_prefix(full, path, std::filesystem::file_size(full) / 2);
    dfd::VideoReader reader(path);
    CHECK(reader.info().frame_count == 200);  // what the container states
    CHECK(reader.read({1}).size() == 1);      // what is there still decodes
    check_error<dfd::DecodeError>([&] { reader.sample(32); }, path, "truncated");
    // The reader stays usable after the error.
    CHECK(reader.read({2}).at(0).index == 2);
  }
  SUBCASE("audio-only file asked for video frames") {
    const std::string path = shared_path("data/audio/resemblyzer_trump/fake/0ghm5Cqpfwk.mp3");
    check_error<dfd::DecodeError>([&] { dfd::VideoReader r(path); }, path, "no video stream");
  }
  SUBCASE("audio file with cover art: the picture is not a video") {
    const std::string path = dir + "/cover.mp3";
    dfd::test::run_ffmpeg({"-i", shared_path("data/audio/resemblyzer_trump/fake/0ghm5Cqpfwk.mp3"), "-i",
                           shared_path("data/images/mesonet_test_images/real/real00240.jpg"), "-map", "0:a", "-map", "1",
                           "-c:a", "copy", "-c:v", "mjpeg", "-disposition:v", "attached_pic", path});
    check_error<dfd::DecodeError>([&] { dfd::VideoReader r(path); }, path, "no video stream");
    check_error<dfd::DecodeError>([&] { dfd::VideoReader r(path); }, path, "a cover picture");
    CHECK(dfd::AudioReader(path).info().sample_rate > 0);
    // A video with a cover picture too: the video is read, not the picture.
    const std::string video = dir + "/with_cover.mp4";
    dfd::test::run_ffmpeg({"-i", shared_path("data/images/mesonet_test_images/real/real00240.jpg"), "-f", "lavfi", "-i",
                           "testsrc2=size=320x240:rate=10:duration=2", "-map", "0", "-map", "1", "-c:v:0", "mjpeg",
                           "-c:v:1", "libx264", "-disposition:v:0", "attached_pic", video});
    dfd::VideoReader reader(video);
    CHECK(reader.info().width == 320);
    CHECK(reader.info().frame_count == 20);
  }
  SUBCASE("video without audio asked for audio") {
    const std::string path = dir + "/silent.mp4";
    dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1", "-c:v", "libx264", path});
    check_error<dfd::DecodeError>([&] { dfd::AudioReader r(path); }, path, "no audio stream");
    CHECK_FALSE(dfd::VideoReader(path).info().has_audio);
  }
  SUBCASE("indices out of range and n = 0") {
    const std::string path = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4");
    dfd::VideoReader reader(path);
    check_error<dfd::InvalidArgument>([&] { reader.read({0, 309}); }, path, "frame 309 is out of range [0, 309)");
    check_error<dfd::InvalidArgument>([&] { reader.read({-1}); }, path, "frame -1 is out of range");
    check_error<dfd::InvalidArgument>([&] { reader.sample(0); }, path, "must be >= 1");
    CHECK(reader.read({308}).at(0).index == 308);
  }
  SUBCASE("bad parameters") {
    const std::string path = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4");
    dfd::VideoReaderParams params;
    params.threads = -2;
    CHECK_THROWS_AS(dfd::VideoReader(path, params), dfd::InvalidArgument);
    dfd::AudioReaderParams audio;
    audio.sample_rate = 0;
    CHECK_THROWS_AS(dfd::AudioReader(path, audio), dfd::InvalidArgument);
  }
}
