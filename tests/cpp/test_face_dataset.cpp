// Label sources and prepare_face_dataset: every layout read into one list; a dataset made once,
// resumed after a stop or a cut-off ledger row without redoing or losing an input, bad inputs
// recorded and skipped.
#include "dfd/face_dataset.hpp"  // brings c10's logging: before dfd_test.hpp

#include "dfd_test.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "dfd/csv.hpp"
#include "dfd/labels.hpp"

namespace fs = std::filesystem;
using dfd::test::shared_path;
using dfd::test::temp_dir;
using dfd::test::test_model;
using dfd::test::write_text;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

dfd::PrepareParams prepare_params() {
  dfd::PrepareParams p;
  p.detector.name = "mtcnn";
  p.detector.mtcnn.weights = test_model("mtcnn.safetensors");
  p.faces.size = 128;
  return p;
}

// Four LFW photos (one face each), a missing file and a file that is no image.
std::vector<dfd::LabelledFile> inputs(const std::string& dir) {
  const std::string photos = fs::path(shared_path("data/real_faces/lfw/AJ_Cook_0001.jpg")).parent_path().string();
  write_text(dir + "/not_an_image.jpg", "hello");
  std::string csv = "path,label,identity\n";
  for (const char* name : {"AJ_Cook_0001", "Aaron_Eckhart_0001", "AJ_Lamas_0001", "Aaron_Peirsol_0001"}) {
    csv += fmt::format("{}/{}.jpg,0,{}\n", photos, name, std::string(name).substr(0, std::string(name).size() - 5));
  }
  csv += "missing.jpg,1,m\nnot_an_image.jpg,FAKE,n\n";
  write_text(dir + "/labels.csv", csv);
  return dfd::read_labels(dir + "/labels.csv").files;
}

}  // namespace

TEST_CASE("read_labels: path,label CSV with groups, FFDV, DFDC metadata.json, real/ and fake/ folders" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/labels";
  fs::create_directories(dir + "/set/real/a");
  fs::create_directories(dir + "/set/fake");
  write_text(dir + "/plain.csv", "label,path,group\n0,a.mp4,p1\nREAL,/abs/b.png,\nfake,c.mp4,p1");
  const dfd::LabelSource csv = dfd::read_labels(dir + "/plain.csv");
  REQUIRE(csv.files.size() == 3);
  CHECK(csv.kind == dfd::LabelSource::Kind::Csv);
  CHECK(csv.files[0].file == (fs::path(dir) / "a.mp4").string());
  CHECK(csv.files[1].file == "/abs/b.png");
  CHECK(csv.files[1].group == "/abs/b.png");  // no group: its own
  CHECK(csv.files[2].label == 1);
  CHECK(csv.files[2].group == "p1");
  CHECK(dfd::read_labels(dir + "/plain.csv", "/root").files[0].file == "/root/a.mp4");

  write_text(dir + "/train_label.txt", "video_name,target\nx.mp4,1\ny.mp4,0\n");
  const dfd::LabelSource ffdv = dfd::read_labels(dir + "/train_label.txt");
  CHECK(ffdv.kind == dfd::LabelSource::Kind::Ffdv);
  REQUIRE(ffdv.files.size() == 2);
  CHECK((ffdv.files[0].label == 1 && ffdv.files[1].label == 0));

  write_text(dir + "/metadata.json", R"({"f.mp4": {"label": "FAKE", "split": "train", "original": "r.mp4"},
                                         "r.mp4": {"label": "REAL", "split": "train", "original": null}})");
  const dfd::LabelSource dfdc = dfd::read_labels(dir + "/metadata.json");
  CHECK(dfdc.kind == dfd::LabelSource::Kind::DfdcMetadata);
  REQUIRE(dfdc.files.size() == 2);
  std::map<std::string, std::string> group;
  for (const auto& f : dfdc.files) group[f.path] = f.group;
  CHECK(group["f.mp4"] == "r.mp4");  // a fake goes with its original
  CHECK(group["r.mp4"] == "r.mp4");

  write_text(dir + "/set/real/a/1.jpg", "");
  write_text(dir + "/set/real/notes.txt", "");
  write_text(dir + "/set/fake/2.MP4", "");
  const dfd::LabelSource folders = dfd::read_labels(dir + "/set");
  CHECK(folders.kind == dfd::LabelSource::Kind::Folders);
  REQUIRE(folders.files.size() == 2);  // notes.txt is not media
  CHECK((folders.files[0].path == "real/a/1.jpg" && folders.files[0].label == 0));
  CHECK((folders.files[1].path == "fake/2.MP4" && folders.files[1].label == 1));

  write_text(dir + "/bad.csv", "path,label\na.mp4,0\nb.mp4,maybe\n");
  CHECK_THROWS_WITH_AS(dfd::read_labels(dir + "/bad.csv"), doctest::Contains("line 3: label 'maybe'"), dfd::DecodeError);
  write_text(dir + "/odd.csv", "file,target\na.mp4,0\n");
  CHECK_THROWS_WITH_AS(dfd::read_labels(dir + "/odd.csv"), doctest::Contains("neither path,label"), dfd::DecodeError);
  CHECK_THROWS_AS(dfd::read_labels(dir + "/nothing.csv"), dfd::IoError);
  CHECK(dfd::read_labels(dir).kind == dfd::LabelSource::Kind::DfdcMetadata);  // a DFDC part folder
  fs::create_directories(dir + "/empty");
  CHECK_THROWS_WITH_AS(dfd::read_labels(dir + "/empty"), doctest::Contains("real/ and fake/"), dfd::DecodeError);
}

