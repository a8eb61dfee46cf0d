#include "dfd_test.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <string_view>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "dfd/safetensors.hpp"
#include "dfd/video.hpp"

using dfd::test::shared_path;

namespace {

size_t hash_image(const cv::Mat& rgb) {
  REQUIRE(rgb.isContinuous());
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(rgb.data), rgb.total() * rgb.elemSize()));
}

// The reference: OpenCV's VideoCapture decoding every frame in order (selimsef's grab/retrieve),
// converted to RGB as the Python pipelines do. Returns one hash per frame.
// OpenCV 4.6 turns display-rotated frames the opposite way to FFmpeg's display matrix (and the
// ffmpeg command line), so its frames are taken unrotated and turned by `rotation` (clockwise).
std::vector<size_t> opencv_sequential_hashes(const std::string& path, int rotation) {
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  REQUIRE_MESSAGE(capture.isOpened(), "OpenCV cannot open " << path);
  capture.set(cv::CAP_PROP_ORIENTATION_AUTO, 0);
  std::vector<size_t> hashes;
  cv::Mat bgr, rgb;
  while (capture.read(bgr)) {
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    if (rotation == 90) cv::rotate(rgb, rgb, cv::ROTATE_90_CLOCKWISE);
    if (rotation == 180) cv::rotate(rgb, rgb, cv::ROTATE_180);
    if (rotation == 270) cv::rotate(rgb, rgb, cv::ROTATE_90_COUNTERCLOCKWISE);
    hashes.push_back(hash_image(rgb));
  }
  return hashes;
}

void check_random_access_matches_sequential(const std::string& path) {
  dfd::VideoReader reader(path);
  const std::vector<size_t> expected = opencv_sequential_hashes(path, reader.info().rotation);
  REQUIRE(reader.info().frame_count == static_cast<int64_t>(expected.size()));
  const int64_t n = reader.info().frame_count;

  // Backwards one at a time (every request goes back), then a shuffled batch, then sample(32).
  std::vector<int64_t> backwards;
  for (int64_t i = n - 1; i >= 0; i -= std::max<int64_t>(1, n / 12)) backwards.push_back(i);
  backwards.push_back(0);
  for (int64_t i : backwards) {
    const auto frames = reader.read({i});
    REQUIRE(frames.size() == 1);
    INFO(path << " frame " << i);
    CHECK(hash_image(frames[0].image) == expected[static_cast<size_t>(i)]);
  }
  std::vector<int64_t> shuffled(static_cast<size_t>(n));
  std::iota(shuffled.begin(), shuffled.end(), 0);
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  shuffled.resize(std::min<size_t>(shuffled.size(), 40));
  const auto frames = reader.read(shuffled);
  REQUIRE(frames.size() == shuffled.size());
  for (size_t k = 0; k < frames.size(); ++k) {
    INFO(path << " frame " << shuffled[k]);
    CHECK(frames[k].index == shuffled[k]);
    CHECK(hash_image(frames[k].image) == expected[static_cast<size_t>(shuffled[k])]);
  }
  for (const auto& f : reader.sample(32)) {
    INFO(path << " sampled frame " << f.index);
    CHECK(hash_image(f.image) == expected[static_cast<size_t>(f.index)]);
  }
}

}  // namespace

TEST_CASE("sample_indices is numpy's floor(linspace(0, count - 1, n))" * doctest::test_suite("unit")) {
  using dfd::VideoReader;
  CHECK(VideoReader::sample_indices(309, 1) == std::vector<int64_t>{0});
  CHECK(VideoReader::sample_indices(10, 2) == std::vector<int64_t>{0, 9});
  CHECK(VideoReader::sample_indices(5, 8) == std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 4});
  // np.linspace(0, 300, 32, dtype=int)[:6] — 300/31 is not exact in binary.
  const auto idx = VideoReader::sample_indices(301, 32);
  CHECK(std::vector<int64_t>(idx.begin(), idx.begin() + 6) == std::vector<int64_t>{0, 9, 19, 29, 38, 48});
  CHECK(idx.back() == 300);
  CHECK_THROWS_AS(VideoReader::sample_indices(0, 4), dfd::InvalidArgument);
  CHECK_THROWS_AS(VideoReader::sample_indices(10, 0), dfd::InvalidArgument);
}

