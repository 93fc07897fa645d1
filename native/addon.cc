// The Node-API addon: the C kernels (src/backend/c), compiled once per instruction set, behind one
// table chosen at load time from the CPU's features, so a build copied to an older CPU never runs
// an instruction it lacks. Arguments are checked against the typed arrays' lengths before any
// kernel runs: a bad offset is a RangeError, never a read outside the array.
#include <napi.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstring>
#include <string>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

extern "C" {
#include "../src/backend/c/cells.h"
#include "../src/backend/c/kernels.h"
#include "../src/backend/c/elementwise.h"
void st_set_threads(int n);
void st_pool_stats(int *threads, long *tasks);
}

#define ST_DECLARE(sfx)                                                                                    \
  extern "C" size_t st_gemm_scratch_floats_##sfx(int m, int k, int n);                                     \
  extern "C" void st_gemm_##sfx(const float *A, const float *B, float *C, int m, int k, int n, int transA, \
                                int transB, int accumulate, float *scratch);                               \
  extern "C" void st_rec_forward_layout_##sfx(const st_rec_forward_args *a, st_rec_layout *out);           \
  extern "C" void st_rec_backward_layout_##sfx(const st_rec_backward_args *a, st_rec_layout *out);         \
  extern "C" void st_rec_forward_##sfx(const st_rec_forward_args *a, float *scratch);                      \
  extern "C" void st_rec_backward_##sfx(const st_rec_backward_args *a, float *scratch);                     \
  extern "C" void st_adam_##sfx(const st_adam_args *a);                                                     \
  extern "C" void st_binary_##sfx(int op, const float *a, int strideA, const float *b, int strideB, float *out, size_t n); \
  extern "C" void st_rows_##sfx(const float *x, size_t width, const int32_t *index, size_t n, float *out, int add, int32_t skip);

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
  void (*recForwardLayout)(const st_rec_forward_args *, st_rec_layout *);
  void (*recBackwardLayout)(const st_rec_backward_args *, st_rec_layout *);
  void (*recForward)(const st_rec_forward_args *, float *);
  void (*recBackward)(const st_rec_backward_args *, float *);
  void (*adam)(const st_adam_args *);
  void (*binary)(int, const float *, int, const float *, int, float *, size_t);
  void (*rows)(const float *, size_t, const int32_t *, size_t, float *, int, int32_t);
};

#define ST_TABLE(sfx, w)                                                                                        \
  Kernels{#sfx, w, st_gemm_scratch_floats_##sfx, st_gemm_##sfx, st_rec_forward_layout_##sfx, st_rec_backward_layout_##sfx, \
          st_rec_forward_##sfx, st_rec_backward_##sfx, st_adam_##sfx, st_binary_##sfx, st_rows_##sfx}

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
void adviseHugePages(const void *data, size_t bytes);

// The kernels' scratch, kept between calls and grown as needed; huge pages where it is large (the
// recurrent backward's gate gradients alone are T * N * 4H floats, read with a stride of a row).
float *scratch = nullptr;
size_t scratchFloats = 0;

float *scratchFor(Napi::Env env, size_t floats) {
  if (scratchFloats < floats) {
    free(scratch);
    scratchFloats = 0;
    const size_t align = size_t(2) << 20, bytes = (floats * sizeof(float) + align - 1) / align * align;
    scratch = static_cast<float *>(aligned_alloc(align, bytes));
    if (!scratch) throw Napi::Error::New(env, "out of memory for " + std::to_string(bytes) + " bytes of kernel scratch");
    adviseHugePages(scratch, bytes);
    scratchFloats = bytes / sizeof(float);
  }
  return scratch;
}

// Each 4 KiB page of a fresh buffer faults on first write, and on virtual machines of the kind this
// runs on a fault costs about 16 us: a fresh 52 MB buffer took 230 ms to fault in, as long as the
// W4 step's forward products, and 4 ms with transparent huge pages. Large buffers (fresh mappings
// past glibc's mmap threshold, or heap that a trim returned) are therefore advised to use them
// where the kernel offers them on request. Only the buffers a kernel writes are advised: the inputs
// are in memory already, where the advice would only hand them to the kernel's background collapse.
void adviseHugePages(const void *data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const size_t huge = size_t(2) << 20;
  if (bytes < (size_t(4) << 20)) return;
  uintptr_t start = (reinterpret_cast<uintptr_t>(data) + huge - 1) & ~(huge - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(huge - 1);
  if (end > start) madvise(reinterpret_cast<void *>(start), end - start, MADV_HUGEPAGE);
#else
  (void)data, (void)bytes;
#endif
}

int32_t intArg(const Napi::CallbackInfo &info, size_t i, const char *name, const char *op = "gemm") {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(op) + ": " + name + " must be a number");
  int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (v < 0 || v > 0x7fffffff) throw Napi::RangeError::New(info.Env(), std::string(op) + ": " + name + " out of range");
  return static_cast<int32_t>(v);
}

/** A Float32Array argument and an offset into it, checked to hold `count` floats from there. */
float *floatsAt(const Napi::CallbackInfo &info, size_t i, const char *name, size_t count, bool output = false) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("gemm: ") + name + " must be a Float32Array");
  }
  auto array = info[i].As<Napi::Float32Array>();
  size_t offset = static_cast<size_t>(intArg(info, i + 1, name));
  if (offset > array.ElementLength() || count > array.ElementLength() - offset) {
    throw Napi::RangeError::New(info.Env(), std::string("gemm: ") + name + " holds " + std::to_string(array.ElementLength()) +
                                                " floats, too few for " + std::to_string(count) + " from offset " + std::to_string(offset));
  }
  if (output) adviseHugePages(array.Data(), array.ByteLength());
  return array.Data() + offset;
}

