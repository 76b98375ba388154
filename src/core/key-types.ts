// The key types of latchkey's public declarations, written out here rather than imported from jose: jose is
// ESM-only, and a CommonJS TypeScript app (`module: node16`, `skipLibCheck: false`) cannot read an `import("jose")`
// in our .d.cts (TS1479). They are structurally what jose accepts and returns.

/** A JSON Web Key (RFC 7517) as latchkey takes and prints it: the members of the RSA, EC, OKP and oct key types. */
export type JWK = {
  kty?: string;
  alg?: string;
  kid?: string;
  use?: string;
  key_ops?: string[];
  ext?: boolean;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  n?: string;
  e?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  k?: string;
};

/** The runtime's Web Crypto `CryptoKey` (from lib.dom or @types/node), or its structure where neither is loaded. */
export type CryptoKey = typeof globalThis extends { crypto: { subtle: { generateKey(...args: never[]): Promise<infer R> } } }
  ? Extract<R, { type: string }>
  : { readonly algorithm: { name: string }; readonly extractable: boolean; readonly type: string; readonly usages: string[] };