TEST_CASE("g1: sampling 32 frames equals selimsef's VideoReader") {
  const std::map<std::string, std::string> videos = {
      {"004", "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"},
      {"yhffcuhhjy", "data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4"},
      {"id16_0012", "data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"},
  };
  for (const auto& entry : videos) {
    const std::string& name = entry.first;  // not a structured binding: INFO's lambda captures it (C++17)
    const std::string& video = entry.second;
    INFO("video " << video);
    const dfd::SafetensorsFile golden(shared_path("golden/g1_video/" + name + ".safetensors"));
    dfd::VideoReader reader(shared_path(video));
    const auto shape = golden.values<int64_t>("frame_shape");
    CHECK(reader.info().frame_count == golden.values<int64_t>("frame_count").at(0));
    CHECK(reader.info().height == shape.at(0));
    CHECK(reader.info().width == shape.at(1));

    const auto frames = reader.sample(32);
    const auto indices = golden.values<int64_t>("indices");
    const auto mean_rgb = golden.values<double>("mean_rgb");
    const auto sum_rgb = golden.values<int64_t>("sum_rgb");
    REQUIRE(frames.size() == 32);
    size_t exact = 0;
    for (size_t k = 0; k < frames.size(); ++k) {
      INFO("position " << k);
      CHECK(frames[k].index == indices[k]);
      const cv::Mat& img = frames[k].image;
      CHECK(img.type() == CV_8UC3);
      const cv::Scalar sum = cv::sum(img);
      bool same = true;
      for (int c = 0; c < 3; ++c) {
        CHECK(std::abs(sum[c] / double(img.total()) - mean_rgb[k * 3 + c]) <= 0.5);
        same = same && static_cast<int64_t>(sum[c]) == sum_rgb[k * 3 + c];
      }
      exact += same;
    }
    // Same FFmpeg build and swscale settings as the reference's OpenCV: the sums are exact.
    CHECK(exact == frames.size());

    const auto pngs = nlohmann::json::parse(golden.metadata("pngs"));
    const auto positions = nlohmann::json::parse(golden.metadata("png_positions"));
    for (size_t p = 0; p < pngs.size(); ++p) {
      const cv::Mat bgr = cv::imread(shared_path("golden/g1_video/" + pngs[p].get<std::string>()), cv::IMREAD_COLOR);
      REQUIRE(!bgr.empty());
      cv::Mat png;
      cv::cvtColor(bgr, png, cv::COLOR_BGR2RGB);
      const cv::Mat& ours = frames[positions[p].get<size_t>()].image;
      REQUIRE(ours.size() == png.size());
      cv::Mat diff;
      cv::absdiff(ours, png, diff);
      const cv::Scalar mad = cv::mean(diff);
      CHECK((mad[0] + mad[1] + mad[2]) / 3.0 <= 1.0);
    }
  }
}

