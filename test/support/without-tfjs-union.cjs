// Preloaded (node --require) by processes that never run a kernel (test/campaign-files.test.ts):
// '@tensorflow/tfjs', the union package loaded only to register gradients, resolves to this empty
// module, which saves about 0.15 s of start-up per process. tfjs-core and its cpu backend load as usual.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === '@tensorflow/tfjs' ? __filename : resolve.call(this, request, ...rest);
};
