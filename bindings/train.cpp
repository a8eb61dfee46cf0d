#include "train.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "dfd/audio_augment.hpp"
#include "dfd/audio_dataset.hpp"
#include "dfd/embedding_dataset.hpp"
#include "dfd/embedding_prepare.hpp"
#include "dfd/augment.hpp"
#include "dfd/detector_params.hpp"
#include "dfd/face_dataset.hpp"
#include "dfd/labels.hpp"
#include "dfd/self_blend.hpp"
#include "dfd/trainer.hpp"
#include "dfd/utf8.hpp"
#include "fs_path.hpp"
#include "image.hpp"
#include "json_value.hpp"
#include "thread_hint.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

std::vector<cv::Point2f> points_of(const std::optional<py::array_t<float, py::array::c_style | py::array::forcecast>>& a) {
  std::vector<cv::Point2f> points;
  if (!a) return points;
  if (a->ndim() != 2 || a->shape(1) != 2) throw InvalidArgument("landmarks", "expected an [n, 2] array");
  for (py::ssize_t i = 0; i < a->shape(0); ++i) points.emplace_back(a->at(i, 0), a->at(i, 1));
  return points;
}

py::object json_loads(const std::string& text) { return py::module_::import("json").attr("loads")(text); }

// Python spells a dotted setting with "__" where a keyword needs it (mix__real=0.3).
std::string dotted(std::string name) {
  for (size_t at = name.find("__"); at != std::string::npos; at = name.find("__", at + 1)) name.replace(at, 2, ".");
  return name;
}

bool is_train_group(const std::string& name) {
  const py::dict all = json_loads(to_json(TrainParams{}, -1));
  for (const auto& [key, value] : all) {
    if (key.cast<std::string>().rfind(name + ".", 0) == 0) return true;
  }
  return false;
}

void set_train_setting(TrainParams& p, const std::string& name, const py::object& value) {
  p = train_params_from_json(fmt::format("{{{}: {}}}", json_of(py::str(name)), json_of(value)), p);
}

// A group of TrainParams settings seen through its owner (p.mix.real = 0.3 lands in p).
struct TrainGroup {
  py::object owner;
  std::string prefix;
};

py::object get_train_setting(const py::object& owner, const std::string& name) {
  if (is_train_group(name)) return py::cast(TrainGroup{owner, name});
  const py::dict all = json_loads(to_json(owner.cast<const TrainParams&>(), -1));
  if (!all.contains(name)) throw py::attribute_error(fmt::format("TrainParams has no setting '{}'", name));
  return all[py::str(name)];
}

py::dict train_group_dict(const TrainGroup& g) {
  py::dict out;
  const py::dict all = json_loads(to_json(g.owner.cast<const TrainParams&>(), -1));
  for (const auto& [key, value] : all) {
    const std::string k = key.cast<std::string>();
    if (k.rfind(g.prefix + ".", 0) == 0) out[py::str(k.substr(g.prefix.size() + 1))] = value;
  }
  return out;
}

py::dict epoch_dict(const EpochMetrics& e) { return json_loads(to_json(e)); }

py::dict sample_dict(const FaceSample& s) {
  py::dict d;
  d["image"] = s.image;
  d["source"] = fs_decode(s.source);
  d["label"] = s.label;
  d["group"] = fs_decode(s.group);
  d["frame"] = s.frame;
  d["track"] = s.track;
  d["score"] = s.score;
  d["box"] = py::make_tuple(s.box.x1, s.box.y1, s.box.x2, s.box.y2);
  d["region"] = py::make_tuple(s.region.x, s.region.y, s.region.width, s.region.height);
  d["content"] = py::make_tuple(s.content.x, s.content.y, s.content.width, s.content.height);
  d["clip"] = s.clip;
  if (s.landmarks.empty()) {
    d["landmarks"] = py::none();
  } else {
    py::array_t<float> points({static_cast<py::ssize_t>(s.landmarks.size()), py::ssize_t{2}});
    for (size_t i = 0; i < s.landmarks.size(); ++i) {
      points.mutable_at(i, 0) = s.landmarks[i].x;
      points.mutable_at(i, 1) = s.landmarks[i].y;
    }
    d["landmarks"] = points;
  }
  return d;
}