TEST_CASE("info() describes the stream") {
  dfd::VideoReader ffpp(shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4"));
  CHECK(ffpp.info().codec == "h264");
  CHECK(ffpp.info().pixel_format == "yuv444p");
  CHECK(ffpp.info().fps == doctest::Approx(25.0));
  CHECK(ffpp.info().frame_count == 309);
  CHECK(ffpp.info().frame_count_stated);
  CHECK(ffpp.info().duration == doctest::Approx(309 / 25.0).epsilon(0.01));
  CHECK(ffpp.info().rotation == 0);

  dfd::VideoReader dfdc(shared_path("data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4"));
  CHECK(dfdc.info().width == 720);
  CHECK(dfdc.info().height == 1280);
  CHECK(dfdc.info().fps == doctest::Approx(30.0246).epsilon(1e-4));
  CHECK(dfdc.info().has_audio);

  dfd::VideoReader celeb(shared_path("data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"));
  CHECK(celeb.info().codec == "mpeg4");
}

TEST_CASE("random access equals a full sequential decode (OpenCV) on real files") {
  for (const char* video : {"data/videos/ffpp_c23_icpr2020dfdc/004.mp4",  // 2 keyframes in 309, yuv444p
                            "data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4",  // portrait, 30.025 fps, B-frames
                            "data/videos/celebdf_v2_tonihantschmann/fake/id16_id6_0012.mp4",  // MPEG-4 Part 2
                            "data/videos/celebdf_v2_tonihantschmann/fake/id29_id23_0000.mp4",  // 852 wide
                            "data/videos/dfdc_facetracks_jphdotam/real/0_aayrffkzxn.mp4_0_0.mp4"}) {
    check_random_access_matches_sequential(shared_path(video));
  }
}

TEST_CASE("seeking is used when a keyframe is closer, and decodes fewer frames") {
  dfd::VideoReader reader(shared_path("data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"));
  reader.read({300});
  CHECK(reader.last_read_stats().seeks == 1);
  CHECK(reader.last_read_stats().frames_decoded < 20);  // a keyframe every 12 frames
  CHECK(reader.last_read_stats().frames_converted == 1);
}

TEST_CASE("generated media: open GOP, no stated count, rotation, odd sizes" * doctest::test_suite("unit")) {
  const std::string dir = dfd::test::temp_dir();
  const std::string open_gop = dir + "/open_gop.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30000/1001:duration=4", "-c:v", "libx264",
                         "-x264-params", "open-gop=1:keyint=25:min-keyint=25:bframes=3:b-pyramid=normal",
                         "-pix_fmt", "yuv420p", open_gop});
  check_random_access_matches_sequential(open_gop);

  // Matroska states no frame count: the reader counts packets and says so.
  const std::string mkv = dir + "/no_count.mkv";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=3", "-c:v", "libx264",
                         "-g", "30", "-bf", "2", mkv});
  {
    dfd::VideoReader reader(mkv);
    CHECK_FALSE(reader.info().frame_count_stated);
    CHECK(reader.info().frame_count == 75);
  }
  {
    // Matroska gives the first packet after a seek no decode time; the seek still lands on the
    // keyframe asked for (60), not the one before it.
    dfd::VideoReader reader(mkv);
    REQUIRE(reader.keyframe_indices() == std::vector<int64_t>{0, 30, 60});
    reader.read({62});
    CHECK(reader.last_read_stats().seeks == 1);
    CHECK(reader.last_read_stats().frames_decoded <= 4);
  }
  check_random_access_matches_sequential(mkv);

  // Display rotation is applied: a 64x48 stream tagged 90° comes out 48 wide and 64 high, turned
  // the way the ffmpeg command line (autorotate) turns it.
  const std::string upright = dir + "/upright.mp4";
  const std::string rotated = dir + "/rotated.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1", "-c:v", "libx264",
                         "-pix_fmt", "yuv444p", upright});
  dfd::test::run_ffmpeg({"-i", upright, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated});
  const std::string cli_frame = dir + "/rotated_frame3.png";
  dfd::test::run_ffmpeg({"-i", rotated, "-vf", "select=eq(n\\,3)", "-frames:v", "1", cli_frame});
  {
    dfd::VideoReader reader(rotated);
    CHECK(reader.info().rotation != 0);
    CHECK(reader.info().width == 48);
    CHECK(reader.info().height == 64);
    const auto frames = reader.read({3});
    REQUIRE(frames[0].image.size() == cv::Size(48, 64));
    cv::Mat cli = cv::imread(cli_frame, cv::IMREAD_COLOR);
    cv::cvtColor(cli, cli, cv::COLOR_BGR2RGB);
    REQUIRE(cli.size() == cv::Size(48, 64));
    cv::Mat diff;
    cv::absdiff(frames[0].image, cli, diff);
    const cv::Scalar mad = cv::mean(diff);
    CHECK((mad[0] + mad[1] + mad[2]) / 3 < 3.0);  // the other direction differs by tens of levels
  }
  check_random_access_matches_sequential(rotated);

  // Resizing during conversion keeps the aspect ratio when one side is given.
  dfd::VideoReaderParams params;
  params.output_width = 80;
  dfd::VideoReader small(open_gop, params);
  CHECK(small.info().width == 80);
  CHECK(small.info().height == 60);
  const auto frames = small.sample(3);
  REQUIRE(frames.size() == 3);
  CHECK(frames[2].image.size() == cv::Size(80, 60));
  CHECK(frames[2].image.isContinuous());
}

