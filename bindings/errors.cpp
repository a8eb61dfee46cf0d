#include "errors.hpp"

#include "dfd/audio_windows.hpp"
#include "dfd/error.hpp"
#include "fs_path.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

// Created once at import; owned by the module afterwards.
PyObject* g_error = nullptr;
PyObject* g_io_error = nullptr;
PyObject* g_decode_error = nullptr;
PyObject* g_unusable_audio_error = nullptr;
PyObject* g_model_error = nullptr;
PyObject* g_invalid_argument = nullptr;

PyObject* new_exception(py::module_& m, const char* name, const char* doc, py::tuple bases) {
  const std::string qualified = std::string("dfd.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (!type) throw py::error_already_set();
  m.add_object(name, py::handle(type));
  return type;
}

// The message shows a name that is not UTF-8 with \xNN escapes; `subject` is the name as Python
// spells it (os.fsdecode), so `e.subject == path` for the path the caller passed. (OSError's own
// `filename` is left unset: setting it makes str(e) OSError's "[Errno None] ..." format.)
void raise(PyObject* type, const dfd::Error& e) {
  py::object exc = py::reinterpret_borrow<py::object>(type)(escaped_text(e.what()));
  exc.attr("subject") = fs_decode(e.subject());
  exc.attr("cause") = escaped_text(e.cause());
  exc.attr("kind") = dfd::to_string(e.kind());
  PyErr_SetObject(type, exc.ptr());
}

}  // namespace

void register_errors(py::module_& m) {
  g_error = new_exception(m, "Error",
                          "Base of every libdfd error. Attributes: subject (file or argument), cause, kind.",
                          py::make_tuple(py::handle(PyExc_Exception)));
  py::handle base(g_error);
  g_io_error = new_exception(m, "IoError", "A file cannot be opened or read (also an OSError).",
                             py::make_tuple(base, py::handle(PyExc_OSError)));
  g_decode_error = new_exception(m, "DecodeError",
                                 "A file's content is not valid media: not media, truncated, corrupt, no such "
                                 "stream (also an OSError, as PIL's UnidentifiedImageError).",
                                 py::make_tuple(base, py::handle(PyExc_OSError)));
  g_unusable_audio_error = new_exception(m, "UnusableAudioError",
                                         "Audio that decoded but no model can judge: too short, silent, noise rather than "
                                         "speech, or band-limited (a DecodeError). Attribute reason: 'too_short', "
                                         "'silent', 'noisy' or 'narrowband'.",
                                         py::make_tuple(py::handle(g_decode_error)));
  g_model_error = new_exception(m, "ModelError", "Weights or model files are unusable.", py::make_tuple(base));
  g_invalid_argument = new_exception(m, "InvalidArgument", "An argument is out of range (also a ValueError).",
                                     py::make_tuple(base, py::handle(PyExc_ValueError)));

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const dfd::IoError& e) {
      raise(g_io_error, e);
    } catch (const dfd::UnusableAudioError& e) {
      raise(g_unusable_audio_error, e);
      PyObject *type = nullptr, *value = nullptr, *trace = nullptr;
      PyErr_Fetch(&type, &value, &trace);  // the raised instance: give it its reason
      if (value) PyObject_SetAttrString(value, "reason", py::str(dfd::to_string(e.reason())).ptr());
      PyErr_Restore(type, value, trace);
    } catch (const dfd::DecodeError& e) {
      raise(g_decode_error, e);
    } catch (const dfd::ModelError& e) {
      raise(g_model_error, e);
    } catch (const dfd::InvalidArgument& e) {
      raise(g_invalid_argument, e);
    } catch (const dfd::Error& e) {
      raise(g_error, e);
    }
  });
}

}  // namespace dfd::python
