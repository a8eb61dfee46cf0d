// Files and names a hostile or careless user gives: special files, stuck or forged media, forged
// safetensors and checkpoint tensors, CSV with quoted line breaks, names that are not UTF-8.
#include "dfd/detector.hpp"  // brings c10's logging: before dfd_test.hpp, which restores doctest's CHECK

#include "dfd_test.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <future>
#include <thread>

#include "dfd/audio.hpp"
#include "dfd/csv.hpp"
#include "dfd/error.hpp"
#include "dfd/nms.hpp"
#include "dfd/safetensors.hpp"
#include "dfd/strided_copy.hpp"
#include "dfd/utf8.hpp"
#include "dfd/video.hpp"

using dfd::test::temp_dir;

namespace {

// A named pipe nobody writes to. A reader that opened it would block forever; if one does, the
// guard releases it (opens and closes the write end, after a grace period long enough that only
// a blocked reader is still there) and records it: `released` true means a reader blocked.
struct Fifo {
  std::string path;
  std::thread guard;
  std::promise<void> done;
  std::atomic<bool> released{false};

  explicit Fifo(const std::string& name) : path(temp_dir() + "/" + name) {
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    guard = std::thread([this, finished = done.get_future()] {
      while (finished.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);  // fails (ENXIO) if no reader waits
        if (fd >= 0) {
          released = true;
          ::close(fd);
        }
      }
    });
  }
  ~Fifo() {
    done.set_value();
    guard.join();
    ::unlink(path.c_str());
  }
};

template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("(wrong exception type) ") + e.what();
  }
  return "(no exception)";
}

std::string write_bytes(const std::string& name, const std::string& bytes) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A PCM WAV header (44 bytes) claiming `rate` Hz and `channels`, then `data` bytes of samples.
std::string wav_bytes(uint32_t rate, uint16_t channels, size_t data) {
  std::string out;
  const auto u32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff); };
  const auto u16 = [&](uint16_t v) { for (int i = 0; i < 2; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff); };
  out += "RIFF";
  u32(static_cast<uint32_t>(36 + data));
  out += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(channels);
  u32(rate);
  u32(rate * channels * 2u);
  u16(static_cast<uint16_t>(channels * 2));
  u16(16);
  out += "data";
  u32(static_cast<uint32_t>(data));
  out += std::string(data, '\x01');
  return out;
}

}  // namespace

TEST_CASE("a FIFO is refused by type, never opened: every reader, the Detector" * doctest::test_suite("unit")) {
  Fifo fifo("pipe.mp4");
  for (const std::string& message :
       {message_of<dfd::IoError>([&] { dfd::VideoReader r(fifo.path); }),
        message_of<dfd::IoError>([&] { dfd::AudioReader r(fifo.path); }),
        message_of<dfd::IoError>([&] { dfd::SafetensorsFile f(fifo.path); }),
        message_of<dfd::IoError>([&] { dfd::read_csv_file(fifo.path); }),
        message_of<dfd::IoError>([&] { dfd::load_image_rgb(fifo.path); })}) {
    INFO(message);
    CHECK(message.find(fifo.path) == 0);
    CHECK(message.find("FIFO") != std::string::npos);
  }
  CHECK_FALSE(dfd::is_image_file(fifo.path));
  CHECK_FALSE(fifo.released);  // no reader ever waited on it
  // Devices and sockets likewise.
  CHECK(message_of<dfd::IoError>([&] { dfd::VideoReader r("/dev/zero"); }).find("character device") != std::string::npos);
  CHECK(message_of<dfd::IoError>([&] { dfd::AudioReader r("/dev/urandom"); }).find("character device") != std::string::npos);
}