TEST_CASE("deinterlace: an interlaced frame comes from its top field, a progressive one as decoded" *
          doctest::test_suite("unit")) {
  // Fields of different pictures woven into one frame: the top field white, the bottom black —
  // the worst combing there is. H.264 (MBAFF, as TV recordings) and MPEG-2 (DVDs, broadcast).
  const std::string dir = dfd::test::temp_dir();
  const std::string fields =
      "nullsrc=size=64x48:rate=50:duration=1,format=yuv420p,"
      "geq=lum='if(mod(N\\,2)\\,16\\,235)':cb=128:cr=128,tinterlace=interleave_top";
  const std::string h264 = dir + "/interlaced.mp4";
  const std::string mpeg2 = dir + "/interlaced.mpg";
  const std::string progressive = dir + "/progressive.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", fields, "-c:v", "libx264", "-qp", "0", "-flags", "+ilme+ildct", h264});
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", fields, "-c:v", "mpeg2video", "-q:v", "1", "-flags", "+ilme+ildct", mpeg2});
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=1", "-c:v", "libx264",
                         "-pix_fmt", "yuv420p", progressive});

  for (const std::string& path : {h264, mpeg2}) {
    CAPTURE(path);
    dfd::VideoReader woven(path);
    CHECK(woven.info().interlaced);
    const auto as_decoded = woven.sample(3);
    CHECK(woven.last_read_stats().frames_deinterlaced == 0);
    for (const auto& f : as_decoded) {  // rows alternate white and black
      CHECK(cv::mean(f.image.row(10))[0] > 240);
      CHECK(cv::mean(f.image.row(11))[0] < 15);
    }
    dfd::VideoReaderParams params;
    params.deinterlace = true;
    dfd::VideoReader one_field(path, params);
    const auto deinterlaced = one_field.sample(3);
    CHECK(one_field.last_read_stats().frames_deinterlaced == 3);
    for (const auto& f : deinterlaced) {  // the top field alone, stretched to the frame's height: all white
      REQUIRE(f.image.size() == cv::Size(64, 48));
      double lo = 0, hi = 0;
      cv::minMaxLoc(f.image.reshape(1), &lo, &hi);
      CHECK(lo > 240);
    }
    params.output_width = 32;  // resized in the same conversion
    dfd::VideoReader small(path, params);
    const auto halved = small.sample(1);
    REQUIRE(halved[0].image.size() == cv::Size(32, 24));
    CHECK(cv::mean(halved[0].image)[0] > 240);
  }

  // The same woven fields re-encoded as progressive, flagged nowhere (an interlaced source never
  // deinterlaced): the combing gives them away, and they are read one field too.
  const std::string baked = dir + "/baked.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", fields, "-c:v", "libx264", "-qp", "0", baked});
  {
    dfd::VideoReader as_decoded(baked);
    CHECK_FALSE(as_decoded.info().interlaced);
    CHECK(cv::mean(as_decoded.sample(1)[0].image.row(11))[0] < 15);  // woven
    dfd::VideoReaderParams one_field;
    one_field.deinterlace = true;
    dfd::VideoReader reader(baked, one_field);
    const auto frames = reader.sample(3);
    CHECK(reader.last_read_stats().frames_deinterlaced == 3);
    for (const auto& f : frames) {
      double lo = 0, hi = 0;
      cv::minMaxLoc(f.image.reshape(1), &lo, &hi);
      CHECK(lo > 240);
    }
  }

  dfd::VideoReaderParams params;
  params.deinterlace = true;
  dfd::VideoReader flagged(progressive, params);
  dfd::VideoReader plain(progressive);
  CHECK_FALSE(plain.info().interlaced);
  const auto a = flagged.sample(4);
  const auto b = plain.sample(4);
  CHECK(flagged.last_read_stats().frames_deinterlaced == 0);
  for (size_t k = 0; k < a.size(); ++k) CHECK(cv::norm(a[k].image, b[k].image, cv::NORM_INF) == 0);
}

