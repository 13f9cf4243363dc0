// wopr: the smallest MicroPython-wasm that runs src/wopr/runtime (json, math, struct, hashlib.sha256).
#define MICROPY_CONFIG_ROM_LEVEL                (MICROPY_CONFIG_ROM_LEVEL_BASIC_FEATURES)

// Same heap behaviour as the pyscript variant (the npm build).
#define MICROPY_GC_SPLIT_HEAP                   (1)
#define MICROPY_GC_SPLIT_HEAP_AUTO              (1)

// The JS FFI (pyimport, proxies) and the js module.
#define MICROPY_PY_JS                           (1)
#define MICROPY_PY_JSFFI                        (1)

// What the runtime uses above BASIC_FEATURES.
#define MICROPY_PY_FSTRINGS                     (1)
#define MICROPY_PY_BUILTINS_STR_UNICODE         (1)
#define MICROPY_PY_JSON                         (1)
#define MICROPY_PY_HASHLIB                      (1)
#define MICROPY_PY_HASHLIB_MD5                  (0)
#define MICROPY_PY_HASHLIB_SHA1                 (0)
#define MICROPY_PY_MATH_CONSTANTS               (1)   // math.inf
#define MICROPY_PY_MATH_SPECIAL_FUNCTIONS       (1)   // math.tanh
#define MICROPY_PY_ERRNO                        (1)   // OSError texts as in the npm build

// Keep messages and behaviour as in the npm (FULL_FEATURES) build.
#define MICROPY_ERROR_REPORTING                 (MICROPY_ERROR_REPORTING_DETAILED)
#define MICROPY_CAN_OVERRIDE_BUILTINS           (1)
#define MICROPY_PY_BUILTINS_ROUND_INT           (1)
#define MICROPY_PY_ALL_SPECIAL_METHODS          (1)
#define MICROPY_PY_REVERSE_SPECIAL_METHODS      (1)
#define MICROPY_PY_BUILTINS_NOTIMPLEMENTED      (1)
#define MICROPY_PY_DESCRIPTORS                  (1)
#define MICROPY_PY_FUNCTION_ATTRS               (1)
#define MICROPY_PY_BUILTINS_SLICE_ATTRS         (1)
#define MICROPY_PY_BUILTINS_SLICE_INDICES       (1)
#define MICROPY_PY_BUILTINS_FROZENSET           (1)
#define MICROPY_PY_BUILTINS_STR_PARTITION       (1)
#define MICROPY_PY_BUILTINS_STR_SPLITLINES      (1)
#define MICROPY_PY_BUILTINS_STR_CENTER          (1)
#define MICROPY_PY_BUILTINS_BYTES_HEX           (1)
#define MICROPY_PY_BUILTINS_MEMORYVIEW          (1)
#define MICROPY_PY_SYS_MAXSIZE                  (1)
#define MICROPY_ENABLE_SOURCE_LINE              (1)
#define MICROPY_STACK_CHECK                     (1)
#define MICROPY_ENABLE_SCHEDULER                (1)
#define MICROPY_HELPER_REPL                     (1)   // the port always builds its event-driven REPL
#define MICROPY_ENABLE_FINALISER                (1)   // VFS_POSIX needs it
#define MICROPY_MODULE_ATTR_DELEGATION          (1)   // as at EXTRA_FEATURES (module __getattr__)

// Speed: as in the npm build.
#define MICROPY_OPT_LOAD_ATTR_FAST_PATH         (1)
#define MICROPY_OPT_MAP_LOOKUP_CACHE            (1)
#define MICROPY_OPT_MPZ_BITWISE                 (1)
#define MICROPY_QSTR_BYTES_IN_HASH              (2)
#define MICROPY_COMP_MODULE_CONST               (1)
#define MICROPY_COMP_TRIPLE_TUPLE_ASSIGN        (1)
#define MICROPY_COMP_RETURN_IF_EXPR             (1)
