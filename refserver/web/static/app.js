// renewkit end-user page: starts a process instance from the token in the URL, shows
// its custom form with a live checklist of the policy's requirements, computes the
// SRP values in this browser (srp.js), sends only those, checks the server's proof,
// and shows the confirmation or a clear error. An error form (a step of type
// errorForm) shows its text, announces the failure that led to it, and continues
// along its flow when the user presses its button. Passcodes never leave the page.
(function () {
  'use strict';
  const SRP = globalThis.RenewkitSRP;
  const Policy = globalThis.RenewkitPolicy;
  const root = document.getElementById('app');
  const apiBase = root.dataset.api;
  const profile = root.dataset.profile || SRP.PROFILE_PADDED;
  const $ = (id) => document.getElementById(id);

  const MESSAGES = {
    INVALID_PROOF: 'The existing passcode is not correct. Nothing was changed.',
    PASSCODE_HISTORY_VIOLATION: 'The new passcode was used recently. Choose one you have not used before. Nothing was changed.',
    USER_LOCKED: 'This account is locked after too many failed attempts. Try again later.',
    USER_DISABLED: 'This account is disabled.',
    USER_NOT_FOUND: 'This account was not found.',
    PASSCODE_NOT_REGISTERED: 'This account has no passcode yet.',
    PASSCODE_ALREADY_REGISTERED: 'This account already has a passcode.',
    STALE_SESSION: 'The passcode changed while this page was open. Start again.',
    SESSION_NOT_FOUND: 'This session has expired. Start again.',
    PROCESS_TOKEN_NOT_FOUND: 'This link is not valid.',
    PROCESS_TOKEN_INACTIVE: 'This link is not active.',
    PROCESS_TOKEN_EXHAUSTED: 'This link has been used as many times as it allows.',
    PROCESS_TOKEN_EXPIRED: 'This link has expired.',
    PROCESS_INSTANCE_NOT_FOUND: 'This session is no longer available. Start again.',
    SERVER_PROOF: 'The server could not prove that it knows your passcode. Do not trust this page.',
  };
  const DONE = {
    renewal: 'Your passcode has been renewed.',
    registration: 'Your passcode has been registered.',
    authentication: 'You are signed in.',
  };

  let instance = null; // {id, key}

  function pickText(t) {
    if (!t) return '';
    if (typeof t === 'string') return t;
    const langs = (navigator.languages || []).map((l) => l.split('-')[0]);
    for (const l of langs) if (t[l]) return t[l];
    if (t.en) return t.en;
    const keys = Object.keys(t).sort();
    return keys.length ? t[keys[0]] : '';
  }

  function setTitle(text) {
    $('title').textContent = text;
    document.title = text;
  }

  function show(screen) {
    for (const el of document.querySelectorAll('[data-screen]')) el.hidden = el.dataset.screen !== screen;
    root.dataset.state = screen;
    $('title').focus();
  }

  function announce(text) {
    $('status').textContent = text;
  }

  function alertText(text) {
    const a = $('alert');
    a.textContent = text;
    a.hidden = !text;
  }

  async function call(method, path, body, key) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (key) headers.Authorization = 'Bearer ' + key;
    const res = await fetch(apiBase + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
    });
    let json = null;
    try { json = await res.json(); } catch (e) { json = null; }
    if (!res.ok) {
      const err = new Error((json && json.message) || 'request failed');
      err.code = (json && json.code) || 'HTTP_' + res.status;
      throw err;
    }
    return json;
  }

  function showError(code, detail) {
    setTitle('Something went wrong');
    $('error-message').textContent = MESSAGES[code] || 'The request could not be completed.';
    $('error-detail').textContent = detail ? 'Reason: ' + detail + (code ? ' (' + code + ')' : '') : (code ? '(' + code + ')' : '');
    root.dataset.error = code || '';
    $('retry').href = location.pathname;
    alertText('');
    show('error');
    announce(MESSAGES[code] || 'The request could not be completed.');
  }

  // ---- the form ----

  let current = null; // {step, fields: {role: input}, policy, checklist}

  function field(c, step) {
    const wrap = document.createElement('div');
    wrap.className = 'field';
    const id = 'f-' + c.key;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = c.label;
    const input = document.createElement('input');
    input.type = 'password';
    input.id = id;
    input.name = c.key;
    input.dataset.role = c.role;
    input.required = !!(c.validate && c.validate.required);
    input.setAttribute('aria-required', input.required ? 'true' : 'false');
    input.autocomplete = c.role === 'existingPasscode' ? 'current-password' : 'new-password';
    input.spellcheck = false;
    const described = [];
    wrap.append(label, input);
    if (c.description) {
      const help = document.createElement('p');
      help.className = 'help';
      help.id = id + '-help';
      help.textContent = c.description;
      wrap.append(help);
      described.push(help.id);
    }
    if (c.role === 'newPasscode' && step.passcodeRequirements) described.push('requirements');
    const err = document.createElement('p');
    err.className = 'field-error';
    err.id = id + '-error';
    wrap.append(err);
    described.push(err.id);
    input.setAttribute('aria-describedby', described.join(' '));
    return { wrap, input };
  }

  // renderNotice shows an error form: its title and text, the failure that led to it
  // in the alert (announced at once), and its button, which gets the focus so that
  // Enter continues.
  function renderNotice(step) {
    const form = step.form || { components: [] };
    setTitle(pickText(form.title) || 'Notice');
    const box = $('notice-text');
    box.replaceChildren();
    let buttonLabel = 'Continue';
    for (const c of form.components || []) {
      if (c.type === 'content') {
        const p = document.createElement('p');
        p.textContent = c.text || '';
        box.append(p);
      } else if (c.type === 'button') {
        buttonLabel = c.label || buttonLabel;
      }
    }
    current = { step, fields: {}, policy: null, items: [] };
    root.dataset.step = step.nodeId;
    root.dataset.error = step.error ? step.error.code : '';
    $('continue').textContent = buttonLabel;
    $('continue').disabled = false;
    show('notice');
    alertText(step.error ? (MESSAGES[step.error.code] || step.error.message || '') : '');
    $('continue').focus();
  }

  async function onContinue(ev) {
    ev.preventDefault();
    if (!current || current.step.type !== 'errorForm') return;
    $('continue').disabled = true;
    const step = current.step;
    try {
      const view = await call('POST', '/processFlows/' + encodeURIComponent(instance.id) + '/steps/' + encodeURIComponent(step.nodeId),
        { browserResponse: {} }, instance.key);
      render(view, null);
    } catch (e) {
      showError(e.code, e.message);
    }
  }

  function renderForm(step) {
    alertText('');
    root.dataset.step = step.nodeId;
    root.dataset.error = '';
    const form = step.form || { components: [] };
    setTitle(pickText(form.title) || 'Passcode');
    const box = $('components');
    box.replaceChildren();
    const fields = {};
    let buttonLabel = 'Submit';
    for (const c of form.components || []) {
      if (c.type === 'content') {
        const p = document.createElement('p');
        p.textContent = c.text || '';
        box.append(p);
      } else if (c.type === 'password') {
        const f = field(c, step);
        fields[c.role] = f.input;
        box.append(f.wrap);
        // An error is about what the field held: it goes as soon as the user edits.
        f.input.addEventListener('input', () => {
          if (f.input.getAttribute('aria-invalid') !== 'true') return;
          setFieldError(f.input, '');
          if (!document.querySelector('#components input[aria-invalid="true"]')) alertText('');
        });
      } else if (c.type === 'button') {
        buttonLabel = c.label || buttonLabel;
      }
    }
    $('submit').textContent = buttonLabel;
    $('submit').disabled = false;
    current = { step, fields, policy: null, items: [] };
    const req = $('requirements');
    const list = $('checklist');
    list.replaceChildren();
    if (fields.newPasscode && step.passcodeRequirements) {
      current.policy = Policy.compile(step.passcodeRequirements);
      current.items = Policy.checklist(current.policy);
      if (fields.confirmPasscode) current.items.push({ rule: 'confirm', text: 'The confirmation matches' });
      for (const item of current.items) {
        const li = document.createElement('li');
        li.dataset.rule = item.rule;
        const text = document.createElement('span');
        text.textContent = item.text;
        const state = document.createElement('span');
        state.className = 'sr-only state';
        li.append(text, state);
        list.append(li);
      }
      req.hidden = false;
      fields.newPasscode.addEventListener('input', updateChecklist);
      if (fields.confirmPasscode) fields.confirmPasscode.addEventListener('input', updateChecklist);
      updateChecklist();
    } else {
      req.hidden = true;
    }
    show('form');
    const first = Object.values(fields)[0];
    if (first) first.focus();
  }

  let summaryTimer = null;

  // updateChecklist marks each requirement met or not as the user types, and after a
  // pause announces how many are met (not on every key: that would drown the reader).
  function updateChecklist() {
    if (!current || !current.policy) return;
    const f = current.fields;
    const violations = current.policy.validate(f.newPasscode.value);
    const broken = new Set(violations.map((v) => v.rule));
    if (f.confirmPasscode && (f.confirmPasscode.value === '' || f.confirmPasscode.value !== f.newPasscode.value)) broken.add('confirm');
    let met = 0;
    for (const li of $('checklist').children) {
      const ok = !broken.has(li.dataset.rule);
      li.dataset.met = ok ? 'true' : 'false';
      li.querySelector('.state').textContent = ok ? ' (met)' : ' (not met)';
      if (ok) met++;
    }
    root.dataset.violations = violations.map((v) => v.rule).join(' ');
    clearTimeout(summaryTimer);
    const total = current.items.length;
    summaryTimer = setTimeout(() => {
      $('checklist-summary').textContent = met + ' of ' + total + ' requirements met';
    }, 700);
  }

  function setFieldError(input, text) {
    const err = $(input.id + '-error');
    err.textContent = text;
    input.setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  // check validates the form before any SRP work; it returns the problems.
  function check() {
    const f = current.fields;
    const problems = [];
    for (const input of Object.values(f)) {
      setFieldError(input, '');
      if (input.required && input.value === '') {
        const label = document.querySelector('label[for="' + input.id + '"]').textContent;
        setFieldError(input, label + ' is required.');
        problems.push(input);
      }
    }
    if (f.newPasscode && f.newPasscode.value !== '' && current.policy) {
      const vs = current.policy.validate(f.newPasscode.value);
      if (vs.length) {
        setFieldError(f.newPasscode, 'The new passcode ' + vs.map((v) => v.message).join('; ') + '.');
        problems.push(f.newPasscode);
      }
    }
    if (f.confirmPasscode && f.confirmPasscode.value !== '' && f.newPasscode && f.confirmPasscode.value !== f.newPasscode.value) {
      setFieldError(f.confirmPasscode, 'The confirmation does not match the new passcode.');
      problems.push(f.confirmPasscode);
    }
    return problems;
  }

  async function browserResponse(step, f) {
    const p = step.algorithmInfo.parameters;
    const params = SRP.paramsFromStart(p, profile);
    const I = SRP.utf8(p.i);
    const salt = SRP.saltFromWire(p.salt);
    const out = {};
    let proof = null;
    if (step.flow !== 'registration') {
      proof = await SRP.prove(params, I, salt, p.serverPublicKey, f.existingPasscode.value);
      out.srpVerificationData = { a: proof.a, m1: proof.m1 };
    }
    if (step.flow !== 'authentication') {
      out.srpRegistrationData = { verifier: await SRP.newVerifier(params, I, salt, f.newPasscode.value) };
    }
    return { body: out, proof };
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    if (!current || current.step.type === 'errorForm') return;
    const problems = check();
    if (problems.length) {
      alertText('Please correct ' + (problems.length === 1 ? 'the highlighted field.' : 'the ' + problems.length + ' highlighted fields.'));
      problems[0].focus();
      return;
    }
    alertText('');
    $('submit').disabled = true;
    announce('Checking your passcode…');
    const step = current.step;
    let built;
    try {
      built = await browserResponse(step, current.fields);
    } catch (e) {
      $('submit').disabled = false;
      showError('CLIENT_ERROR', e.message);
      return;
    } finally {
      // The passcodes are not needed any more: do not leave them in the page.
      for (const input of Object.values(current.fields)) input.value = '';
    }
    try {
      const view = await call('POST', '/processFlows/' + encodeURIComponent(instance.id) + '/steps/' + encodeURIComponent(step.nodeId),
        { browserResponse: built.body }, instance.key);
      render(view, built.proof);
    } catch (e) {
      showError(e.code, e.message);
    }
  }

  // render shows whatever the instance is at.
  function render(view, proof) {
    if (view.status === 'WAITING' && view.step) {
      announce('');
      if (view.step.type === 'errorForm') renderNotice(view.step);
      else renderForm(view.step);
      return;
    }
    if (view.status !== 'COMPLETED') {
      showError('UNEXPECTED_STATE', 'the process is ' + view.status);
      return;
    }
    root.dataset.decision = view.decision || '';
    const r = view.result || {};
    if (r.error) {
      showError(r.error.code, r.error.message);
      return;
    }
    if (proof) {
      const m2 = r.algorithmInfo && r.algorithmInfo.parameters && r.algorithmInfo.parameters.m2;
      if (!m2 || !proof.verifyServer(m2)) {
        showError('SERVER_PROOF', '');
        return;
      }
    }
    if (view.decision !== 'PASS') {
      showError('DECISION_' + view.decision, 'the process decided ' + view.decision);
      return;
    }
    const text = DONE[r.flow] || 'Done.';
    setTitle('Done');
    $('done-message').textContent = text;
    show('done');
    announce(text);
  }

  async function begin() {
    $('screen-form').addEventListener('submit', onSubmit);
    $('screen-notice').addEventListener('submit', onContinue);
    setTitle('Loading');
    try {
      const started = await call('POST', '/processFlows', { processToken: root.dataset.token });
      instance = { id: started.instanceId, key: started.accessKey };
      root.dataset.instance = started.instanceId;
      render(started);
    } catch (e) {
      showError(e.code, e.message);
    }
  }

  begin();
})();