TEST_CASE("every read is bounded in time: a deadline turns a slow input into an IoError" * doctest::test_suite("unit")) {
  // A long raw H.264 stream states no frame count: probing demuxes all of it, decoding a late
  // frame decodes far. A tiny limit must cut both short with a typed error naming the file.
  const std::string path = temp_dir() + "/long.h264";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=40", "-c:v", "libx264",
                         "-preset", "ultrafast", "-g", "1000", path});
  dfd::VideoReaderParams tiny;
  tiny.timeout_seconds = 0.002;
  const std::string message = message_of<dfd::IoError>([&] { dfd::VideoReader(path, tiny).sample(8); });
  INFO(message);
  CHECK(message.find(path) == 0);
  CHECK(message.find("did not finish within 0.002 s") != std::string::npos);
  // The same file within the default limit reads as usual; the limit is checked.
  CHECK(dfd::VideoReader(path).sample(2).size() == 2);
  dfd::VideoReaderParams negative;
  negative.timeout_seconds = -1;
  CHECK_THROWS_AS(dfd::VideoReader(path, negative), dfd::InvalidArgument);

  const std::string audio = temp_dir() + "/long.wav";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000:duration=600", audio});
  dfd::AudioReaderParams slow;
  slow.timeout_seconds = 0.002;
  slow.max_duration_seconds = 0;
  const std::string audio_message = message_of<dfd::IoError>([&] { dfd::AudioReader(audio, slow).read(); });
  INFO(audio_message);
  CHECK(audio_message.find("did not finish within") != std::string::npos);
}

TEST_CASE("forged audio headers: validated parameters, memory bounded by what the caller asked for" * doctest::test_suite("unit")) {
  // 85 bytes claiming 1 GHz: refused when probed, before a resampler (of gigabytes) is built.
  const std::string ghz = write_bytes("ghz.wav", wav_bytes(1000000000u, 1, 41));
  const std::string message = message_of<dfd::DecodeError>([&] { dfd::AudioReader(ghz).read(); });
  INFO(message);
  CHECK(message.find(ghz) == 0);
  CHECK(message.find("the audio stream states a sample rate of 1000000000 Hz") != std::string::npos);
  const std::string many = write_bytes("channels.wav", wav_bytes(8000, 200, 800));
  CHECK(message_of<dfd::Error>([&] { dfd::AudioReader(many).read(); }).find(many) == 0);

  // A real 30 s clip read with a 10 s limit: refused before its memory is taken.
  const std::string clip = temp_dir() + "/thirty.wav";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000:duration=30", clip});
  dfd::AudioReaderParams limited;
  limited.max_duration_seconds = 10;
  const std::string too_long = message_of<dfd::DecodeError>([&] { dfd::AudioReader(clip, limited).read(); });
  CHECK(too_long.find("longer than max_duration_seconds (10 s)") != std::string::npos);
  limited.max_duration_seconds = 31;
  CHECK(dfd::AudioReader(clip, limited).read().size() == 30u * 22050u);
}

TEST_CASE("safetensors: data ranges must tile the buffer; shapes that overflow are refused, typed" * doctest::test_suite("unit")) {
  const auto file = [](const std::string& header, size_t data) {
    std::string bytes;
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>((n >> (8 * i)) & 0xff);
    return bytes + header + std::string(data, '\0');
  };
  const auto error = [&](const std::string& header, size_t data) {
    return message_of<dfd::ModelError>([&] {
             const std::string b = file(header, data);
             dfd::SafetensorsFile("x.safetensors", std::vector<uint8_t>(b.begin(), b.end()));
           });
  };
  CHECK(error(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12)
            .find("overlaps another tensor") != std::string::npos);
  CHECK(error(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8)
            .find("overlaps") != std::string::npos);
  CHECK((error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8).find("unused") != std::string::npos));
  CHECK((error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8).find("trailing") != std::string::npos));
  CHECK(error(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0)
            .find("more elements than int64") != std::string::npos);
  CHECK(error(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0)
            .find("tensor 'a'") != std::string::npos);
  // A zero dimension makes no element, but the other dimensions' product must still fit in int64
  // (what a tensor library indexes); within that, numel() is 0.
  CHECK(error(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})", 0)
            .find("more elements than int64") != std::string::npos);
  const std::string zero = file(R"({"a":{"dtype":"F32","shape":[2147483648,2147483648,0],"data_offsets":[0,0]}})", 0);
  const dfd::SafetensorsFile empty("zero.safetensors", std::vector<uint8_t>(zero.begin(), zero.end()));
  CHECK(empty.tensor("a").numel() == 0);
  CHECK(empty.values<float>("a").empty());
  // Zero-byte tensors may share an offset; a well-formed file with several tensors still loads.
  const std::string ok = file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})", 3);
  CHECK(dfd::SafetensorsFile("ok.safetensors", std::vector<uint8_t>(ok.begin(), ok.end())).names().size() == 3);
}

