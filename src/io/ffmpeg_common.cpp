#include "io/ffmpeg_common.hpp"

#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

#include "core/input_file.hpp"
#include "dfd/error.hpp"

extern "C" {
#include <libavutil/avutil.h>
#include <libavutil/log.h>
}

namespace dfd::ffmpeg {
namespace {

// FFmpeg reports the specific cause of a failure ("moov atom not found") only through its log.
// Keep the last error line of each thread so it can go into the exception message, and stay quiet
// on stderr unless DFD_FFMPEG_LOG is set: a library scanning thousands of files should not spam.
thread_local std::string last_logged_error;

void log_callback(void* avcl, int level, const char* format, va_list args) {
  static const bool forward = std::getenv("DFD_FFMPEG_LOG") != nullptr;
  if (level <= AV_LOG_ERROR) {
    char line[1024];
    int print_prefix = 1;
    va_list copy;
    va_copy(copy, args);
    av_log_format_line2(avcl, level, format, copy, line, sizeof(line), &print_prefix);
    va_end(copy);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (!text.empty()) last_logged_error = std::move(text);
  }
  if (forward) av_log_default_callback(avcl, level, format, args);
}

void install_log_callback() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(log_callback); });
}

}  // namespace

FramePtr make_frame() {
  FramePtr frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  return frame;
}

PacketPtr make_packet() {
  PacketPtr packet(av_packet_alloc());
  if (!packet) throw std::bad_alloc();
  return packet;
}

std::string error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof(buf));
  std::string text(buf);
  if (!last_logged_error.empty()) {
    text += " (" + last_logged_error + ")";
    last_logged_error.clear();
  }
  return text;
}

// A limit of 30 years or more (or infinity) is no limit: it would overflow the clock's arithmetic.
Deadline::Deadline(double seconds) : seconds_(seconds < 1e9 ? seconds : 0.0) { restart(); }

void Deadline::restart() {
  if (seconds_ > 0) {
    end_ = std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds_));
  }
}

bool Deadline::expired() const { return seconds_ > 0 && std::chrono::steady_clock::now() >= end_; }

void Deadline::check(const std::string& path, const char* what) const {
  if (expired()) fail(path, what);
}

void Deadline::fail(const std::string& path, const char* what) const {
  throw IoError(path, fmt::format("{} did not finish within {:g} s (the reader's timeout_seconds): a stuck, "
                                  "endless or far too slow input", what, seconds_));
}

AVIOInterruptCB Deadline::interrupt_callback() {
  return {[](void* self) { return static_cast<const Deadline*>(self)->expired() ? 1 : 0; }, this};
}

FormatContextPtr open_input(const std::string& path, Deadline& deadline) {
  install_log_callback();
  if (check_input_file(path) == 0) throw DecodeError(path, "file is empty (0 bytes)");

  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) throw std::bad_alloc();
  raw->interrupt_callback = deadline.interrupt_callback();
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  last_logged_error.clear();
  // "file:" keeps a path containing ':' from being read as a protocol name.
  const std::string url = "file:" + path;
  const int err = avformat_open_input(&raw, url.c_str(), nullptr, &options);  // frees raw on failure
  av_dict_free(&options);
  if (err < 0) {
    if (deadline.expired()) deadline.fail(path, "opening the file");
    if (err == AVERROR(EACCES)) throw IoError(path, "permission denied");
    throw DecodeError(path, "not a readable media file: " + error_text(err));
  }
  FormatContextPtr fmt(raw);
  const int info_err = avformat_find_stream_info(fmt.get(), nullptr);
  if (deadline.expired()) deadline.fail(path, "probing the streams");
  if (info_err < 0) throw DecodeError(path, "cannot read the stream parameters: " + error_text(info_err));
  return fmt;
}

void throw_out_of_memory(const std::string& path) {
  throw DecodeError(path, "out of memory while reading it (a frame or stream larger than memory allows)");
}

bool is_still_image_format(const AVFormatContext& fmt) {
  const std::string name = fmt.iformat ? fmt.iformat->name : "";
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name == "image2" || ends_with("_pipe");
}

CodecContextPtr open_decoder(const std::string& path, const AVStream& stream, int threads) {
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (!codec) {
    throw DecodeError(path, fmt::format("no decoder for codec '{}' in this FFmpeg build",
                                        avcodec_get_name(stream.codecpar->codec_id)));
  }
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  int err = avcodec_parameters_to_context(ctx.get(), stream.codecpar);
  if (err < 0) throw DecodeError(path, "bad codec parameters: " + error_text(err));
  ctx->thread_count = threads;
  ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  ctx->pkt_timebase = stream.time_base;
  err = avcodec_open2(ctx.get(), codec, nullptr);
  if (err < 0) throw DecodeError(path, fmt::format("cannot open the {} decoder: {}", codec->name, error_text(err)));
  return ctx;
}

std::string describe_streams(const AVFormatContext& fmt) {
  std::string out;
  for (unsigned i = 0; i < fmt.nb_streams; ++i) {
    const AVCodecParameters* par = fmt.streams[i]->codecpar;
    const char* type = av_get_media_type_string(par->codec_type);
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({}{})", type ? type : "unknown", avcodec_get_name(par->codec_id),
                       (fmt.streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0 ? ", a cover picture" : "");
  }
  return out.empty() ? "no streams" : out;
}

}  // namespace dfd::ffmpeg