// gemm(A, aOff, B, bOff, C, cOff, m, k, n, transA, transB, accumulate)
Napi::Value Gemm(const Napi::CallbackInfo &info) {
  if (info.Length() != 12) throw Napi::TypeError::New(info.Env(), "gemm: 12 arguments expected");
  int m = intArg(info, 6, "m"), k = intArg(info, 7, "k"), n = intArg(info, 8, "n");
  bool transA = info[9].ToBoolean(), transB = info[10].ToBoolean(), accumulate = info[11].ToBoolean();
  const float *a = floatsAt(info, 0, "A", static_cast<size_t>(m) * k);
  const float *b = floatsAt(info, 2, "B", static_cast<size_t>(k) * n);
  float *c = floatsAt(info, 4, "C", static_cast<size_t>(m) * n, true);
  active->gemm(a, b, c, m, k, n, transA, transB, accumulate, scratchFor(info.Env(), active->gemmScratch(m, k, n)));
  return info.Env().Undefined();
}

// The fused recurrent kernels' buffers, in the order the JavaScript side passes them
// (src/backend/native/index.ts lists the same names; a test compares the two lists).
const char *const kForwardBuffers[] = {"x", "h0", "c0", "wIh", "wHh", "bIh", "bHh", "wHr", "y", "hN", "cN",
                                       "gates", "hPrev", "cPrev", "c", "m", "ghn"};
const char *const kBackwardBuffers[] = {"dy", "dhN", "dcN", "dx", "dh0", "dc0", "dwIh", "dwHh", "dbIh", "dbHh", "dwHr"};

struct Need {
  size_t floats;
  bool required;         // must be present (otherwise: may be null, and must be null when floats is 0)
  bool atLeast = false;  // may hold more (a strided y: a view into a wider output)
};

/**
 * The Float32Array argument info[i] checked to hold `need.floats` floats, or null where allowed.
 * One napi_get_typedarray_info per buffer: a layer call checks 17 to 28 of them, and at small sizes
 * the checks cost as much as the kernel.
 */
float *bufferAt(const Napi::CallbackInfo &info, size_t i, const char *name, Need need, const char *op, bool output) {
  Napi::Env env = info.Env();
  napi_value v = info[i];
  napi_typedarray_type type;
  size_t length = 0;
  void *data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok) {
    napi_valuetype t = napi_undefined;
    napi_typeof(env, v, &t);
    if (t == napi_null || t == napi_undefined) {
      if (need.required) throw Napi::TypeError::New(env, std::string(op) + ": " + name + " is required");
      return nullptr;
    }
    throw Napi::TypeError::New(env, std::string(op) + ": " + name + " must be a Float32Array");
  }
  if (type != napi_float32_array) throw Napi::TypeError::New(env, std::string(op) + ": " + name + " must be a Float32Array");
  if (need.floats == 0 || (need.atLeast ? length < need.floats : length != need.floats)) {
    throw Napi::RangeError::New(env, std::string(op) + ": " + name + " holds " + std::to_string(length) +
                                         " floats, expected " + (need.atLeast ? "at least " : "") + std::to_string(need.floats));
  }
  if (output) adviseHugePages(data, length * sizeof(float));
  return static_cast<float *>(data);
}