TEST_CASE("hdr_to_sdr: HLG and PQ frames come out in the SDR colours they were made from" * doctest::test_suite("unit")) {
  // A skin-coloured patch (RGB 200, 150, 120) encoded as a phone records HDR: BT.2020, 10 bits,
  // HLG (zimg's own SDR mapping) or PQ (SDR white at HDR's reference white, 203 nits, BT.2408).
  // Read as SDR it is dark and grey.
  const std::string dir = dfd::test::temp_dir();
  const std::string patch = "color=c=0xC89678:size=64x48:rate=10:duration=1";
  const cv::Scalar sdr_colour(200, 150, 120);
  const std::vector<std::tuple<std::string, std::string, std::string>> encodings = {
      {"arib-std-b67", "", dir + "/hlg.mp4"}, {"smpte2084", ":npl=203", dir + "/pq.mp4"}};
  for (const auto& encoding : encodings) {
    // Named copies, not structured bindings: doctest's CAPTURE is a lambda, and C++17 lambdas
    // cannot capture bindings (clang refuses; GCC lets it through).
    const std::string& transfer = std::get<0>(encoding);
    const std::string& white = std::get<1>(encoding);
    const std::string& path = std::get<2>(encoding);
    CAPTURE(transfer);
    dfd::test::run_ffmpeg({"-f", "lavfi", "-i", patch, "-vf",
                           "zscale=tin=bt709:min=bt709:pin=bt709:rin=tv:t=" + transfer +
                               ":m=bt2020nc:p=bt2020:r=tv" + white + ",format=yuv420p10le",
                           "-c:v", "libx265", "-x265-params",
                           "log-level=error:colorprim=bt2020:colormatrix=bt2020nc:transfer=" + transfer, path});
    dfd::VideoReader as_decoded(path);
    CHECK(as_decoded.info().hdr);
    const cv::Scalar grey = cv::mean(as_decoded.sample(1)[0].image);
    CHECK(sdr_colour[0] - grey[0] > 60);  // what OpenCV shows: far too dark
    dfd::VideoReaderParams params;
    params.hdr_to_sdr = true;
    dfd::VideoReader converted(path, params);
    const auto frames = converted.sample(3);
    CHECK(converted.last_read_stats().frames_hdr_to_sdr == 3);
    for (const auto& f : frames) {
      REQUIRE(f.image.size() == cv::Size(64, 48));
      const cv::Scalar colour = cv::mean(f.image);
      for (int c = 0; c < 3; ++c) CHECK(std::abs(colour[c] - sdr_colour[c]) < 12);
    }
    params.output_width = 32;  // resized in the same conversion
    dfd::VideoReader small(path, params);
    const auto halved = small.sample(1);
    REQUIRE(halved[0].image.size() == cv::Size(32, 24));
    CHECK(std::abs(cv::mean(halved[0].image)[0] - sdr_colour[0]) < 12);
  }

  // SDR video is untouched.
  const std::string sdr = dir + "/sdr.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", patch, "-c:v", "libx264", "-pix_fmt", "yuv420p", sdr});
  dfd::VideoReaderParams params;
  params.hdr_to_sdr = true;
  dfd::VideoReader flagged(sdr, params);
  dfd::VideoReader plain(sdr);
  CHECK_FALSE(plain.info().hdr);
  CHECK(cv::norm(flagged.sample(2)[1].image, plain.sample(2)[1].image, cv::NORM_INF) == 0);
  CHECK(flagged.last_read_stats().frames_hdr_to_sdr == 0);
}

