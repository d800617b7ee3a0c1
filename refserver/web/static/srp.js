// renewkit SRP-6a client for the browser: BigInt arithmetic and WebCrypto hashes,
// no third-party code. It mirrors the Go package srp (SPEC.md section 6): the
// rfc5054-padded profile the reference server uses, and rfc2945 for the published
// vectors. Byte strings are Uint8Array, big-endian and unsigned.
//
// JavaScript's BigInt has no constant-time operations, so the exponentiations here
// may leak timing to code running in the same browser. The secrets are the user's
// own, computed on the user's own machine, once per attempt; the server side, which
// an attacker can time remotely, is the Go code.
(function (global) {
  'use strict';

  const PROFILE_PADDED = 'rfc5054-padded';
  const PROFILE_RFC2945 = 'rfc2945';

  function hashName(name) {
    const n = String(name).toUpperCase().replace(/^SHA-?/, 'SHA-');
    if (['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].indexOf(n) < 0) {
      throw new Error('srp: unsupported hash ' + name);
    }
    return n;
  }

  function hexToBytes(hex) {
    hex = String(hex).replace(/\s+/g, '');
    if (hex.length % 2) hex = '0' + hex;
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) {
      const b = parseInt(hex.substr(2 * i, 2), 16);
      if (Number.isNaN(b)) throw new Error('srp: not hex');
      out[i] = b;
    }
    return out;
  }

  function bytesToHex(b) {
    let s = '';
    for (const x of b) s += x.toString(16).padStart(2, '0');
    return s;
  }

  function bytesToBig(b) {
    return b.length ? BigInt('0x' + bytesToHex(b)) : 0n;
  }

  // bigToBytes returns x minimal (len undefined) or left-padded to len bytes.
  function bigToBytes(x, len) {
    let hex = x.toString(16);
    if (hex === '0') hex = '';
    if (hex.length % 2) hex = '0' + hex;
    const raw = hexToBytes(hex);
    if (!len || raw.length >= len) return raw;
    const out = new Uint8Array(len);
    out.set(raw, len - raw.length);
    return out;
  }

  function trimZeros(b) {
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  }

  function concat(parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  function utf8(s) {
    return new TextEncoder().encode(s);
  }

  // Base64 (RFC 4648 section 4) with padding, as the server sends and expects.
  function b64encode(b) {
    let s = '';
    for (const x of b) s += String.fromCharCode(x);
    return btoa(s);
  }

  // b64decode accepts both alphabets and missing padding, like srp.DecodeInt.
  function b64decode(s) {
    s = String(s).replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new Error('srp: not base64');
    while (s.length % 4) s += '=';
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function modPow(base, exp, mod) {
    let r = 1n;
    base %= mod;
    if (base < 0n) base += mod;
    while (exp > 0n) {
      if (exp & 1n) r = (r * base) % mod;
      exp >>= 1n;
      base = (base * base) % mod;
    }
    return r;
  }

  // Params is one SRP parameter set: N, g (BigInt), the hash and the proof profile.
  class Params {
    constructor(N, g, hash, profile) {
      this.N = N;
      this.g = g;
      this.hash = hashName(hash);
      this.profile = profile || PROFILE_PADDED;
      if (this.profile !== PROFILE_PADDED && this.profile !== PROFILE_RFC2945) {
        throw new Error('srp: unknown profile ' + profile);
      }
      this.size = bigToBytes(N).length;
    }

    pad(b) {
      if (b instanceof Uint8Array) b = bytesToBig(b);
      return bigToBytes(b, this.size);
    }

    async H(...parts) {
      return new Uint8Array(await crypto.subtle.digest(this.hash, concat(parts)));
    }

    // k = H(N | PAD(g))
    async k() {
      return this.H(bigToBytes(this.N), this.pad(this.g));
    }

    // x = H(s | H(I | ":" | P)); P must be the UTF-8 of the NFC passcode.
    async x(I, P, s) {
      return this.H(s, await this.H(I, utf8(':'), P));
    }

    // v = g^x mod N, padded.
    async verifier(I, P, s) {
      return this.pad(modPow(this.g, bytesToBig(await this.x(I, P, s)), this.N));
    }

    computeA(a) {
      return this.pad(modPow(this.g, bytesToBig(a), this.N));
    }

    async computeB(v, b) {
      const k = bytesToBig(await this.k());
      return this.pad((k * bytesToBig(v) + modPow(this.g, bytesToBig(b), this.N)) % this.N);
    }

    // u = H(PAD(A) | PAD(B))
    async u(A, B) {
      return this.H(this.pad(A), this.pad(B));
    }

    // S = (B - k*g^x)^(a + u*x) mod N
    async clientS(B, x, a, u) {
      const k = bytesToBig(await this.k());
      const xb = bytesToBig(x);
      let base = (bytesToBig(B) - k * modPow(this.g, xb, this.N)) % this.N;
      if (base < 0n) base += this.N;
      return this.pad(modPow(base, bytesToBig(a) + bytesToBig(u) * xb, this.N));
    }

    // S = (A * v^u)^b mod N
    serverS(A, v, u, b) {
      const base = (bytesToBig(A) * modPow(bytesToBig(v), bytesToBig(u), this.N)) % this.N;
      return this.pad(modPow(base, bytesToBig(b), this.N));
    }

    async sessionKey(S) {
      if (this.profile === PROFILE_RFC2945) return this.H(trimZeros(S));
      return this.H(this.pad(S));
    }

    async m1(I, s, A, B, S) {
      if (this.profile === PROFILE_RFC2945) {
        const hn = bytesToBig(await this.H(bigToBytes(this.N)));
        const hg = bytesToBig(await this.H(bigToBytes(this.g)));
        return this.H(bigToBytes(hn ^ hg), trimZeros(await this.H(I)), s,
          trimZeros(A), trimZeros(B), trimZeros(await this.sessionKey(S)));
      }
      return this.H(this.pad(A), this.pad(B), this.pad(S));
    }

    async m2(A, M1, S) {
      if (this.profile === PROFILE_RFC2945) {
        return this.H(trimZeros(A), trimZeros(M1), trimZeros(await this.sessionKey(S)));
      }
      return this.H(this.pad(A), this.pad(M1), this.pad(S));
    }
  }

  function randomBytes(n) {
    const b = new Uint8Array(n);
    crypto.getRandomValues(b);
    return b;
  }

  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  // paramsFromStart reads a start response's algorithmInfo.parameters.
  function paramsFromStart(p, profile) {
    return new Params(bytesToBig(b64decode(p.n)), BigInt(p.g), p.hashAlgorithm || 'SHA-256', profile);
  }

  function saltFromWire(s) {
    return b64decode(s);
  }

  // nfcBytes returns the UTF-8 of the NFC form of a passcode (SPEC.md section 6: P).
  function nfcBytes(passcode) {
    return utf8(passcode.normalize('NFC'));
  }

  // prove runs the client side of a session: from the start parameters and the
  // existing passcode, it returns {a, m1} for srpVerificationData and a function that
  // checks the server's m2. It refuses B mod N = 0 and u = 0 (SPEC.md section 6).
  async function prove(params, I, salt, Bwire, passcode) {
    const B = b64decode(Bwire);
    const Bn = bytesToBig(B);
    if (Bn % params.N === 0n || Bn >= params.N) throw new Error('srp: invalid server public value');
    const a = randomBytes(32);
    const A = params.computeA(a);
    const u = await params.u(A, B);
    if (bytesToBig(u) === 0n) throw new Error('srp: invalid server public value');
    const x = await params.x(I, nfcBytes(passcode), salt);
    const S = await params.clientS(B, x, a, u);
    const M1 = await params.m1(I, salt, A, B, S);
    const M2 = await params.m2(A, M1, S);
    return {
      a: b64encode(A),
      m1: b64encode(M1),
      verifyServer(m2wire) {
        let got;
        try { got = trimZeros(b64decode(m2wire)); } catch (e) { return false; }
        return equalBytes(got, trimZeros(M2));
      },
    };
  }

  // newVerifier returns the base64 verifier of a new passcode under the same i and
  // salt (renewals keep both, SPEC.md section 1).
  async function newVerifier(params, I, salt, passcode) {
    return b64encode(await params.verifier(I, nfcBytes(passcode), salt));
  }

  global.RenewkitSRP = Object.freeze({
    Params, PROFILE_PADDED, PROFILE_RFC2945,
    hexToBytes, bytesToHex, bytesToBig, bigToBytes, b64encode, b64decode, utf8, modPow,
    paramsFromStart, saltFromWire, nfcBytes, prove, newVerifier,
  });
})(globalThis);
