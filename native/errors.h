// Every entry point runs its body through MRS_GUARD so that no C++ exception ever crosses into V8 as an
// abort: libtorch errors become JS Errors carrying libtorch's message without its C++ backtrace.
#pragma once
#include <napi.h>
#include <c10/util/Exception.h>
#include <new>
#include <string>

namespace mrsynth {

template <typename Body>
auto guarded(const Napi::Env& env, const char* where, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, std::string(where) + ": out of memory (allocation failed)");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + e.what());
  } catch (...) {
    throw Napi::Error::New(env, std::string(where) + ": unknown native error");
  }
}

// Throws a JS TypeError/Error from inside a guarded body.
[[noreturn]] inline void fail(const Napi::Env& env, const std::string& message) {
  throw Napi::Error::New(env, message);
}

}  // namespace mrsynth
