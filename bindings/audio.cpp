#include "audio.hpp"

#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/audio.hpp"
#include "dfd/audio_strip.hpp"
#include "dfd/audio_windows.hpp"
#include "dfd/loudness.hpp"
#include "dfd/audio_bandwidth.hpp"
#include "dfd/speech_snr.hpp"
#include "fs_path.hpp"
#include "image.hpp"
#include "tensor.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;


cv::Mat float_view(const FloatArray& a, const char* what) {
  if (a.ndim() != 2) throw InvalidArgument(what, "expected a 2-D float array [n_mels, frames]");
  return cv::Mat(static_cast<int>(a.shape(0)), static_cast<int>(a.shape(1)), CV_32F, const_cast<float*>(a.data()));
}

std::vector<float> waveform_of(const FloatArray& a) {
  if (a.ndim() != 1) throw InvalidArgument("waveform", "expected a 1-D float array (mono samples)");
  return std::vector<float>(a.data(), a.data() + a.size());
}

// librosa's norm: "slaney" or None.
MelNorm norm_of(const std::optional<std::string>& s) { return s ? mel_norm(*s) : MelNorm::None; }

// librosa's ref: 1.0 (its default) or "max" (np.max, as the FFDV baseline).
bool ref_is_max(const py::object& ref) {
  if (py::isinstance<py::str>(ref)) {
    if (ref.cast<std::string>() == "max") return true;
    throw InvalidArgument("ref", "expected 1.0 or 'max'");
  }
  if (ref.cast<double>() != 1.0) throw InvalidArgument("ref", "expected 1.0 or 'max' (other constants are not supported)");
  return false;
}

}  // namespace