// A Python callable called from a C++ thread: with the GIL, and Ctrl-C honoured (it stops the run
// the way any exception from the callback does).
template <class Event>
std::function<void(const Event&)> python_callback(const py::object& callback, py::object (*to_python)(const Event&)) {
  if (callback.is_none()) {
    return [](const Event&) {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    };
  }
  return [callback, to_python](const Event& e) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    callback(to_python(e));
  };
}

py::object prepare_progress_dict(const PrepareProgress& p) {
  py::dict d;
  d["done"] = p.done;
  d["total"] = p.total;
  d["path"] = fs_decode(p.path);
  d["status"] = p.status;
  d["error"] = escaped_text(p.error);
  return std::move(d);
}

py::object train_progress_dict(const TrainProgress& p) {
  py::dict d;
  d["epoch"] = p.epoch;
  d["epochs"] = p.epochs;
  d["step"] = p.step;
  d["steps"] = p.steps;
  d["phase"] = p.phase;
  d["loss"] = p.loss;
  d["images_per_second"] = p.images_per_second;
  return std::move(d);
}

py::object epoch_object(const EpochMetrics& e) { return epoch_dict(e); }

std::vector<LabelledFile> labelled_files(const py::object& labels, const std::string& root) {
  if (py::isinstance<py::str>(labels) || py::isinstance<py::bytes>(labels) || py::hasattr(labels, "__fspath__")) {
    return read_labels(labels.cast<FsPath>().bytes, root).files;
  }
  std::vector<LabelledFile> files;  // an iterable of (path, label[, group])
  for (const py::handle& row : labels) {
    const py::tuple t = py::reinterpret_borrow<py::object>(row).cast<py::tuple>();
    if (t.size() < 2 || t.size() > 3) throw InvalidArgument("labels", "rows are (path, label) or (path, label, group)");
    LabelledFile f;
    f.path = t[0].cast<FsPath>().bytes;
    f.file = root.empty() ? f.path : (std::filesystem::path(root) / f.path).string();  // an absolute path stays
    f.label = t[1].cast<int>();
    if (f.label != 0 && f.label != 1) throw InvalidArgument("labels", fmt::format("label {} is not 0 or 1", f.label));
    f.group = t.size() == 3 ? t[2].cast<FsPath>().bytes : f.path;
    files.push_back(std::move(f));
  }
  return files;
}

template <class Dataset>
Dataset dataset_of(const py::object& data) {
  if (py::isinstance<Dataset>(data)) return data.cast<Dataset>();
  const std::string dir = data.cast<FsPath>().bytes;
  py::gil_scoped_release release;
  return Dataset::open(dir);
}

// A dataset object's kind, or a folder's (dataset_kind).
DatasetKind kind_of(const py::object& data) {
  if (py::isinstance<AudioDataset>(data)) return DatasetKind::Audio;
  if (py::isinstance<EmbeddingDataset>(data)) return DatasetKind::Embeddings;
  if (py::isinstance<FaceDataset>(data)) return DatasetKind::Faces;
  return dataset_kind(data.cast<FsPath>().bytes);
}

// A Trainer on either kind of dataset (objects or folders), the kind `data` is.
template <class Dataset>
std::unique_ptr<Trainer> trainer_on(const py::object& data, const TrainParams& params, const py::object& validation) {
  Dataset train_data = dataset_of<Dataset>(data);
  std::optional<Dataset> val;
  if (!validation.is_none()) val = dataset_of<Dataset>(validation);
  warn_if_single_threaded();
  py::gil_scoped_release release;
  return std::make_unique<Trainer>(std::move(train_data), params, std::move(val));
}

// What every prepare returns: the ledger's counts.
template <class Summary>
py::dict summary_dict(const Summary& s) {
  py::dict r;
  r["files"] = s.files;
  r["done_before"] = s.done_before;
  r["prepared"] = s.prepared;
  r["failed"] = s.failed;
  return r;
}