TEST_CASE("copy_strided: a checkpoint's (offset, size, stride) is checked against its storage" * doctest::test_suite("unit")) {
  const std::vector<uint8_t> storage = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const auto copy = [&](int64_t offset, std::vector<int64_t> size, std::vector<int64_t> stride) {
    return dfd::copy_strided(storage.data(), storage.size(), 1, offset, size, stride, "tensor 'w'", 1000);
  };
  CHECK((copy(0, {3, 4}, {4, 1}) == storage));
  CHECK((copy(1, {2, 2}, {1, 4}) == std::vector<uint8_t>{1, 5, 2, 6}));  // a transposed view
  CHECK((copy(11, {3}, {0}) == std::vector<uint8_t>{11, 11, 11}));       // an expanded one
  CHECK((copy(12, {0, 5}, {5, 1}).empty()));                             // empty: the offset may be the end
  const auto refused = [&](int64_t offset, std::vector<int64_t> size, std::vector<int64_t> stride) {
    return message_of<dfd::InvalidArgument>([&] { copy(offset, size, stride); });
  };
  CHECK((refused(9, {4}, {1}).find("reach element 12, but the storage holds 12 elements") != std::string::npos));
  CHECK((refused(0, {3, 4}, {4, 2}).find("reach element 14") != std::string::npos));
  CHECK((refused(-1, {1}, {1}).find("negative storage offset") != std::string::npos));
  CHECK((refused(13, {0}, {1}).find("past the storage") != std::string::npos));
  CHECK((refused(0, {2}, {-1}).find("negative stride") != std::string::npos));
  CHECK((refused(0, {-2}, {1}).find("negative size") != std::string::npos));
  CHECK((refused(0, {2, 2}, {1}).find("2 sizes but 1 strides") != std::string::npos));
  CHECK((refused(0, {INT64_MAX, 2}, {0, 1}).find("overflows") != std::string::npos));
  CHECK((refused(0, {5000}, {0}).find("more than the 1000 allowed") != std::string::npos));
  CHECK((refused(1, {2}, {INT64_MAX}).find("overflows") != std::string::npos));
  CHECK(refused(0, {1}, {1}).find("tensor 'w'") == std::string::npos);  // (that one is fine)
}

