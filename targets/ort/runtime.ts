/**
 * onnxruntime-node, loaded on first use: it is an optional peer of attnfuzz (its install downloads
 * CUDA binaries unless told not to), so nothing here may import it at the top level. A missing
 * package is one line that names the install command.
 */
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;

/** The install line the error names (CPU binaries only: they ship in the package itself). */
export const ORT_INSTALL =
  'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node (or: npm config set onnxruntime-node-install skip)';

let loaded: Promise<OrtModule> | null = null;

/** Imports `specifier` as onnxruntime-node; a missing package rejects with one line naming the install command. */
export function importOrt(specifier: string): Promise<OrtModule> {
  return import(specifier).then(
    (m) => ((m as { default?: OrtModule }).default ?? m) as OrtModule,
    (e: unknown) => {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        throw new Error(`ort: onnxruntime-node is not installed: ${ORT_INSTALL}`);
      throw e;
    },
  );
}

/** onnxruntime-node, imported once (a failed import is tried again next time). */
export function loadOrt(): Promise<OrtModule> {
  loaded ??= importOrt('onnxruntime-node').catch((e: unknown) => {
    loaded = null;
    throw e;
  });
  return loaded;
}

/** The version of onnxruntime-node in use, as reports name it ('1.30.0'). */
export async function ortVersion(): Promise<string> {
  const ort = await loadOrt();
  return ort.env.versions.node ?? ort.env.versions.common;
}
