// renewkit passcode requirements in the browser: the rules of SPEC.md section 8, a
// line-by-line port of the Go package passcode (Validate), so that the live
// checklist refuses exactly what the Go validator refuses, with the same rule names
// and messages. Policy patterns are RE2; they are translated to JavaScript regular
// expressions (translateRE2), and a pattern this browser cannot check is reported as
// broken, so the page fails closed rather than letting an unchecked passcode through.
(function (global) {
  'use strict';

  const RE_DIGIT = /^\p{Nd}$/u;
  const RE_LOWER = /^\p{Ll}$/u;
  const RE_UPPER = /^\p{Lu}$/u;
  const RE_LETTER = /^\p{L}$/u;
  const RE_SPACE = /^\p{White_Space}$/u;
  const RE_PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

  // classOf is passcode.ClassOf.
  function classOf(ch) {
    if (RE_DIGIT.test(ch)) return 'digit';
    if (RE_LOWER.test(ch)) return 'lower';
    if (RE_UPPER.test(ch)) return 'upper';
    if (RE_LETTER.test(ch) || RE_SPACE.test(ch)) return 'none';
    return 'symbol';
  }

  // measure is passcode.Measure on an NFC string.
  function measure(s) {
    const c = { length: 0, digits: 0, symbols: 0, lower: 0, upper: 0, variety: 0 };
    for (const ch of s) {
      c.length++;
      switch (classOf(ch)) {
        case 'digit': c.digits++; break;
        case 'lower': c.lower++; break;
        case 'upper': c.upper++; break;
        case 'symbol': c.symbols++; break;
      }
    }
    for (const n of [c.digits, c.symbols, c.lower, c.upper]) if (n > 0) c.variety++;
    return c;
  }

  function normalize(s) {
    // A lone surrogate cannot be UTF-8; Go sees U+FFFD in its place.
    return s.toWellFormed().normalize('NFC');
  }

  function plural(n, noun) {
    return n === 1 ? '1 ' + noun : n + ' ' + noun + 's';
  }

  // goQuote is Go's strconv.Quote, for the default messages that quote a pattern.
  function goQuote(s) {
    let out = '"';
    for (const ch of s) {
      const cp = ch.codePointAt(0);
      const esc = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v' }[cp];
      if (ch === '"' || ch === '\\') out += '\\' + ch;
      else if (esc) out += esc;
      else if (ch === ' ' || RE_PRINT.test(ch)) out += ch;
      else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    }
    return out + '"';
  }

  const POSIX = {
    alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7f', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f',
    digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
    space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
  };
  const CATEGORIES = new Set(['L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No',
    'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po', 'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp',
    'C', 'Cc', 'Cf', 'Co', 'Cs', 'Any']);

  function hex2(c) { return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'); }

  // escapeLiteral writes s to match itself, inside or outside a class: letters,
  // digits and non-ASCII as they are, every other ASCII character as \xHH (which
  // the u flag accepts everywhere, unlike \- or \@).
  function escapeLiteral(s) {
    let out = '';
    for (const ch of s) {
      out += /[A-Za-z0-9]/.test(ch) || ch.codePointAt(0) > 0x7f ? ch : hex2(ch);
    }
    return out;
  }

  // translateRE2 turns an RE2 pattern into {source, flags} for new RegExp, or throws
  // when it uses what JavaScript cannot express the same way.
  function translateRE2(p) {
    let flags = 'u';
    const lead = /^\(\?([imsU]+)\)/.exec(p);
    if (lead) {
      for (const f of lead[1]) {
        if (f === 'U') throw new Error('ungreedy flag');
        if (flags.indexOf(f) < 0) flags += f;
      }
      p = p.slice(lead[0].length);
    }
    const dotAll = flags.indexOf('s') >= 0;
    let out = '';
    let inClass = false;
    let i = 0;
    while (i < p.length) {
      const c = p[i];
      if (c === '\\') {
        const n = p[i + 1];
        if (n === undefined) throw new Error('trailing backslash');
        if (n === 'Q') {
          let end = p.indexOf('\\E', i + 2);
          if (end < 0) end = p.length;
          out += escapeLiteral(p.slice(i + 2, end));
          i = end + 2;
          continue;
        }
        if (!inClass && n === 'A') { out += '(?<![\\s\\S])'; i += 2; continue; }
        if (!inClass && n === 'z') { out += '(?![\\s\\S])'; i += 2; continue; }
        if (n === 's') { out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]'; i += 2; continue; }
        if (n === 'S') {
          if (inClass) throw new Error('\\S in a class');
          out += '[^\\t\\n\\f\\r ]'; i += 2; continue;
        }
        if (n === 'p' || n === 'P') {
          let name, len;
          if (p[i + 2] === '{') {
            const end = p.indexOf('}', i + 3);
            if (end < 0) throw new Error('unterminated \\p');
            name = p.slice(i + 3, end);
            len = end + 1 - i;
          } else {
            name = p[i + 2];
            len = 3;
          }
          let neg = n === 'P';
          if (name[0] === '^') { neg = !neg; name = name.slice(1); }
          const js = CATEGORIES.has(name) ? name : 'Script=' + name;
          out += (neg ? '\\P{' : '\\p{') + js + '}';
          i += len;
          continue;
        }
        if (n === 'x') {
          if (p[i + 2] === '{') {
            const end = p.indexOf('}', i + 3);
            if (end < 0) throw new Error('unterminated \\x');
            out += '\\u{' + p.slice(i + 3, end) + '}';
            i = end + 1;
          } else {
            out += '\\x' + p.slice(i + 2, i + 4);
            i += 4;
          }
          continue;
        }
        if (n === 'a') { out += '\\x07'; i += 2; continue; }
        if ('dDwWbBfnrtv'.indexOf(n) >= 0) { out += '\\' + n; i += 2; continue; }
        if (/[0-9A-Za-z]/.test(n)) throw new Error('unsupported escape \\' + n);
        out += escapeLiteral(n);
        i += 2;
        continue;
      }
      if (inClass) {
        if (p.startsWith('[:', i)) {
          const end = p.indexOf(':]', i + 2);
          const name = end < 0 ? '' : p.slice(i + 2, end);
          if (!POSIX[name]) throw new Error('unsupported class');
          out += POSIX[name];
          i = end + 2;
          continue;
        }
        if (c === ']') inClass = false;
        out += c === '[' ? '\\[' : c;
        i++;
        continue;
      }
      if (c === '[') {
        inClass = true;
        out += '[';
        i++;
        if (p[i] === '^') { out += '^'; i++; }
        if (p[i] === ']') { out += '\\]'; i++; }
        continue;
      }
      if (c === '.') { out += dotAll ? '[\\s\\S]' : '[^\\n]'; i++; continue; }
      if (c === '(' && p.startsWith('(?P<', i)) { out += '(?<'; i += 4; continue; }
      if (c === '(' && p[i + 1] === '?' && /^\(\?(=|!|<=|<!)/.test(p.slice(i))) throw new Error('lookaround');
      if (c === '{') {
        const m = /^\{\d+(,\d*)?\}/.exec(p.slice(i));
        if (m) { out += m[0]; i += m[0].length; continue; }
        out += '\\{'; i++; continue;
      }
      if (c === '}') { out += '\\}'; i++; continue; }
      out += c;
      i++;
    }
    if (inClass) throw new Error('unterminated class');
    return { source: out, flags };
  }

  // compile is passcode.Requirements.Compile, leniently: a pattern that cannot be
  // checked becomes a broken violation, as in Go's Requirements.Validate.
  function compile(req) {
    req = req || {};
    const p = { req, broken: [], required: [], disallowed: [], allowed: [] };
    const lists = [['requiredRegExes', p.required], ['disallowedRegExes', p.disallowed], ['allowedRegExes', p.allowed]];
    for (const [name, dst] of lists) {
      (req[name] || []).forEach((rx, i) => {
        if (!rx || !rx.pattern) return;
        const rule = name + '[' + i + ']';
        try {
          const t = translateRE2(rx.pattern);
          const src = name === 'allowedRegExes' ? '(?<![\\s\\S])(?:' + t.source + ')(?![\\s\\S])' : t.source;
          dst.push({ rule, re: new RegExp(src, t.flags), msg: rx.error || '', pattern: rx.pattern });
        } catch (e) {
          p.broken.push({ rule, message: "the policy's pattern cannot be checked because it is not valid RE2", want: 0, got: 0 });
        }
      });
    }
    const msgs = [];
    for (const a of p.allowed) if (a.msg && msgs.indexOf(a.msg) < 0) msgs.push(a.msg);
    p.allowedMsg = msgs.length ? msgs.join('; ') : 'must match one of the allowed patterns as a whole';
    p.validate = (passcode) => validate(p, passcode);
    return p;
  }

  // validate is passcode.Policy.Validate: every violation, in Go's order.
  function validate(p, passcode) {
    const vs = p.broken.slice();
    if (!passcode.isWellFormed()) vs.push({ rule: 'encoding', message: 'must be valid UTF-8 text', want: 0, got: 0 });
    const s = normalize(passcode);
    const c = measure(s);
    const r = p.req;
    const n = (v) => (typeof v === 'number' ? v : 0);
    if (c.length < n(r.minimumLength)) {
      vs.push({ rule: 'minimumLength', message: 'must be at least ' + plural(r.minimumLength, 'character') + ' long', want: r.minimumLength, got: c.length });
    }
    if (n(r.maximumLength) > 0 && c.length > r.maximumLength) {
      vs.push({ rule: 'maximumLength', message: 'must be at most ' + plural(r.maximumLength, 'character') + ' long', want: r.maximumLength, got: c.length });
    }
    for (const [rule, want, got, noun] of [
      ['digitCount', n(r.digitCount), c.digits, 'digit'],
      ['symbolCount', n(r.symbolCount), c.symbols, 'symbol'],
      ['lowerCaseCount', n(r.lowerCaseCount), c.lower, 'lower-case letter'],
      ['upperCaseCount', n(r.upperCaseCount), c.upper, 'upper-case letter'],
    ]) {
      if (got < want) vs.push({ rule, message: 'must contain at least ' + plural(want, noun), want, got });
    }
    if (c.variety < n(r.characterVariety)) {
      vs.push({ rule: 'characterVariety', message: 'must mix at least ' + r.characterVariety + ' of these kinds of character: digits, symbols, lower-case and upper-case letters', want: r.characterVariety, got: c.variety });
    }
    for (const x of p.required) {
      x.re.lastIndex = 0;
      if (!x.re.test(s)) vs.push({ rule: x.rule, message: x.msg || 'must match the pattern ' + goQuote(x.pattern), want: 0, got: 0 });
    }
    for (const x of p.disallowed) {
      x.re.lastIndex = 0;
      if (x.re.test(s)) vs.push({ rule: x.rule, message: x.msg || 'must not match the pattern ' + goQuote(x.pattern), want: 0, got: 0 });
    }
    if (p.allowed.length > 0 && !p.allowed.some((x) => x.re.test(s))) {
      vs.push({ rule: 'allowedRegExes', message: p.allowedMsg, want: 0, got: 0 });
    }
    return vs;
  }

  // checklist returns the items the page lists for a policy: one per rule that
  // imposes something, each {rule, text}. A violation's rule names its item.
  function checklist(p) {
    const r = p.req;
    const items = [];
    const add = (rule, text) => items.push({ rule, text });
    if (r.minimumLength > 0) add('minimumLength', 'At least ' + plural(r.minimumLength, 'character'));
    if (r.maximumLength > 0) add('maximumLength', 'At most ' + plural(r.maximumLength, 'character'));
    if (r.digitCount > 0) add('digitCount', 'At least ' + plural(r.digitCount, 'digit'));
    if (r.symbolCount > 0) add('symbolCount', 'At least ' + plural(r.symbolCount, 'symbol'));
    if (r.lowerCaseCount > 0) add('lowerCaseCount', 'At least ' + plural(r.lowerCaseCount, 'lower-case letter'));
    if (r.upperCaseCount > 0) add('upperCaseCount', 'At least ' + plural(r.upperCaseCount, 'upper-case letter'));
    if (r.characterVariety > 0) add('characterVariety', 'At least ' + r.characterVariety + ' of: digits, symbols, lower-case and upper-case letters');
    for (const b of p.broken) add(b.rule, b.message);
    for (const x of p.required) add(x.rule, x.msg ? capitalize(x.msg) : 'Must match the pattern ' + goQuote(x.pattern));
    for (const x of p.disallowed) add(x.rule, x.msg ? capitalize(x.msg) : 'Must not match the pattern ' + goQuote(x.pattern));
    if (p.allowed.length > 0) add('allowedRegExes', capitalize(p.allowedMsg));
    return items;
  }

  function capitalize(s) {
    return s ? s[0].toUpperCase() + s.slice(1) : s;
  }

  global.RenewkitPolicy = Object.freeze({ compile, validate, checklist, measure, classOf, translateRE2, goQuote, normalize });
})(globalThis);
