{
  "targets": [
    {
      "target_name": "mrsynth_native",
      "sources": [
        "native/addon.cc",
        "native/blockwise_attention.cc",
        "native/op_call.cc",
        "native/tensor_table.cc",
        "native/generators.cc",
        "native/runtime.cc",
        "native/distributed.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch-config.mjs include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "<!@(node scripts/libtorch-config.mjs defines)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter"],
      "libraries": ["<!@(node scripts/libtorch-config.mjs libraries)"],
      "ldflags": ["<!@(node scripts/libtorch-config.mjs ldflags)"]
    }
  ]
}
