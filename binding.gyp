# The native kernels for Node (built at npm install by tools/build-native.mjs; optional: without a
# compiler seqtorch runs on its wasm backend). The one C source in src/backend/c is compiled once
# per instruction set, each with its own function-name suffix, and the addon picks one at load time.
{
  "target_defaults": {
    "cflags_c": ["-std=c11", "-O3", "-ffp-contract=fast", "-fno-math-errno", "-Wall", "-Wextra"],
  },
  "targets": [
    {
      "target_name": "kernels_generic",
      "type": "static_library",
      "sources": ["src/backend/c/gemm.c", "src/backend/c/recurrent.c", "src/backend/c/optim.c", "src/backend/c/elementwise.c"],
      "defines": ["VW=4", "ST_SUFFIX=_generic"],
    },
    {
      "target_name": "kernels_avx2",
      "type": "static_library",
      "sources": ["src/backend/c/gemm.c", "src/backend/c/recurrent.c", "src/backend/c/optim.c", "src/backend/c/elementwise.c"],
      "defines": ["VW=8", "ST_SUFFIX=_avx2"],
      "cflags_c": ["-mavx2", "-mfma"],
    },
    {
      "target_name": "kernels_avx512",
      "type": "static_library",
      "sources": ["src/backend/c/gemm.c", "src/backend/c/recurrent.c", "src/backend/c/optim.c", "src/backend/c/elementwise.c"],
      "defines": ["VW=16", "ST_SUFFIX=_avx512"],
      "cflags_c": ["-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mfma"],
    },
    {
      "target_name": "seqtorch",
      "sources": ["native/addon.cc", "native/pool.c"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["ST_X86"],
          "dependencies": ["kernels_generic", "kernels_avx2", "kernels_avx512"],
        }, {
          "dependencies": ["kernels_generic"],
        }],
      ],
    },
  ],
}