TEST_CASE("prepare_face_dataset: crops, boxes and landmarks per face; bad files recorded; the index round-trips") {
  const std::string dir = temp_dir() + "/prepare_once";
  fs::create_directories(dir);
  const auto files = inputs(dir);
  const dfd::PrepareSummary s = dfd::prepare_face_dataset(files, dir + "/ds", prepare_params());
  CHECK(s.files == 6);
  CHECK(s.prepared == 4);
  CHECK(s.failed == 2);
  CHECK(s.faces >= 4);
  const dfd::FaceDataset ds = dfd::FaceDataset::open(dir + "/ds");
  REQUIRE(ds.size() == s.faces);
  for (size_t i = 0; i < ds.size(); ++i) {
    const dfd::FaceSample& f = ds.samples()[i];
    const cv::Mat crop = ds.image(i);
    CHECK(crop.rows == 128);
    CHECK(crop.cols == 128);
    CHECK(f.label == 0);
    CHECK(f.group.rfind("A", 0) == 0);  // the identity column
    REQUIRE(f.landmarks.size() == 68);
    // The face (its landmarks) lies inside the crop's content.
    for (const cv::Point2f& p : f.landmarks) {
      CHECK(f.content.contains(cv::Point(int(p.x), int(p.y))));
    }
  }
  // Failed inputs are in the ledger with their cause.
  const std::string ledger = read_text(dir + "/ds/sources.csv");
  CHECK(ledger.find("missing.jpg,1,m,error") != std::string::npos);
  CHECK(ledger.find("not_an_image.jpg,1,n,error") != std::string::npos);
  // Written back, the index is the same text.
  const std::string before = read_text(dir + "/ds/index.csv");
  dfd::FaceDataset(dir + "/ds", ds.samples()).save_index();
  CHECK(read_text(dir + "/ds/index.csv") == before);
  // Other crop settings would mix two kinds of crops in one dataset.
  dfd::PrepareParams other = prepare_params();
  other.faces.size = 64;
  CHECK_THROWS_WITH_AS(dfd::prepare_face_dataset(files, dir + "/ds", other), doctest::Contains("prepared with"),
                       dfd::InvalidArgument);
  // So would a long video's frames by time, unsure detections left out, or frames turned or
  // converted otherwise (settings recorded only when set, so a dataset prepared before they
  // existed still resumes).
  for (const auto& change : std::vector<std::function<void(dfd::PrepareParams&)>>{
           [](dfd::PrepareParams& p) { p.faces.seconds_per_frame = 1.0f; },
           [](dfd::PrepareParams& p) { p.faces.unsure_track_score = 0.95f; },
           [](dfd::PrepareParams& p) { p.faces.orientation = dfd::Orientation::Auto; },
           [](dfd::PrepareParams& p) { p.faces.video.deinterlace = true; },
           [](dfd::PrepareParams& p) { p.faces.video.hdr_to_sdr = true; },
           [](dfd::PrepareParams& p) { p.faces.video.stated_colors = true; }}) {
    dfd::PrepareParams changed = prepare_params();
    change(changed);
    CHECK_THROWS_WITH_AS(dfd::prepare_face_dataset(files, dir + "/ds", changed), doctest::Contains("prepared with"),
                         dfd::InvalidArgument);
  }
  CHECK(read_text(dir + "/ds/prepare.json").find("seconds_per_frame") == std::string::npos);
}

TEST_CASE("prepare_face_dataset: a stopped run and a cut-off ledger row resume to the one-shot result") {
  const std::string dir = temp_dir() + "/prepare_resume";
  fs::create_directories(dir);
  const auto files = inputs(dir);
  dfd::prepare_face_dataset(files, dir + "/once", prepare_params());

  dfd::PrepareParams stopping = prepare_params();
  size_t calls = 0;
  stopping.on_progress = [&](const dfd::PrepareProgress&) {
    if (++calls == 3) throw std::runtime_error("stopped");
  };
  CHECK_THROWS_WITH(dfd::prepare_face_dataset(files, dir + "/resumed", stopping), "stopped");
  // A kill while the fourth row was being appended: half a row, no line end.
  {
    std::ofstream ledger(dir + "/resumed/sources.csv", std::ios::binary | std::ios::app);
    ledger << files[3].path << ",0,Aaron_Pei";
  }
  size_t redone = 0;
  dfd::PrepareParams resuming = prepare_params();
  resuming.on_progress = [&](const dfd::PrepareProgress& p) {
    ++redone;
    CHECK(p.total == 6);
  };
  const dfd::PrepareSummary s = dfd::prepare_face_dataset(files, dir + "/resumed", resuming);
  CHECK(s.done_before == 3);
  CHECK(s.prepared + s.failed == 3);
  CHECK(redone == 3);
  CHECK(read_text(dir + "/resumed/index.csv") == read_text(dir + "/once/index.csv"));
  // Each input once in the ledger (header + 6 rows).
  const dfd::CsvText ledger = dfd::read_csv_file(dir + "/resumed/sources.csv");
  CHECK(ledger.records.size() == 7);
  // A third run has nothing to do; with retry_failed it redoes only the two errors.
  CHECK(dfd::prepare_face_dataset(files, dir + "/resumed", prepare_params()).done_before == 6);
  dfd::PrepareParams retry = prepare_params();
  retry.retry_failed = true;
  const dfd::PrepareSummary r = dfd::prepare_face_dataset(files, dir + "/resumed", retry);
  CHECK(r.done_before == 4);
  CHECK(r.failed == 2);
}