/** dims = [kind, T, N, I, H, P, reverse, save, batchFirst, reuseGates (backward), yStride (forward; 0: Hr)], then slope, lengths (Int32Array [N] or null), the 17 forward buffers. */
st_rec_forward_args forwardArgs(const Napi::CallbackInfo &info, const char *op, bool forBackward) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[0].As<Napi::Int32Array>().ElementLength() != 11) {
    throw Napi::TypeError::New(env, std::string(op) + ": dims must be an Int32Array of 11");
  }
  auto d = info[0].As<Napi::Int32Array>();
  st_rec_forward_args a{};
  a.kind = d[0], a.T = d[1], a.N = d[2], a.I = d[3], a.H = d[4], a.P = d[5], a.reverse = d[6], a.save = d[7], a.batch_first = d[8], a.y_ld = forBackward ? 0 : d[10];
  if (a.kind < ST_KERNEL_LSTM || a.kind > ST_KERNEL_RNN_RELU) throw Napi::RangeError::New(env, std::string(op) + ": unknown kernel kind");
  if (a.T < 1 || a.N < 1 || a.I < 1 || a.H < 1 || a.P < 0 || (a.P > 0 && a.kind != ST_KERNEL_LSTM)) {
    throw Napi::RangeError::New(env, std::string(op) + ": invalid sizes");
  }
  a.slope = info[1].As<Napi::Number>().FloatValue();
  if (!info[2].IsNull()) {
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[2].As<Napi::Int32Array>().ElementLength() != static_cast<size_t>(a.N)) {
      throw Napi::TypeError::New(env, std::string(op) + ": lengths must be an Int32Array of N or null");
    }
    a.lengths = info[2].As<Napi::Int32Array>().Data();
    for (int b = 0; b < a.N; b++)
      if (a.lengths[b] < 0 || a.lengths[b] > a.T) throw Napi::RangeError::New(env, std::string(op) + ": a length is outside [0, T]");
  }
  size_t T = a.T, N = a.N, I = a.I, H = a.H, P = a.P, TN = T * N;
  bool lstm = a.kind == ST_KERNEL_LSTM, gru = a.kind == ST_KERNEL_GRU, save = a.save != 0;
  size_t GH = (lstm ? 4 : gru ? 3 : 1) * H, Hr = P ? P : H;
  if (a.y_ld < 0 || (a.y_ld > 0 && static_cast<size_t>(a.y_ld) < Hr)) {
    throw Napi::RangeError::New(env, std::string(op) + ": y's row stride " + std::to_string(a.y_ld) + " is below its row of " + std::to_string(Hr) + " floats");
  }
  const Need needs[] = {
      {TN * I, true},         {N * Hr, true},         {lstm ? N * H : 0, false}, {GH * I, true},
      {GH * Hr, true},        {GH, false},            {GH, false},               {P * H, P > 0},
      // y, hN, cN: the forward call's outputs, which backward does not read.
      {forBackward ? 0 : a.y_ld > 0 ? (TN - 1) * a.y_ld + Hr : TN * Hr, !forBackward, a.y_ld > 0}, {forBackward ? 0 : N * Hr, !forBackward},
      {lstm && !forBackward ? N * H : 0, lstm && !forBackward}, {save ? TN * GH : 0, save},
      {save ? TN * Hr : 0, save}, {save && lstm ? TN * H : 0, save && lstm}, {save && lstm ? TN * H : 0, save && lstm},
      {save && P ? TN * H : 0, save && P > 0}, {save && gru ? TN * H : 0, save && gru},
  };
  if (info.Length() != (forBackward ? 3 + 17 + 11 : 3 + 17)) {
    throw Napi::TypeError::New(env, std::string(op) + ": 17 forward buffers" + (forBackward ? " and 11 backward buffers" : "") + " expected after lengths");
  }
  float *p[17];
  for (uint32_t i = 0; i < 17; i++) p[i] = bufferAt(info, 3 + i, kForwardBuffers[i], needs[i], op, i >= 8);
  a.x = p[0], a.h0 = p[1], a.c0 = p[2], a.wIh = p[3], a.wHh = p[4], a.bIh = p[5], a.bHh = p[6], a.wHr = p[7];
  a.y = p[8], a.hN = p[9], a.cN = p[10], a.gates = p[11], a.hPrev = p[12], a.cPrev = p[13], a.c = p[14], a.m = p[15], a.ghn = p[16];
  return a;
}

// recurrentForward(dims, slope, lengths, ...forward buffers)
Napi::Value RecurrentForward(const Napi::CallbackInfo &info) {
  st_rec_forward_args a = forwardArgs(info, "recurrentForward", false);
  st_rec_layout layout;
  active->recForwardLayout(&a, &layout);
  active->recForward(&a, scratchFor(info.Env(), layout.total));
  return info.Env().Undefined();
}