void register_audio(py::module_& m) {
  py::class_<AudioWindow>(m, "AudioWindow", "A window of a clip for a waveform model, in samples.")
      .def(py::init([](int64_t start, int64_t length, bool padded) { return AudioWindow{start, length, padded}; }),
           py::arg("start"), py::arg("length"), py::arg("padded") = false)
      .def_readonly("start", &AudioWindow::start)
      .def_readonly("length", &AudioWindow::length)
      .def_readonly("padded", &AudioWindow::padded)
      .def("__repr__", [](const AudioWindow& w) {
        return "AudioWindow(start=" + std::to_string(w.start) + ", length=" + std::to_string(w.length) +
               (w.padded ? ", padded=True)" : ")");
      });
  m.def("audio_windows", &audio_windows, py::arg("samples"), py::arg("window"), py::arg("hop") = AudioWindowParams{}.hop,
        "The windows covering `samples` samples: starts every hop * window while a window fits, a last one ending at "
        "the clip's end; a shorter clip is one padded window.");
  m.def(
      "speech_snr_db",
      [](const FloatArray& waveform) {
        const std::vector<float> samples = waveform_of(waveform);
        py::gil_scoped_release release;
        return speech_snr_db(samples);
      },
      py::arg("waveform"),
      "WADA-SNR: how far speech stands above the noise in mono float32 samples, in dB, estimated blind from the "
      "amplitude distribution (Gamma speech, Gaussian noise), in [-10, 100]; a gain does not move it.");
  m.def(
      "audio_bandwidth_hz",
      [](const FloatArray& waveform, int sample_rate) {
        const std::vector<float> samples = waveform_of(waveform);
        py::gil_scoped_release release;
        return audio_bandwidth_hz(samples, sample_rate);
      },
      py::arg("waveform"), py::arg("sample_rate"),
      "How high the sound of mono float32 samples reaches, in Hz: the highest frequency whose long-term power (the "
      "louder half of 512-sample frames) is within 60 dB of the strongest's; 0 for digital silence; a gain does not "
      "move it. A phone line reads about 4 kHz, wideband speech at 16 kHz 7-8 kHz.");
  m.def(
      "integrated_loudness",
      [](const FloatArray& waveform, int sample_rate) {
        const std::vector<float> samples = waveform_of(waveform);
        py::gil_scoped_release release;
        return integrated_loudness(samples, sample_rate);
      },
      py::arg("waveform"), py::arg("sample_rate"),
      "ITU-R BS.1770-4 integrated loudness of mono float32 samples, in LUFS (what EBU R128 meters and FFmpeg's "
      "ebur128 filter report): K-weighted, 400 ms blocks every 100 ms, gated at -70 LUFS and 10 LU below; -inf "
      "when no block passes. The gain to bring a clip to T LUFS is 10 ** ((T - loudness) / 20).");
  m.def(
      "audio_window_batch",
      [](const FloatArray& waveform, const std::vector<AudioWindow>& windows, int64_t window) {
        const std::vector<float> samples = waveform_of(waveform);
        at::Tensor batch;
        {
          py::gil_scoped_release release;
          batch = audio_window_batch(samples, windows, window);
        }
        return to_numpy(batch);
      },
      py::arg("waveform"), py::arg("windows"), py::arg("window"),
      "float32 [len(windows), window]: each window's samples; a padded one repeats the clip from its start (as "
      "clovaai/aasist's data_utils.pad).");
  m.def(
      "audio_strip",
      [](const FloatArray& decibels, double duration, const py::list& windows, int pixels_per_second) {
        std::vector<AudioWindowScore> scores;
        for (const py::handle& w : windows) {
          const py::dict d = py::reinterpret_borrow<py::dict>(w);
          AudioWindowScore s;
          s.start = d["start"].cast<double>();
          s.end = d["end"].cast<double>();
          s.p_fake = d["p_fake"].cast<float>();
          scores.push_back(s);
        }
        AudioStripParams p;
        p.pixels_per_second = pixels_per_second;
        return to_array(audio_strip(float_view(decibels, "decibels"), duration, scores, p));
      },
      py::arg("decibels"), py::arg("duration"), py::arg("windows"), py::arg("pixels_per_second") = AudioStripParams{}.pixels_per_second,
      "Where in a clip the fake is: RGB uint8, the dB spectrogram (AudioSpectrogram.compute) above a strip of the "
      "windows' p(fake) (Verdict.audio_windows: dicts with start, end, p_fake), green = real to red = fake.");
  m.def(
      "check_audio_usable",
      [](const FloatArray& waveform, int sample_rate, double min_seconds, double silence_dbfs, double min_speech_snr_db,
         double min_bandwidth_hz, const std::string& path) {
        AudioWindowParams p;
        p.min_seconds = min_seconds;
        p.silence_dbfs = silence_dbfs;
        p.min_speech_snr_db = min_speech_snr_db;
        p.min_bandwidth_hz = min_bandwidth_hz;
        check_audio_usable(waveform_of(waveform), sample_rate, p, path);
      },
      py::arg("waveform"), py::arg("sample_rate"), py::arg("min_seconds") = AudioWindowParams{}.min_seconds,
      py::arg("silence_dbfs") = AudioWindowParams{}.silence_dbfs,
      py::arg("min_speech_snr_db") = AudioWindowParams{}.min_speech_snr_db,
      py::arg("min_bandwidth_hz") = AudioWindowParams{}.min_bandwidth_hz, py::arg("path") = "waveform",
      "Raises UnusableAudioError (reason 'too_short', 'silent', 'noisy' or 'narrowband') for audio no model can judge.");
  m.def(
      "mel_filters",
      [](int sample_rate, int n_fft, int n_mels, double fmin, std::optional<double> fmax, const std::string& mel_scale,
         const std::optional<std::string>& norm) {
        return to_float_array(mel_filters(sample_rate, n_fft, n_mels, fmin, fmax.value_or(0.0), dfd::mel_scale(mel_scale), norm_of(norm)));
      },
      py::arg("sample_rate"), py::arg("n_fft") = 2048, py::arg("n_mels") = 128, py::arg("fmin") = 0.0,
      py::arg("fmax") = py::none(), py::arg("mel_scale") = "slaney", py::arg("norm") = "slaney",
      "librosa.filters.mel: float32 [n_mels, 1 + n_fft // 2].");
  m.def(
      "power_to_db",
      [](const FloatArray& power, const py::object& ref, double amin, std::optional<double> top_db) {
        return to_float_array(power_to_db(float_view(power, "power"), ref_is_max(ref), amin, top_db.value_or(0.0)));
      },
      py::arg("power"), py::arg("ref") = 1.0, py::arg("amin") = 1e-10, py::arg("top_db") = 80.0,
      "librosa.power_to_db (ref 1.0 or 'max').");

  py::class_<AudioSpectrogram>(m, "AudioSpectrogram", R"doc(
The log-mel spectrogram librosa computes (librosa 0.11 defaults: n_fft 2048, hop 512, periodic Hann,
centred frames zero-padded, power 2, Slaney mel scale and norm, power_to_db with ref 1.0, amin 1e-10,
top_db 80).

    spec = dfd.AudioSpectrogram(n_mels=128, ref="max")
    db = spec.compute(waveform, 22050)          # float32 [n_mels, frames]
    db = spec.from_file("clip.mp4")             # decoded at sample_rate
    img = dfd.AudioSpectrogram.image(db)        # the FFDV baseline's uint8 [256, 256, 3])doc")
      .def(py::init([](int n_mels, int n_fft, int hop_length, int win_length, bool center, const std::string& pad_mode,
                       double power, double fmin, std::optional<double> fmax, const std::string& mel_scale,
                       const std::optional<std::string>& norm, const py::object& ref, double amin,
                       std::optional<double> top_db, int sample_rate) {
             SpectrogramParams p;
             p.n_mels = n_mels;
             p.n_fft = n_fft;
             p.hop_length = hop_length;
             p.win_length = win_length;
             p.center = center;
             p.pad_mode = stft_pad_mode(pad_mode);
             p.power = power;
             p.fmin = fmin;
             p.fmax = fmax.value_or(0.0);
             p.scale = dfd::mel_scale(mel_scale);
             p.norm = norm_of(norm);
             p.ref_max = ref_is_max(ref);
             p.amin = amin;
             p.top_db = top_db.value_or(0.0);
             p.sample_rate = sample_rate;
             return AudioSpectrogram(p);
           }),
           py::arg("n_mels") = SpectrogramParams{}.n_mels, py::arg("n_fft") = SpectrogramParams{}.n_fft,
           py::arg("hop_length") = SpectrogramParams{}.hop_length, py::arg("win_length") = SpectrogramParams{}.win_length,
           py::arg("center") = SpectrogramParams{}.center, py::arg("pad_mode") = to_string(SpectrogramParams{}.pad_mode),
           py::arg("power") = SpectrogramParams{}.power, py::arg("fmin") = SpectrogramParams{}.fmin,
           py::arg("fmax") = py::none(), py::arg("mel_scale") = to_string(SpectrogramParams{}.scale),
           py::arg("norm") = to_string(SpectrogramParams{}.norm), py::arg("ref") = 1.0,
           py::arg("amin") = SpectrogramParams{}.amin, py::arg("top_db") = SpectrogramParams{}.top_db,
           py::arg("sample_rate") = SpectrogramParams{}.sample_rate)
      .def(
          "compute",
          [](const AudioSpectrogram& s, const FloatArray& waveform, std::optional<int> sample_rate) {
            const std::vector<float> w = waveform_of(waveform);
            cv::Mat db;
            {
              py::gil_scoped_release release;
              db = s.compute(w, sample_rate.value_or(s.params().sample_rate));
            }
            return to_float_array(db);
          },
          py::arg("waveform"), py::arg("sample_rate") = py::none(), "The log-mel spectrogram in dB [n_mels, frames].")
      .def(
          "mel_power",
          [](const AudioSpectrogram& s, const FloatArray& waveform, std::optional<int> sample_rate) {
            const std::vector<float> w = waveform_of(waveform);
            cv::Mat power;
            {
              py::gil_scoped_release release;
              power = s.mel_power(w, sample_rate.value_or(s.params().sample_rate));
            }
            return to_float_array(power);
          },
          py::arg("waveform"), py::arg("sample_rate") = py::none(), "librosa.feature.melspectrogram [n_mels, frames].")
      .def(
          "from_file",
          [](const AudioSpectrogram& s, const FsPath& path) {
            cv::Mat db;
            {
              py::gil_scoped_release release;
              db = s.from_file(path.bytes);
            }
            return to_float_array(db);
          },
          py::arg("path"))
      .def_static(
          "image", [](const FloatArray& db, int size) { return to_array(AudioSpectrogram::image(float_view(db, "db"), size)); },
          py::arg("db"), py::arg("size") = 256, "The FFDV baseline's image: uint8 [size, size, 3].");
}

}  // namespace dfd::python