py::dict clip_dict(const AudioClip& c) {
  py::dict d;
  d["audio"] = c.audio;
  d["source"] = fs_decode(c.source);
  d["label"] = c.label;
  d["group"] = fs_decode(c.group);
  d["sample_rate"] = c.sample_rate;
  d["samples"] = c.samples;
  d["seconds"] = c.seconds();
  return d;
}

py::dict embedder_dict(const Embedder& e) {
  py::dict d;
  d["model"] = fs_decode(e.model);
  d["arch"] = e.arch;
  d["sha256"] = e.sha256;
  d["preset"] = e.preset;
  d["dim"] = e.dim;
  return d;
}

py::dict embedding_item_dict(const EmbeddingItem& e) {
  py::dict d;
  d["embedding"] = e.embedding;
  d["source"] = fs_decode(e.source);
  d["label"] = e.label;
  d["group"] = fs_decode(e.group);
  d["video_dim"] = e.video_dim;
  d["audio_dim"] = e.audio_dim;
  d["video_p_fake"] = e.video_p_fake;
  d["audio_p_fake"] = e.audio_p_fake;
  return d;
}

AudioAugmentParams audio_augment_params(double gain_db, double noise_p, double snr_db_min, double snr_db_max,
                                        double time_mask_p, double time_mask_max, double freq_mask_p, double freq_mask_max) {
  AudioAugmentParams p;
  p.gain_db = gain_db;
  p.noise_p = noise_p;
  p.snr_db_min = snr_db_min;
  p.snr_db_max = snr_db_max;
  p.time_mask_p = time_mask_p;
  p.time_mask_max = time_mask_max;
  p.freq_mask_p = freq_mask_p;
  p.freq_mask_max = freq_mask_max;
  return p;
}

}  // namespace