TEST_CASE("CSV: RFC 4180 fields, quoted line breaks, a cut last record" * doctest::test_suite("unit")) {
  CHECK(dfd::csv_field("plain.mp4") == "plain.mp4");
  CHECK(dfd::csv_field("a,b") == "\"a,b\"");
  CHECK(dfd::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(dfd::csv_field("new\nline") == "\"new\nline\"");
  CHECK(dfd::csv_field(" padded") == "\" padded\"");
  const std::string text = "\xEF\xBB\xBFpath,label\r\n\"a,b.mp4\",1\n\n\"new\nline.mp4\",0\n\"q\"\"uote\",1\ncut,0";
  const dfd::CsvText csv = dfd::parse_csv(text);
  REQUIRE(csv.records.size() == 4);
  CHECK((csv.records[0] == dfd::CsvRecord{"path", "label"}));
  CHECK((csv.records[1] == dfd::CsvRecord{"a,b.mp4", "1"}));
  CHECK((csv.records[2] == dfd::CsvRecord{"new\nline.mp4", "0"}));
  CHECK((csv.records[3] == dfd::CsvRecord{"q\"uote", "1"}));
  CHECK((csv.lines == std::vector<size_t>{1, 2, 4, 6}));
  CHECK(csv.cut_short);
  CHECK((csv.partial == dfd::CsvRecord{"cut", "0"}));
  CHECK_FALSE(csv.partial_open_quote);
  CHECK(text.substr(csv.complete_bytes) == "cut,0");
  const dfd::CsvText open = dfd::parse_csv("a,b\n\"unclosed,1\n");
  CHECK(open.records.size() == 1);
  CHECK(open.partial_open_quote);
  // What the writer writes, the reader reads back.
  const dfd::CsvRecord odd = {"", "x,y", "\"", "a\r\nb", " s ", "\xEF\xBB\xBFz", "\xff\xfe"};
  const dfd::CsvText back = dfd::parse_csv(dfd::csv_line(odd) + dfd::csv_line(odd));
  REQUIRE(back.records.size() == 2);
  CHECK(back.records[0] == odd);
  CHECK_FALSE(back.cut_short);
  // A file cut mid-row is repaired to its last complete row.
  const std::string path = write_bytes("cut.csv", "path,score\na.mp4,0.5\n\"b\nc.mp4\",0.");
  CHECK(dfd::repair_csv_tail(path) == std::string("\"b\nc.mp4\",0.").size());
  CHECK(dfd::read_csv_file(path).records.size() == 2);
  CHECK(dfd::repair_csv_tail(path) == 0);
}

TEST_CASE("names that are not UTF-8: the OS gets the bytes, written text gets \\xNN" * doctest::test_suite("unit")) {
  CHECK(dfd::utf8_escaped("caf\xc3\xa9.mp4") == "caf\xc3\xa9.mp4");
  CHECK(dfd::utf8_escaped("caf\xe9.mp4") == "caf\\xe9.mp4");
  CHECK(dfd::utf8_escaped("\xed\xa0\x80|\xf4\x90\x80\x80|\xc0\xaf|\xe2\x82") == "\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\xc0\\xaf|\\xe2\\x82");
  CHECK(dfd::is_valid_utf8("\xf0\x9f\x98\x80"));
  CHECK_FALSE(dfd::is_valid_utf8("\xff"));

  const std::string dir = temp_dir();
  const std::string latin1 = dir + "/vid\xe9o.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1", "-c:v", "libx264", latin1});
  dfd::VideoReader reader(latin1);
  CHECK(reader.info().path == latin1);
  CHECK(reader.sample(2).size() == 2);
  const std::string missing = dir + "/gone\xff.mp4";
  CHECK(message_of<dfd::IoError>([&] { dfd::VideoReader r(missing); }).find(missing) == 0);
  // A name longer than the file system allows: an IoError naming it, not a filesystem_error.
  const std::string long_name = dir + "/" + std::string(300, 'x') + ".mp4";
  CHECK(message_of<dfd::IoError>([&] { dfd::VideoReader r(long_name); }).find("too long") != std::string::npos);
}

