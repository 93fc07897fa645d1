// The Node-API addon: the C kernels (src/backend/c), compiled once per instruction set, behind one
// table chosen at load time from the CPU's features, so a build copied to an older CPU never runs
// an instruction it lacks. Arguments are checked against the typed arrays' lengths before any
// kernel runs: a bad offset is a RangeError, never a read outside the array.
#include <napi.h>

#include <cstring>
#include <string>
#include <vector>

#define ST_DECLARE(sfx)                                                                  \
  extern "C" size_t st_gemm_scratch_floats_##sfx(int m, int k, int n);                   \
  extern "C" void st_gemm_##sfx(const float *A, const float *B, float *C, int m, int k, int n, \
                                int transA, int transB, int accumulate, float *scratch);

ST_DECLARE(generic)
#if defined(ST_X86)
ST_DECLARE(avx2)
ST_DECLARE(avx512)
#endif

namespace {

struct Kernels {
  const char *isa;
  int width;
  size_t (*gemmScratch)(int, int, int);
  void (*gemm)(const float *, const float *, float *, int, int, int, int, int, int, float *);
};

#define ST_TABLE(sfx, w) Kernels{#sfx, w, st_gemm_scratch_floats_##sfx, st_gemm_##sfx}

std::vector<Kernels> available() {
  std::vector<Kernels> out{ST_TABLE(generic, 4)};
#if defined(ST_X86)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out.push_back(ST_TABLE(avx2, 8));
  if (__builtin_cpu_supports("avx512f")) out.push_back(ST_TABLE(avx512, 16));
#endif
  return out;
}

const std::vector<Kernels> kAvailable = available();
const Kernels *active = &kAvailable.back();
std::vector<float> scratch;

float *scratchFor(size_t floats) {
  if (scratch.size() < floats) scratch.resize(floats);
  return scratch.data();
}

int32_t intArg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("gemm: ") + name + " must be a number");
  int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (v < 0 || v > 0x7fffffff) throw Napi::RangeError::New(info.Env(), std::string("gemm: ") + name + " out of range");
  return static_cast<int32_t>(v);
}

/** A Float32Array argument and an offset into it, checked to hold `count` floats from there. */
float *floatsAt(const Napi::CallbackInfo &info, size_t i, const char *name, size_t count) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("gemm: ") + name + " must be a Float32Array");
  }
  auto array = info[i].As<Napi::Float32Array>();
  size_t offset = static_cast<size_t>(intArg(info, i + 1, name));
  if (offset > array.ElementLength() || count > array.ElementLength() - offset) {
    throw Napi::RangeError::New(info.Env(), std::string("gemm: ") + name + " holds " + std::to_string(array.ElementLength()) +
                                                " floats, too few for " + std::to_string(count) + " from offset " + std::to_string(offset));
  }
  return array.Data() + offset;
}

// gemm(A, aOff, B, bOff, C, cOff, m, k, n, transA, transB, accumulate)
Napi::Value Gemm(const Napi::CallbackInfo &info) {
  if (info.Length() != 12) throw Napi::TypeError::New(info.Env(), "gemm: 12 arguments expected");
  int m = intArg(info, 6, "m"), k = intArg(info, 7, "k"), n = intArg(info, 8, "n");
  bool transA = info[9].ToBoolean(), transB = info[10].ToBoolean(), accumulate = info[11].ToBoolean();
  const float *a = floatsAt(info, 0, "A", static_cast<size_t>(m) * k);
  const float *b = floatsAt(info, 2, "B", static_cast<size_t>(k) * n);
  float *c = floatsAt(info, 4, "C", static_cast<size_t>(m) * n);
  active->gemm(a, b, c, m, k, n, transA, transB, accumulate, scratchFor(active->gemmScratch(m, k, n)));
  return info.Env().Undefined();
}

Napi::Value Isas(const Napi::CallbackInfo &info) {
  auto out = Napi::Array::New(info.Env(), kAvailable.size());
  for (size_t i = 0; i < kAvailable.size(); i++) out.Set(i, kAvailable[i].isa);
  return out;
}

// setIsa(name): runs the kernels of another instruction set this CPU has (for parity tests).
Napi::Value SetIsa(const Napi::CallbackInfo &info) {
  std::string name = info[0].ToString();
  for (const auto &k : kAvailable) {
    if (name == k.isa) {
      active = &k;
      return info.Env().Undefined();
    }
  }
  throw Napi::RangeError::New(info.Env(), "setIsa: " + name + " is not available on this CPU");
}

Napi::Value Isa(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), active->isa); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("isas", Napi::Function::New(env, Isas));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  return exports;
}

}  // namespace

NODE_API_MODULE(seqtorch, Init)
