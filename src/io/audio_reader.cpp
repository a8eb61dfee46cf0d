#include "dfd/audio.hpp"

#include <fmt/format.h>

#include "dfd/error.hpp"
#include "io/ffmpeg_common.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
}

namespace dfd {
namespace {

// The highest source rate accepted: 768 kHz is the top rate of audio interfaces and formats (DXD
// is 352.8 kHz). Past it a resampler to 22 or 16 kHz needs filters of gigabytes (a WAV header
// claiming 1 GHz cost 1.5 GB and 12 s before), and no real recording is that fast.
constexpr int kMaxSourceRate = 768000;
// swresample's limit (SWR_CH_MAX).
constexpr int kMaxChannels = 64;

}  // namespace

struct AudioReader::Impl {
  std::string path;
  AudioReaderParams params;
  AudioInfo info;
  ffmpeg::Deadline deadline;  // declared before `format`, whose interrupt callback points at it
  ffmpeg::FormatContextPtr format;
  AVStream* stream = nullptr;

  void open() {
    format = ffmpeg::open_input(path, deadline);
    const int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (index < 0) {
      throw MissingStreamError(path, MissingStreamError::Stream::Audio, "has no audio stream (it holds " + ffmpeg::describe_streams(*format) + ")");
    }
    stream = format->streams[index];
    for (unsigned i = 0; i < format->nb_streams; ++i) {
      if (static_cast<int>(i) != index) format->streams[i]->discard = AVDISCARD_ALL;
    }
  }

  void probe() {
    const AVCodecParameters& par = *stream->codecpar;
    info.path = path;
    info.sample_rate = par.sample_rate;
    info.channels = par.ch_layout.nb_channels;
    info.codec = avcodec_get_name(par.codec_id);
    const char* fmt_name = av_get_sample_fmt_name(static_cast<AVSampleFormat>(par.format));
    info.sample_format = fmt_name ? fmt_name : "unknown";
    check_stream_parameters(info.sample_rate, info.channels, "the audio stream states");
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
      info.duration = stream->duration * av_q2d(stream->time_base);
    } else if (format->duration > 0) {
      info.duration = format->duration / double(AV_TIME_BASE);
    }
  }

  // A rate or channel count no recording has is a corrupt or hostile header: refused before any
  // resampler is built for it. 0 means "not stated" in a stream's parameters (decoded frames say).
  void check_stream_parameters(int rate, int channels, const char* who) const {
    if (rate < 0 || rate > kMaxSourceRate) {
      throw DecodeError(path, fmt::format("{} a sample rate of {} Hz (accepted: 1 Hz to {} Hz): a corrupt or "
                                          "forged header", who, rate, kMaxSourceRate));
    }
    if (channels < 0 || channels > kMaxChannels) {
      throw DecodeError(path, fmt::format("{} {} channels (accepted: 1 to {}): a corrupt or forged header", who,
                                          channels, kMaxChannels));
    }
  }