TEST_CASE("stated_colors: BT.709 and full-range frames come out in the colours they were made from" *
          doctest::test_suite("unit")) {
  // A skin-coloured patch (RGB 200, 150, 120) made YUV by FFmpeg with the stated matrix and range
  // and encoded losslessly (4:4:4), so only the YUV-to-RGB conversion stands between the file and
  // the patch.
  const std::string dir = dfd::test::temp_dir();
  // RGB negotiated inside the source's graph: the colour source's own YUV would round it first.
  const std::string patch = "color=c=0xC89678:size=64x48:rate=10:duration=1,format=rgb24";
  const cv::Scalar made_from(200, 150, 120);
  const std::string bt709 = dir + "/bt709.mp4", interlaced = dir + "/bt709_interlaced.mp4";
  const std::string full = dir + "/full.webm", untagged = dir + "/untagged.mp4";
  const std::vector<std::string> to_bt709 = {"-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv444p",
                                             "-colorspace", "bt709", "-color_range", "tv"};
  std::vector<std::string> args = {"-f", "lavfi", "-i", patch};
  args.insert(args.end(), to_bt709.begin(), to_bt709.end());
  std::vector<std::string> interlaced_args = args;
  args.insert(args.end(), {"-c:v", "libx264", "-qp", "0", bt709});
  dfd::test::run_ffmpeg(args);
  interlaced_args.insert(interlaced_args.end(), {"-c:v", "libx264", "-qp", "0", "-flags", "+ilme+ildct", interlaced});
  dfd::test::run_ffmpeg(interlaced_args);
  // Full range with no "J" pixel format to say so: VP9 (AV1 the same).
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", patch, "-vf", "scale=out_color_matrix=bt601:out_range=pc,format=yuv444p",
                         "-color_range", "pc", "-c:v", "libvpx-vp9", "-lossless", "1", full});
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", patch, "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p", untagged});

  dfd::VideoReaderParams stated;
  stated.stated_colors = true;
  const auto distance = [&](const std::string& path, const dfd::VideoReaderParams& params) {
    dfd::VideoReader reader(path, params);
    const cv::Scalar colour = cv::mean(reader.sample(2)[1].image);
    double largest = 0;
    for (int c = 0; c < 3; ++c) largest = std::max(largest, std::abs(colour[c] - made_from[c]));
    return largest;
  };
  {
    dfd::VideoReader reader(bt709);
    CHECK(reader.info().color_matrix == "bt709");
    CHECK(reader.info().color_range == "tv");
    CHECK(distance(bt709, {}) >= 4);   // read as BT.601, OpenCV's way: R 194, G 146
    CHECK(distance(bt709, stated) <= 1.5);
  }
  {
    dfd::VideoReaderParams one_field = stated;
    one_field.deinterlace = true;  // the field conversion honours the matrix too
    dfd::VideoReader reader(interlaced, one_field);
    reader.sample(2);
    CHECK(reader.last_read_stats().frames_deinterlaced == 2);
    CHECK(distance(interlaced, one_field) <= 1.5);
  }
  {
    dfd::VideoReader reader(full);
    CHECK(reader.info().color_range == "pc");
    CHECK(reader.info().color_matrix.empty());
    CHECK(distance(full, {}) >= 8);    // read as limited range: contrast stretched
    CHECK(distance(full, stated) <= 1.5);
  }
  {
    // Nothing stated: BT.601 limited either way, the same pixels.
    dfd::VideoReader as_decoded(untagged);
    CHECK(as_decoded.info().color_matrix.empty());
    CHECK(as_decoded.info().color_range.empty());
    dfd::VideoReader honoured(untagged, stated);
    CHECK(cv::norm(as_decoded.sample(2)[1].image, honoured.sample(2)[1].image, cv::NORM_INF) == 0);
  }
}

TEST_CASE("deinterlace: camera video flagged progressive is never taken for combed") {
  // Progressive recordings of people, moving: no frame reads as combed, so none loses a field.
  dfd::VideoReaderParams params;
  params.deinterlace = true;
  for (const char* video : {"data/videos/ffpp_c23_icpr2020dfdc/004.mp4", "data/videos/dfdc_icpr2020dfdc/widuwuoiur.mp4",
                            "data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"}) {
    CAPTURE(video);
    dfd::VideoReader reader(shared_path(video), params);
    reader.sample(16);
    CHECK(reader.last_read_stats().frames_deinterlaced == 0);
  }
}

