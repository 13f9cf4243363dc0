// Node only: emscripten 3.1.6's ES6 output uses CommonJS's require and __dirname (newer emscripten imports "module" itself).
const __mp_node = typeof process == "object" && typeof process.versions == "object" && typeof process.versions.node == "string";
const require = __mp_node ? (await import("module")).createRequire(import.meta.url) : undefined;
const __dirname = __mp_node ? decodeURIComponent(new URL(".", import.meta.url).pathname) : "";