  // A resampler from the frame's layout/format/rate to mono float at the requested rate.
  ffmpeg::SwrPtr make_resampler(const AVFrame& frame) {
    check_stream_parameters(frame.sample_rate, frame.ch_layout.nb_channels, "a decoded frame has");
    if (frame.sample_rate == 0) throw DecodeError(path, "a decoded frame has no sample rate");
    AVChannelLayout in_layout{};
    if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame.ch_layout.nb_channels == 0) {
      av_channel_layout_default(&in_layout, frame.ch_layout.nb_channels > 0 ? frame.ch_layout.nb_channels : 1);
    } else {
      av_channel_layout_copy(&in_layout, &frame.ch_layout);
    }
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    SwrContext* raw = nullptr;
    int err = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, params.sample_rate, &in_layout,
                                  static_cast<AVSampleFormat>(frame.format), frame.sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in_layout);
    ffmpeg::SwrPtr swr(raw);
    if (err >= 0) err = swr_init(swr.get());
    if (err < 0) throw DecodeError(path, "cannot set up the resampler: " + ffmpeg::error_text(err));
    return swr;
  }

  void append(SwrContext* swr, const AVFrame* frame, std::vector<float>& out) {
    const int in_samples = frame ? frame->nb_samples : 0;
    const int capacity = swr_get_out_samples(swr, in_samples);
    if (capacity <= 0) return;
    // Memory is bounded by what the caller asked for, not by what the file claims or holds.
    if (params.max_duration_seconds > 0 &&
        double(out.size() + static_cast<size_t>(capacity)) > params.max_duration_seconds * params.sample_rate + 4096.0) {
      throw DecodeError(path, fmt::format("the audio is longer than max_duration_seconds ({:g} s): raise the limit "
                                          "to read it whole", params.max_duration_seconds));
    }
    const size_t old_size = out.size();
    out.resize(old_size + static_cast<size_t>(capacity));
    uint8_t* dst = reinterpret_cast<uint8_t*>(out.data() + old_size);
    const int got = swr_convert(swr, &dst, capacity, frame ? const_cast<const uint8_t**>(frame->extended_data) : nullptr,
                                in_samples);
    if (got < 0) throw DecodeError(path, "resampling failed: " + ffmpeg::error_text(got));
    out.resize(old_size + static_cast<size_t>(got));
  }

  std::vector<float> decode_all() {
    deadline.restart();
    if (!format) open();  // read() called again: start over from a fresh demuxer
    ffmpeg::CodecContextPtr decoder = ffmpeg::open_decoder(path, *stream, 1);
    ffmpeg::PacketPtr packet = ffmpeg::make_packet();
    ffmpeg::FramePtr frame = ffmpeg::make_frame();
    ffmpeg::SwrPtr swr;
    int swr_rate = 0, swr_format = -1;
    AVChannelLayout swr_layout{};
    std::vector<float> samples;
    std::string demux_error;
    int decode_errors = 0;
    std::string last_decode_error;

    auto drain = [&]() {
      for (;;) {
        const int err = avcodec_receive_frame(decoder.get(), frame.get());
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
        if (err < 0) {
          ++decode_errors;
          last_decode_error = ffmpeg::error_text(err);
          return;
        }
        // A stream may change its rate or layout midway (rare): rebuild the resampler then.
        if (!swr || frame->sample_rate != swr_rate || frame->format != swr_format ||
            av_channel_layout_compare(&frame->ch_layout, &swr_layout) != 0) {
          if (swr) append(swr.get(), nullptr, samples);
          swr = make_resampler(*frame);
          swr_rate = frame->sample_rate;
          swr_format = frame->format;
          av_channel_layout_uninit(&swr_layout);
          av_channel_layout_copy(&swr_layout, &frame->ch_layout);
        }
        append(swr.get(), frame.get(), samples);
        av_frame_unref(frame.get());
      }
    };

    for (;;) {
      deadline.check(path, "reading the audio");
      const int err = av_read_frame(format.get(), packet.get());
      if (err < 0) {
        deadline.check(path, "reading the audio");
        if (err != AVERROR_EOF) demux_error = ffmpeg::error_text(err);
        break;
      }
      if (packet->stream_index == stream->index) {
        const int send_err = avcodec_send_packet(decoder.get(), packet.get());
        if (send_err < 0 && send_err != AVERROR(EAGAIN)) {
          ++decode_errors;
          last_decode_error = ffmpeg::error_text(send_err);
        }
        drain();
      }
      av_packet_unref(packet.get());
    }
    avcodec_send_packet(decoder.get(), nullptr);
    drain();
    if (swr) append(swr.get(), nullptr, samples);
    av_channel_layout_uninit(&swr_layout);
    format.reset();

    if (!demux_error.empty()) {
      throw DecodeError(path, fmt::format("reading stopped after {:.3f} s of audio (truncated or damaged file): {}",
                                          samples.size() / double(params.sample_rate), demux_error));
    }
    if (samples.empty()) {
      std::string cause = "the audio stream yielded no samples";
      if (decode_errors > 0) cause += fmt::format(" ({} decode errors, last: {})", decode_errors, last_decode_error);
      throw DecodeError(path, cause);
    }
    return samples;
  }
};

AudioReader::AudioReader(const std::string& path, const AudioReaderParams& params) : impl_(std::make_unique<Impl>()) {
  if (params.sample_rate < 1 || params.sample_rate > kMaxSourceRate) {
    throw InvalidArgument("sample_rate", fmt::format("must be in [1, {}] Hz, got {}", kMaxSourceRate, params.sample_rate));
  }
  if (!(params.timeout_seconds >= 0)) {
    throw InvalidArgument("timeout_seconds", fmt::format("must be >= 0 (0: no limit), got {}", params.timeout_seconds));
  }
  if (!(params.max_duration_seconds >= 0)) {
    throw InvalidArgument("max_duration_seconds",
                          fmt::format("must be >= 0 (0: no limit), got {}", params.max_duration_seconds));
  }
  impl_->path = path;
  impl_->params = params;
  impl_->deadline = ffmpeg::Deadline(params.timeout_seconds);
  ffmpeg::out_of_memory_as_error(path, [this] {
    impl_->open();
    impl_->probe();
  });
}

AudioReader::~AudioReader() = default;
AudioReader::AudioReader(AudioReader&&) noexcept = default;
AudioReader& AudioReader::operator=(AudioReader&&) noexcept = default;

const AudioInfo& AudioReader::info() const { return impl_->info; }
int AudioReader::sample_rate() const { return impl_->params.sample_rate; }
std::vector<float> AudioReader::read() {
  return ffmpeg::out_of_memory_as_error(impl_->path, [this] { return impl_->decode_all(); });
}

}  // namespace dfd