void register_train(py::module_& m) {
  py::class_<LabelledFile>(m, "LabelledFile", "One file of a label source (dfd/labels.hpp).")
      .def_property_readonly("path", [](const LabelledFile& f) { return fs_decode(f.path); }, "as the source lists it")
      .def_property_readonly("file", [](const LabelledFile& f) { return fs_decode(f.file); }, "the path to open")
      .def_readonly("label", &LabelledFile::label, "1 = fake")
      .def_property_readonly("group", [](const LabelledFile& f) { return fs_decode(f.group); },
                             "files of one group stay on one side of a split")
      .def("__repr__", [](const LabelledFile& f) {
        return fmt::format("LabelledFile('{}', label={}, group='{}')", utf8_escaped(f.path), f.label, utf8_escaped(f.group));
      });
  m.def(
      "read_labels",
      [](const FsPath& source, const FsPath& root) { return read_labels(source.bytes, root.bytes).files; },
      py::arg("source"), py::arg("root") = FsPath{},
      "The labelled files of a path,label[,group] CSV, an FFDV video_name,target file, a DFDC metadata.json or a "
      "folder with real/ and fake/ (dfd/labels.hpp); root overrides what relative paths are relative to.");

  py::class_<FaceDataset>(m, "FaceDataset", R"doc(
A face dataset on disk (dfd prepare / dfd.prepare): crops, boxes, landmarks, tracks; index.csv.

    ds = dfd.FaceDataset("faces")
    len(ds), ds[0]["landmarks"].shape, ds.image(0).shape     # n, (68, 2), (256, 256, 3))doc")
      .def(py::init([](const FsPath& dir) {
             py::gil_scoped_release release;
             return FaceDataset::open(dir.bytes);
           }),
           py::arg("dir"))
      .def_property_readonly("dir", [](const FaceDataset& d) { return fs_decode(d.dir()); })
      .def("__len__", &FaceDataset::size)
      .def("__getitem__", [](const FaceDataset& d, py::ssize_t i) {
        if (i < 0) i += static_cast<py::ssize_t>(d.size());
        if (i < 0 || static_cast<size_t>(i) >= d.size()) throw py::index_error("FaceDataset index out of range");
        return sample_dict(d.samples()[static_cast<size_t>(i)]);
      }, "The row of index.csv as a dict (landmarks as float32 [68, 2], or None).")
      .def("image", [](const FaceDataset& d, size_t i) {
        cv::Mat image;
        {
          py::gil_scoped_release release;
          image = d.image(i);
        }
        return to_array(image);
      }, py::arg("i"), "The crop of sample i, RGB uint8.")
      .def("__repr__", [](const FaceDataset& d) { return fmt::format("FaceDataset('{}', {} faces)", utf8_escaped(d.dir()), d.size()); });

  py::class_<AudioDataset>(m, "AudioDataset", R"doc(
An audio dataset on disk (dfd prepare --audio / dfd.prepare(audio=True)): each file's sound, mono
float32 at one rate; index.csv.

    ds = dfd.AudioDataset("clips")
    len(ds), ds[0]["seconds"], ds.waveform(0).shape     # n, 9.6, (153600,))doc")
      .def(py::init([](const FsPath& dir) {
             py::gil_scoped_release release;
             return AudioDataset::open(dir.bytes);
           }),
           py::arg("dir"))
      .def_property_readonly("dir", [](const AudioDataset& d) { return fs_decode(d.dir()); })
      .def("__len__", &AudioDataset::size)
      .def("__getitem__", [](const AudioDataset& d, py::ssize_t i) {
        if (i < 0) i += static_cast<py::ssize_t>(d.size());
        if (i < 0 || static_cast<size_t>(i) >= d.size()) throw py::index_error("AudioDataset index out of range");
        return clip_dict(d.clips()[static_cast<size_t>(i)]);
      }, "The row of index.csv as a dict (and its seconds).")
      .def("waveform", [](const AudioDataset& d, size_t i) {
        std::vector<float> samples;
        {
          py::gil_scoped_release release;
          samples = d.waveform(i);
        }
        return py::array_t<float>(static_cast<py::ssize_t>(samples.size()), samples.data());
      }, py::arg("i"), "The samples of clip i, float32, at its sample_rate.")
      .def("__repr__", [](const AudioDataset& d) { return fmt::format("AudioDataset('{}', {} clips)", utf8_escaped(d.dir()), d.size()); });
  m.def("is_audio_dataset", [](const FsPath& dir) { return is_audio_dataset(dir.bytes); }, py::arg("dir"),
        "True when dir's index.csv is an audio dataset's (dfd prepare --audio), False otherwise.");

  py::class_<EmbeddingDataset>(m, "EmbeddingDataset", R"doc(
An embedding dataset on disk (dfd prepare --embeddings / dfd.prepare(embeddings=True)): per file,
the video embedding and the audio embedding a Detector gives it (and the two branches' p(fake));
index.csv. What an embedding fusion (dfd.train(..., arch="fusion_mlp")) trains on.

    ds = dfd.EmbeddingDataset("emb")
    len(ds), ds[0]["video_dim"], ds.vector(0).shape    # n, 1024, (1184,)
    ds.embedders["audio"]["model"]                     # 'aasist_l:aasist-l.safetensors')doc")
      .def(py::init([](const FsPath& dir) {
             py::gil_scoped_release release;
             return EmbeddingDataset::open(dir.bytes);
           }),
           py::arg("dir"))
      .def_property_readonly("dir", [](const EmbeddingDataset& d) { return fs_decode(d.dir()); })
      .def_property_readonly("embedders", [](const EmbeddingDataset& d) {
        py::dict r;
        r["video"] = embedder_dict(d.embedders().video);
        r["audio"] = embedder_dict(d.embedders().audio);
        return r;
      }, "The models that made the two halves: {'video': {...}, 'audio': {...}} (model, arch, sha256, preset, dim).")
      .def("__len__", &EmbeddingDataset::size)
      .def("__getitem__", [](const EmbeddingDataset& d, py::ssize_t i) {
        if (i < 0) i += static_cast<py::ssize_t>(d.size());
        if (i < 0 || static_cast<size_t>(i) >= d.size()) throw py::index_error("EmbeddingDataset index out of range");
        return embedding_item_dict(d.items()[static_cast<size_t>(i)]);
      }, "The row of index.csv as a dict.")
      .def("vector", [](const EmbeddingDataset& d, size_t i) {
        std::vector<float> v;
        {
          py::gil_scoped_release release;
          v = d.vector(i);
        }
        return py::array_t<float>(static_cast<py::ssize_t>(v.size()), v.data());
      }, py::arg("i"), "Item i's video embedding followed by its audio embedding, float32 [video_dim + audio_dim].")
      .def("subset", [](const EmbeddingDataset& d, const std::vector<py::ssize_t>& indices) {
        std::vector<EmbeddingItem> items;
        for (py::ssize_t i : indices) {
          if (i < 0) i += static_cast<py::ssize_t>(d.size());
          if (i < 0 || static_cast<size_t>(i) >= d.size()) throw py::index_error("EmbeddingDataset index out of range");
          items.push_back(d.items()[static_cast<size_t>(i)]);
        }
        return EmbeddingDataset(d.dir(), std::move(items), d.embedders());
      }, py::arg("indices"), "The items at `indices`, as a dataset in memory over the same folder (e.g. folds "
                             "a notebook chooses: dfd.train(ds.subset(train), validation=ds.subset(test))).")
      .def("__repr__", [](const EmbeddingDataset& d) {
        return fmt::format("EmbeddingDataset('{}', {} files)", utf8_escaped(d.dir()), d.size());
      });
  m.def("dataset_kind", [](const py::object& data) { return to_string(kind_of(data)); }, py::arg("data"),
        "'faces', 'audio' or 'embeddings': what a dataset object or folder holds.");
  m.def("default_train_params", [](const std::string& kind) {
          for (DatasetKind k : {DatasetKind::Faces, DatasetKind::Audio, DatasetKind::Embeddings}) {
            if (to_string(k) == kind) return default_train_params(k);
          }
          throw InvalidArgument("kind", fmt::format("'{}' is not faces, audio or embeddings", kind));
        }, py::arg("kind"), "The TrainParams a run on that kind of dataset starts from (dfd train's defaults).");
  m.def("is_embedding_dataset", [](const FsPath& dir) { return is_embedding_dataset(dir.bytes); }, py::arg("dir"),
        "True when dir's index.csv is an embedding dataset's (dfd prepare --embeddings), False otherwise.");

  m.def(
      "_prepare_embeddings",
      [](const py::object& labels, const FsPath& out, const DetectorParams& d, int workers, bool retry_failed,
         const FsPath& root, const py::object& progress) {
        EmbeddingPrepareParams p;
        p.detector = d;
        p.workers = workers;
        p.retry_failed = retry_failed;
        p.on_progress = python_callback<PrepareProgress>(progress, &prepare_progress_dict);
        const std::vector<LabelledFile> files = labelled_files(labels, root.bytes);
        EmbeddingPrepareSummary s;
        {
          py::gil_scoped_release release;
          s = prepare_embedding_dataset(files, out.bytes, p);
        }
        py::dict r = summary_dict(s);
        r["items"] = s.items;
        return r;
      },
      py::arg("labels"), py::arg("out"), py::arg("params"), py::arg("workers"), py::arg("retry_failed"), py::arg("root"),
      py::arg("progress"));

  m.def(
      "_prepare_audio",
      [](const py::object& labels, const FsPath& out, int sample_rate, int workers, bool retry_failed, const FsPath& root,
         const py::object& progress) {
        AudioPrepareParams p;
        p.sample_rate = sample_rate;
        p.workers = workers;
        p.retry_failed = retry_failed;
        p.on_progress = python_callback<PrepareProgress>(progress, &prepare_progress_dict);
        const std::vector<LabelledFile> files = labelled_files(labels, root.bytes);
        AudioPrepareSummary s;
        {
          py::gil_scoped_release release;
          s = prepare_audio_dataset(files, out.bytes, p);
        }
        py::dict r = summary_dict(s);
        r["clips"] = s.clips;
        r["seconds"] = s.seconds;
        return r;
      },
      py::arg("labels"), py::arg("out"), py::arg("sample_rate"), py::arg("workers"), py::arg("retry_failed"),
      py::arg("root"), py::arg("progress"));

  const AudioAugmentParams a;
  m.def(
      "augment_waveform",
      [](const py::array_t<float, py::array::c_style | py::array::forcecast>& samples, uint64_t seed, double gain_db,
         double noise_p, double snr_db_min, double snr_db_max) {
        if (samples.ndim() != 1) throw InvalidArgument("samples", "expected a 1-D float32 array");
        std::vector<float> v(samples.data(), samples.data() + samples.size());
        augment_waveform(v, seed, audio_augment_params(gain_db, noise_p, snr_db_min, snr_db_max, 0, 0, 0, 0));
        return py::array_t<float>(static_cast<py::ssize_t>(v.size()), v.data());
      },
      py::arg("samples"), py::arg("seed"), py::arg("gain_db") = a.gain_db, py::arg("noise_p") = a.noise_p,
      py::arg("snr_db_min") = a.snr_db_min, py::arg("snr_db_max") = a.snr_db_max,
      "One augmented copy of a waveform (dfd/audio_augment.hpp): random gain, white noise at a random SNR; seeded.");
  m.def(
      "mask_spectrogram",
      [](const py::array_t<float, py::array::c_style | py::array::forcecast>& decibels, uint64_t seed,
         double time_mask_p, double time_mask_max, double freq_mask_p, double freq_mask_max) {
        if (decibels.ndim() != 2) throw InvalidArgument("decibels", "expected a 2-D float32 [n_mels, frames] array");
        const cv::Mat db(static_cast<int>(decibels.shape(0)), static_cast<int>(decibels.shape(1)), CV_32FC1,
                         const_cast<float*>(decibels.data()));
        return to_float_array(mask_spectrogram(db, seed, audio_augment_params(0, 0, 0, 0, time_mask_p, time_mask_max,
                                                                              freq_mask_p, freq_mask_max)));
      },
      py::arg("decibels"), py::arg("seed"), py::arg("time_mask_p") = a.time_mask_p,
      py::arg("time_mask_max") = a.time_mask_max, py::arg("freq_mask_p") = a.freq_mask_p,
      py::arg("freq_mask_max") = a.freq_mask_max,
      "A log-mel spectrogram with SpecAugment's time and mel-band masks at its minimum (dfd/audio_augment.hpp); seeded.");

  m.def(
      "_prepare",
      [](const py::object& labels, const FsPath& out, const DetectorParams& d, int size, bool landmarks, int workers,
         bool retry_failed, const FsPath& root, const py::object& progress, const std::optional<std::vector<int>>& clips) {
        PrepareParams p;
        if (clips) {
          if (clips->size() != 3) throw InvalidArgument("clips", "expected (length, stride, per_track)");
          p.clips = ClipParams{(*clips)[0], (*clips)[1], (*clips)[2]};
        }
        p.detector = {d.face_detector, d.mtcnn, d.blazeface, d.haar};
        p.faces = d.faces;
        p.faces.size = size;
        p.landmarks = landmarks;
        p.workers = workers;
        p.retry_failed = retry_failed;
        p.on_progress = python_callback<PrepareProgress>(progress, &prepare_progress_dict);
        const std::vector<LabelledFile> files = labelled_files(labels, root.bytes);
        PrepareSummary s;
        {
          py::gil_scoped_release release;
          s = prepare_face_dataset(files, out.bytes, p);
        }
        py::dict r = summary_dict(s);
        r["faces"] = s.faces;
        return r;
      },
      py::arg("labels"), py::arg("out"), py::arg("params"), py::arg("size"), py::arg("landmarks"), py::arg("workers"),
      py::arg("retry_failed"), py::arg("root"), py::arg("progress"), py::arg("clips") = py::none());

  py::class_<TrainGroup>(m, "_TrainGroup", "A group of TrainParams settings (params.mix, params.augmentation, ...).")
      .def("__getattr__", [](const TrainGroup& g, const std::string& name) { return get_train_setting(g.owner, g.prefix + "." + name); })
      .def("__setattr__", [](const TrainGroup& g, const std::string& name, const py::object& value) {
        set_train_setting(g.owner.cast<TrainParams&>(), g.prefix + "." + name, value);
      })
      .def("to_dict", &train_group_dict)
      .def("__repr__", [](const TrainGroup& g) { return py::repr(train_group_dict(g)).cast<std::string>(); });

  py::class_<TrainParams>(m, "TrainParams", R"doc(
Every setting of a training run, as the C++ struct TrainParams holds them (dfd/trainer.hpp).

    p = dfd.TrainParams(arch="resnet18", epochs=5, mix__self_blended=0.5, out_dir="runs/a")
    p.lr = 3e-4; p.mix.fake = 0.2; p["augmentation.jpeg_p"] = 0.3
    p.to_dict()          # {"arch": "resnet18", ..., "mix.real": 0.5, ...})doc")
      .def(py::init([](const py::kwargs& kwargs) {
        TrainParams p;
        for (const auto& [key, value] : kwargs) set_train_setting(p, dotted(key.cast<std::string>()), py::reinterpret_borrow<py::object>(value));
        return p;
      }))
      .def("__getattr__", [](const py::object& self, const std::string& name) { return get_train_setting(self, dotted(name)); })
      .def("__setattr__", [](TrainParams& p, const std::string& name, const py::object& value) { set_train_setting(p, dotted(name), value); })
      .def("__getitem__", [](const py::object& self, const std::string& name) { return get_train_setting(self, name); })
      .def("__setitem__", [](TrainParams& p, const std::string& name, const py::object& value) { set_train_setting(p, name, value); })
      .def("copy", [](const TrainParams& p) { return TrainParams(p); })
      .def("to_dict", [](const TrainParams& p) { return json_loads(to_json(p, -1)); }, "{dotted name: value}")
      .def("to_json", [](const TrainParams& p, int indent) { return to_json(p, indent); }, py::arg("indent") = 2)
      .def_static("from_json", [](const std::string& text) { return train_params_from_json(text); }, py::arg("text"))
      .def("__eq__", [](const TrainParams& a, const TrainParams& b) { return to_json(a, -1) == to_json(b, -1); })
      .def("__repr__", [](const TrainParams& p) { return "TrainParams(" + to_json(p, -1) + ")"; });

  py::class_<Trainer>(m, "Trainer", R"doc(
A training run (dfd/trainer.hpp): Trainer(data, params, validation=None).run() -> [epoch dicts].
data and validation: FaceDatasets, AudioDatasets or EmbeddingDatasets (or their folders), one kind.
dfd.train() wraps it and returns the history as a DataFrame.)doc")
      .def(py::init([](const py::object& data, const TrainParams& params, const py::object& validation) {
             switch (kind_of(data)) {
               case DatasetKind::Audio: return trainer_on<AudioDataset>(data, params, validation);
               case DatasetKind::Embeddings: return trainer_on<EmbeddingDataset>(data, params, validation);
               default: return trainer_on<FaceDataset>(data, params, validation);
             }
           }),
           py::arg("data"), py::arg("params"), py::arg("validation") = py::none())
      .def(
          "run",
          [](Trainer& t, const py::object& on_progress, const py::object& on_epoch) {
            t.on_progress = python_callback<TrainProgress>(on_progress, &train_progress_dict);
            if (!on_epoch.is_none()) t.on_epoch = python_callback<EpochMetrics>(on_epoch, &epoch_object);
            TrainResult r;
            {
              py::gil_scoped_release release;
              r = t.run();
            }
            py::list history;
            for (const EpochMetrics& e : r.history) history.append(epoch_dict(e));
            py::dict out;
            out["history"] = history;
            out["best_epoch"] = r.best_epoch;
            out["stopped_early"] = r.stopped_early;
            out["best_weights"] = fs_decode(r.best_weights);
            out["last_weights"] = fs_decode(r.last_weights);
            return out;
          },
          py::arg("on_progress") = py::none(), py::arg("on_epoch") = py::none(),
          "Trains the remaining epochs: {'history': [epoch dicts], 'best_epoch', 'stopped_early', 'best_weights', "
          "'last_weights'}. on_progress(dict) after each batch, on_epoch(dict) after each epoch; Ctrl-C stops "
          "after the last checkpoint.")
      .def_property_readonly("model", &Trainer::model, py::return_value_policy::reference_internal);

  const AugmentParams d;
  m.def(
      "augment",
      [](const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& face, uint64_t seed,
         const std::optional<py::array_t<float, py::array::c_style | py::array::forcecast>>& landmarks, int size,
         double jpeg_p, double noise_p, double blur_p, double flip_p, double colour_p, double gray_p,
         double shift_scale_rotate_p, double part_dropout_p) {
        AugmentParams p;
        p.size = size;
        p.jpeg_p = jpeg_p;
        p.noise_p = noise_p;
        p.blur_p = blur_p;
        p.flip_p = flip_p;
        p.colour_p = colour_p;
        p.gray_p = gray_p;
        p.shift_scale_rotate_p = shift_scale_rotate_p;
        p.part_dropout_p = part_dropout_p;
        const std::vector<cv::Point2f> points = points_of(landmarks);
        const cv::Mat view = image_view(face);
        cv::Mat out;
        {
          py::gil_scoped_release release;
          out = augment(view, seed, p, points);
        }
        return to_array(out);
      },
      py::arg("face"), py::arg("seed"), py::arg("landmarks") = py::none(), py::arg("size") = d.size,
      py::arg("jpeg_p") = d.jpeg_p, py::arg("noise_p") = d.noise_p, py::arg("blur_p") = d.blur_p,
      py::arg("flip_p") = d.flip_p, py::arg("colour_p") = d.colour_p, py::arg("gray_p") = d.gray_p,
      py::arg("shift_scale_rotate_p") = d.shift_scale_rotate_p, py::arg("part_dropout_p") = d.part_dropout_p,
      "One augmented copy of a face (RGB uint8), the DFDC winner's training set (dfd/augment.hpp): size x size; "
      "landmarks ([68, 2]) enable part dropout; the same seed gives the same image.");

  m.def(
      "self_blend",
      [](const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& face,
         const py::array_t<float, py::array::c_style | py::array::forcecast>& landmarks, uint64_t seed, bool alter,
         bool deform, std::vector<float> blend_ratios, bool hull_variants) {
        const std::vector<cv::Point2f> points = points_of(landmarks);
        SelfBlendParams p;
        p.alter = alter;
        p.deform = deform;
        p.hull_variants = hull_variants;
        p.blend_ratios = std::move(blend_ratios);
        const cv::Mat view = image_view(face);
        SelfBlend r;
        {
          py::gil_scoped_release release;
          r = self_blend(view, points, seed, p);
        }
        py::dict out;
        out["real"] = to_array(r.real);
        out["fake"] = to_array(r.fake);
        out["mask"] = to_float_array(r.mask);
        out["ratio"] = r.ratio;
        return out;
      },
      py::arg("face"), py::arg("landmarks"), py::arg("seed"), py::arg("alter") = SelfBlendParams{}.alter,
      py::arg("deform") = SelfBlendParams{}.deform, py::arg("blend_ratios") = SelfBlendParams{}.blend_ratios,
      py::arg("hull_variants") = SelfBlendParams{}.hull_variants,
      "A self-blended fake from one real face (RGB uint8 [h, w, 3]) and its landmarks ([68, 2], "
      "dfd.FaceLandmarker): {'real', 'fake', 'mask' (float32, each pixel's share of the altered copy), 'ratio'}; "
      "the same seed gives the same images (dfd/self_blend.hpp).");
}

}  // namespace dfd::python