// recurrentBackward(dims, slope, lengths, ...forward buffers, ...backward buffers): the forward
// call's arguments with save = 1 and its saved buffers filled.
Napi::Value RecurrentBackward(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  st_rec_backward_args b{};
  b.f = forwardArgs(info, "recurrentBackward", true);
  if (!b.f.save) throw Napi::RangeError::New(env, "recurrentBackward: the forward arguments must have save = 1");
  size_t T = b.f.T, N = b.f.N, I = b.f.I, H = b.f.H, P = b.f.P, TN = T * N;
  bool lstm = b.f.kind == ST_KERNEL_LSTM, gru = b.f.kind == ST_KERNEL_GRU;
  size_t GH = (lstm ? 4 : gru ? 3 : 1) * H, Hr = P ? P : H;
  bool bias = b.f.bIh || b.f.bHh;
  const Need needs[] = {
      {TN * Hr, false}, {N * Hr, false}, {lstm ? N * H : 0, false}, {TN * I, true}, {N * Hr, true}, {lstm ? N * H : 0, lstm},
      {GH * I, true},   {GH * Hr, true}, {bias ? GH : 0, bias},     {bias ? GH : 0, bias}, {P * H, P > 0},
  };
  float *p[11];
  for (uint32_t i = 0; i < 11; i++) p[i] = bufferAt(info, 3 + 17 + i, kBackwardBuffers[i], needs[i], "recurrentBackward", i >= 3);
  b.dy = p[0], b.dhN = p[1], b.dcN = p[2], b.dx = p[3], b.dh0 = p[4], b.dc0 = p[5];
  b.dwIh = p[6], b.dwHh = p[7], b.dbIh = p[8], b.dbHh = p[9], b.dwHr = p[10];
  b.reuse_gates = info[0].As<Napi::Int32Array>()[9] != 0;
  st_rec_layout layout;
  active->recBackwardLayout(&b, &layout);
  active->recBackward(&b, scratchFor(info.Env(), layout.total));
  return env.Undefined();
}

Napi::Value BufferNames(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  auto f = Napi::Array::New(env), b = Napi::Array::New(env);
  for (uint32_t i = 0; i < 17; i++) f.Set(i, kForwardBuffers[i]);
  for (uint32_t i = 0; i < 11; i++) b.Set(i, kBackwardBuffers[i]);
  out.Set("forward", f);
  out.Set("backward", b);
  return out;
}

/** A Float32Array argument of exactly n floats (or null where allowed). */
float *exactFloats(const Napi::CallbackInfo &info, size_t i, const char *op, const char *name, size_t n, bool nullable) {
  if (nullable && info[i].IsNull()) return nullptr;
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      info[i].As<Napi::Float32Array>().ElementLength() != n) {
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": " + name + " must be a Float32Array of " + std::to_string(n));
  }
  return info[i].As<Napi::Float32Array>().Data();
}

// adam(x, g, m, v, vMax | null, hyper: Float64Array [lr, beta1, beta2, eps, weightDecay, stepSize, bc2Sqrt, decoupled, maximize])
Napi::Value Adam(const Napi::CallbackInfo &info) {
  if (info.Length() != 6 || !info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "adam: 6 arguments expected");
  size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  st_adam_args a{};
  a.x = exactFloats(info, 0, "adam", "x", n, false);
  a.g = exactFloats(info, 1, "adam", "g", n, false);
  a.m = exactFloats(info, 2, "adam", "m", n, false);
  a.v = exactFloats(info, 3, "adam", "v", n, false);
  a.vMax = exactFloats(info, 4, "adam", "vMax", n, true);
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[5].As<Napi::Float64Array>().ElementLength() != 9) {
    throw Napi::TypeError::New(info.Env(), "adam: the hyperparameters must be a Float64Array of 9");
  }
  auto h = info[5].As<Napi::Float64Array>();
  a.n = n;
  a.lr = h[0], a.beta1 = h[1], a.beta2 = h[2], a.eps = h[3], a.weightDecay = h[4], a.stepSize = h[5], a.bc2Sqrt = h[6];
  a.decoupled = h[7] != 0, a.maximize = h[8] != 0;
  active->adam(&a);
  return info.Env().Undefined();
}