TEST_CASE("Detector: hostile inputs become statuses naming the file, failed files carry no score") {
  dfd::DetectorParams params = dfd::detector_preset("mesonet");
  params.models = {"meso4_keras:" + dfd::test::test_model("Meso4_DF.safetensors")};
  params.mtcnn.weights = dfd::test::test_model("mtcnn.safetensors");
  params.faces.frames = 2;
  dfd::Detector detector(params);
  Fifo fifo("scan_pipe.mp4");
  const std::string long_name = temp_dir() + "/" + std::string(300, 'y') + ".mp4";
  const std::string forged = write_bytes("forged\xfe.mp4", std::string(4096, 'z'));
  const std::vector<dfd::Verdict> verdicts = detector.scan_many({fifo.path, long_name, forged});
  CHECK_FALSE(fifo.released);
  REQUIRE(verdicts.size() == 3);
  CHECK(verdicts[0].status == dfd::Verdict::Status::IoError);
  CHECK(verdicts[0].error.find("FIFO") != std::string::npos);
  CHECK(verdicts[1].status == dfd::Verdict::Status::IoError);
  CHECK(verdicts[1].error.find(long_name) == 0);
  CHECK(verdicts[2].status == dfd::Verdict::Status::DecodeError);
  for (const dfd::Verdict& v : verdicts) {
    CHECK(std::isnan(v.p_fake));
    const std::string json = dfd::to_json(v);  // never throws, whatever bytes the name holds
    CHECK(dfd::is_valid_utf8(json));
    CHECK(json.find("\"p_fake\":null") != std::string::npos);
  }
  CHECK(dfd::to_json(verdicts[2]).find("forged\\\\xfe.mp4") != std::string::npos);
}

TEST_CASE("one IoU and one NMS: the variants the face detectors' references use, checked inputs" * doctest::test_suite("unit")) {
  const dfd::Box a{0, 0, 10, 10}, b{5, 0, 15, 10}, far{20, 20, 30, 30};
  CHECK(dfd::iou(a, b) == doctest::Approx(50.0 / 150.0));
  CHECK(dfd::iou(a, a) == 1.0f);
  CHECK(dfd::iou(a, far) == 0.0f);
  CHECK(dfd::iou(a, dfd::Box{3, 3, 3, 3}) == 0.0f);   // an empty box intersects nothing
  CHECK(dfd::iou(a, dfd::Box{10, 10, 0, 0}) == 0.0f); // nor does an inverted one
  const dfd::OverlapRule min_rule{dfd::OverlapRule::Kind::Min, 1.0f};
  CHECK(dfd::overlap(a, dfd::Box{2, 2, 4, 4}, min_rule) == 1.0f);  // inside: all of the smaller one
  CHECK(dfd::overlap(a, b, min_rule) == doctest::Approx(66.0 / 121.0));

  const std::vector<dfd::Box> boxes = {a, b, {1, 0, 11, 10}, far, {0, 0, 10, 10}};
  const std::vector<float> scores = {0.9f, 0.95f, 0.8f, 0.5f, 0.9f};
  dfd::NmsParams p;
  p.threshold = 0.5;
  // b first; a (0.9, index 0) drops c (IoU 0.82) and its twin at index 4; far stays.
  CHECK((dfd::nms(boxes, scores, p) == std::vector<int64_t>{1, 0, 3}));
  p.ties = dfd::ScoreTies::HigherIndexFirst;  // the twin at index 4 now comes before index 0
  CHECK((dfd::nms(boxes, scores, p) == std::vector<int64_t>{1, 4, 3}));
  p.ties = dfd::ScoreTies::LowerIndexFirst;
  const auto clusters = dfd::nms_clusters(boxes, scores, p);
  REQUIRE(clusters.size() == 3);
  CHECK((clusters[1] == std::vector<int64_t>{0, 4, 2}));  // kept first, then by descending score
  // A degenerate box is its own cluster (it once looped forever in BlazeFace's blending NMS).
  CHECK((dfd::nms_clusters({dfd::Box{1, 1, 1, 1}, a}, {0.9f, 0.5f}, p) ==
         std::vector<std::vector<int64_t>>{{0}, {1}}));
  CHECK(dfd::nms({}, {}, p).empty());
  CHECK(message_of<dfd::InvalidArgument>([&] { dfd::nms(boxes, {0.5f}, p); }).find("1 scores for 5 boxes") != std::string::npos);
  CHECK(message_of<dfd::InvalidArgument>([&] { dfd::nms({a}, {std::nanf("")}, p); }).find("score 0 is NaN") != std::string::npos);
  p.threshold = std::nan("");
  CHECK(message_of<dfd::InvalidArgument>([&] { dfd::nms({a}, {0.5f}, p); }).find("threshold") == 0);
}