TEST_CASE("read keeps the caller's order and gives duplicates their own pixels") {
  dfd::VideoReader reader(shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4"));
  const auto frames = reader.read({200, 5, 200});
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].index == 200);
  CHECK(frames[1].index == 5);
  CHECK(frames[2].index == 200);
  CHECK(frames[0].image.data != frames[2].image.data);
  CHECK(cv::norm(frames[0].image, frames[2].image, cv::NORM_INF) == 0);
  CHECK(frames[0].timestamp == doctest::Approx(200 / 25.0));
  CHECK(reader.read({}).empty());
}

TEST_CASE("FF++ 004.mp4: a keyframe that decodes cleanly once the decoder has seen the stream's start") {
  // This H.264 4:4:4 file was made by an x264 build whose 4:4:4 intra prediction FFmpeg reproduces
  // only when it has read the build from the first packet's SEI: the IDR at frame 250, decoded by
  // a decoder that never saw frame 0 (as `ffmpeg -ss 10` decodes it), comes out with concealed
  // errors. A fresh reader primes its decoders with the first packet, then starts at frame 250.
  const std::string path = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4");
  const std::vector<size_t> expected = opencv_sequential_hashes(path, 0);
  for (int64_t target : {250, 258, 308}) {
    dfd::VideoReader reader(path);
    const auto frames = reader.read({target});
    INFO("frame " << target);
    CHECK(hash_image(frames[0].image) == expected[static_cast<size_t>(target)]);
    CHECK(reader.last_read_stats().seeks == 1);
    // From frame 250, plus the first packet's priming picture (none for 250 itself: the keyframe
    // check's picture is the frame).
    CHECK(reader.last_read_stats().frames_decoded <= target - 250 + 2);
  }
}

TEST_CASE("a keyframe flag on a picture that needs earlier ones is never an entry point" * doctest::test_suite("unit")) {
  // x264's periodic intra refresh (low-latency streaming, video calls) has one IDR; the frames
  // where each refresh wave begins are flagged as keyframes but are P pictures with a recovery
  // point. Decoded alone they give nothing clean, so the reader decodes from the IDR instead.
  const std::string path = dfd::test::temp_dir() + "/intra_refresh.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=10", "-c:v", "libx264",
                         "-x264-params", "intra-refresh=1:keyint=25", "-pix_fmt", "yuv420p", path});
  const std::vector<size_t> expected = opencv_sequential_hashes(path, 0);
  {
    dfd::VideoReader reader(path);
    const std::vector<int64_t> keyframes = reader.keyframe_indices();
    REQUIRE(keyframes.size() > 5);  // flagged keyframes beside the IDR
    const int64_t target = 140;
    const int64_t flagged_before = *(std::upper_bound(keyframes.begin(), keyframes.end(), target) - 1);
    REQUIRE(flagged_before > 100);
    const auto frames = reader.read({target});
    CHECK(hash_image(frames[0].image) == expected[static_cast<size_t>(target)]);
    // More than a run from the flagged keyframe could decode: the run began at frame 0.
    CHECK(reader.last_read_stats().frames_decoded > target - flagged_before + 1);
  }
  {
    // Samples a second apart, each beyond a flagged keyframe: one run from the IDR reads them all
    // (a keyframe is checked before the run is left for it), never a run from the start per sample.
    dfd::VideoReader reader(path);
    std::vector<int64_t> samples;
    for (int64_t i = 10; i < reader.info().frame_count; i += 25) samples.push_back(i);
    const auto frames = reader.read(samples);
    REQUIRE(frames.size() == samples.size());
    for (size_t k = 0; k < frames.size(); ++k) {
      INFO("frame " << samples[k]);
      CHECK(hash_image(frames[k].image) == expected[static_cast<size_t>(samples[k])]);
    }
    CHECK(reader.last_read_stats().frames_decoded <= reader.info().frame_count);
    CHECK(reader.last_read_stats().seeks <= 1);
  }
  check_random_access_matches_sequential(path);
}