// binary(op, a, b, out): out = a op b over Float32Arrays, op an ST_BIN_* code; a and b hold out's
// length or one value (broadcast), and out may be a or b.
Napi::Value Binary(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() != 4 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "binary: 4 arguments expected");
  int op = info[0].As<Napi::Number>().Int32Value();
  if (op < ST_BIN_ADD || op > ST_BIN_DIV) throw Napi::RangeError::New(env, "binary: unknown op");
  float *p[3];
  size_t len[3];
  for (int i = 0; i < 3; i++) {
    const Napi::Value v = info[i + 1];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(env, "binary: operands must be Float32Arrays");
    }
    p[i] = v.As<Napi::Float32Array>().Data();
    len[i] = v.As<Napi::Float32Array>().ElementLength();
  }
  size_t n = len[2];
  adviseHugePages(p[2], n * sizeof(float));
  for (int i = 0; i < 2; i++) {
    if (len[i] != n && len[i] != 1) throw Napi::RangeError::New(env, "binary: an operand holds neither the output's length nor one value");
  }
  if (n > 0) active->binary(op, p[0], len[0] == n ? 1 : 0, p[1], len[1] == n ? 1 : 0, p[2], n);
  return env.Undefined();
}

// rows(x, width, index, out, add, skip): row i of out = row index[i] of x; with add, row i of x is
// added into row index[i] of out (except where index[i] == skip). Every index is checked first.
Napi::Value Rows(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() != 6) throw Napi::TypeError::New(env, "rows: 6 arguments expected");
  int32_t width = intArg(info, 1, "width", "rows");
  bool add = info[4].ToBoolean();
  if (!info[5].IsNumber()) throw Napi::TypeError::New(env, "rows: skip must be a number");
  int32_t skip = info[5].As<Napi::Number>().Int32Value();
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "rows: index must be an Int32Array");
  }
  auto index = info[2].As<Napi::Int32Array>();
  size_t n = index.ElementLength();
  for (int i : {0, 3}) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(env, "rows: x and out must be Float32Arrays");
    }
  }
  auto x = info[0].As<Napi::Float32Array>(), out = info[3].As<Napi::Float32Array>();
  // The side indexed by the table: x without add, out with it.
  size_t tableLen = add ? out.ElementLength() : x.ElementLength(), denseLen = add ? x.ElementLength() : out.ElementLength();
  if (width == 0 || denseLen != n * static_cast<size_t>(width) || tableLen % static_cast<size_t>(width) != 0) {
    throw Napi::RangeError::New(env, "rows: " + std::to_string(n) + " rows of " + std::to_string(width) + " do not fit arrays of " +
                                         std::to_string(x.ElementLength()) + " and " + std::to_string(out.ElementLength()) + " floats");
  }
  const size_t rows = tableLen / static_cast<size_t>(width);
  const int32_t *idx = index.Data();
  for (size_t i = 0; i < n; i++) {
    if (idx[i] < 0 || static_cast<size_t>(idx[i]) >= rows) {
      throw Napi::RangeError::New(env, "rows: index " + std::to_string(idx[i]) + " is out of range [0, " + std::to_string(rows) + ")");
    }
  }
  if (n > 0) active->rows(x.Data(), static_cast<size_t>(width), idx, n, out.Data(), add ? 1 : 0, skip);
  return env.Undefined();
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

// setThreads(n): the thread budget of the kernels that follow (the pool grows to n - 1 helpers).
Napi::Value SetThreads(const Napi::CallbackInfo &info) {
  st_set_threads(intArg(info, 0, "threads", "setThreads"));
  return info.Env().Undefined();
}

// poolStats(): { threads: pool threads started, tasks: tasks they ran }.
Napi::Value PoolStats(const Napi::CallbackInfo &info) {
  int threads;
  long tasks;
  st_pool_stats(&threads, &tasks);
  auto out = Napi::Object::New(info.Env());
  out.Set("threads", threads);
  out.Set("tasks", static_cast<double>(tasks));
  return out;
}

Napi::Value Isa(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), active->isa); }

// Tensors' buffers are malloc'd by Node. After the first large one is freed, glibc raises its mmap
// threshold, so later large buffers come from the heap and, once freed, stay resident there in
// fragments: a long training run's memory grows by tens of MiB it does not use. malloc_trim hands
// the free pages back. (A fixed mmap threshold would too, but then every large buffer is mapped and
// faulted in afresh: training steps measured 2-4x slower.)
Napi::Value TrimMemory(const Napi::CallbackInfo &info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemory));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("recurrentForward", Napi::Function::New(env, RecurrentForward));
  exports.Set("recurrentBackward", Napi::Function::New(env, RecurrentBackward));
  exports.Set("bufferNames", Napi::Function::New(env, BufferNames));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("rows", Napi::Function::New(env, Rows));
  exports.Set("isas", Napi::Function::New(env, Isas));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("poolStats", Napi::Function::New(env, PoolStats));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  return exports;
}

}  // namespace

NODE_API_MODULE(seqtorch, Init)
