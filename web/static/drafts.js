// The task form's autosave. What is typed goes to the server as the person's draft (on
// input, debounced, and retried every few seconds), and stays in this browser's
// localStorage until the server has it, so a crash, a lost session or a closed tab loses
// nothing. Leaving with answers the server does not have yet asks first. Without
// JavaScript the server still keeps the answers when a comment is added, a task is
// reassigned or a form expires; this adds the typing in between.
(() => {
  const PREFIX = "complaints-draft:";
  const KEEP_MS = 7 * 24 * 3600 * 1000; // a copy nobody came back for is forgotten after a week
  const DEBOUNCE_MS = 1000;
  const RETRY_MS = 5000;

  const storage = (() => {
    try { return window.localStorage; } catch { return null; } // blocked by the browser's settings
  })();

  function read(key) {
    try { return JSON.parse(storage.getItem(PREFIX + key)); } catch { return null; }
  }
  function write(key, values) {
    try { storage.setItem(PREFIX + key, JSON.stringify({ values, at: Date.now() })); } catch { /* full or blocked */ }
  }
  function forget(test) {
    if (!storage) return;
    for (let i = storage.length - 1; i >= 0; i -= 1) {
      const name = storage.key(i);
      if (name && name.startsWith(PREFIX) && test(name.slice(PREFIX.length))) storage.removeItem(name);
    }
  }

  // The fields as the form would post them, disabled ones included (a page may show them).
  function valuesOf(form) {
    const values = {};
    for (const el of form.elements) {
      if (!el.name || el.name === "csrf_token" || el.name === "_form" || "noDraft" in el.dataset) continue;
      if (el.type === "submit" || el.type === "button") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      values[el.name] = el.value;
    }
    return values;
  }
  function fill(form, values) {
    for (const el of form.elements) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || "noDraft" in el.dataset) continue;
      if (el.type === "radio") el.checked = values[el.name] === el.value;
      else if (el.type === "checkbox") el.checked = el.name in values;
      else el.value = values[el.name] ?? "";
    }
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function autosave(form) {
    const key = form.dataset.draftKey;
    const url = form.dataset.draftUrl;
    const status = document.getElementById("draft-status");
    let saved = valuesOf(form); // what the server holds: the page came with it
    let timer = null;
    let saving = false;
    let leaving = false;

    const say = (text, unsaved) => {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("unsaved", Boolean(unsaved));
    };
    const dirty = () => !same(valuesOf(form), saved);

    const stored = storage && read(key);
    let restored = "";
    if (stored && !same(stored.values, saved)) {
      fill(form, stored.values);
      restored = "Restored what you typed in this browser before it reached the server.";
      say(restored, true);
    } else if (stored) {
      forget((name) => name === key);
    }
    if (!url) return;

    const token = () => form.querySelector("input[name=csrf_token]").value;
    const put = (body) => fetch(url, {
      method: "PUT", body, credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token() },
    });
    // An expired token: fetch a fresh one, for the autosave and for every form on the page.
    async function refreshToken() {
      const response = await fetch(url, { headers: { Accept: "application/json" }, redirect: "manual" });
      if (!response.ok) return false;
      const { csrf_token: fresh } = await response.json();
      document.querySelectorAll("input[name=csrf_token]").forEach((input) => { input.value = fresh; });
      return true;
    }

    async function save() {
      clearTimeout(timer);
      if (saving || !dirty()) return;
      saving = true;
      const values = valuesOf(form);
      const body = JSON.stringify({ data: values });
      try {
        let response = await put(body);
        if (response.status === 400 && await refreshToken()) response = await put(body);
        if (!response.ok) throw new Error(`draft not saved: ${response.status}`);
        saved = values;
        if (!dirty()) forget((name) => name === key);
        const at = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        say(`${restored} Draft saved at ${at}.`.trim());
        restored = "";
      } catch {
        say("Not saved yet: what you typed is kept in this browser, and saving is tried again.", true);
      } finally {
        saving = false;
      }
    }

    const changed = (event) => {
      if ("noDraft" in event.target.dataset || !dirty()) return;
      if (storage) write(key, valuesOf(form));
      clearTimeout(timer);
      timer = setTimeout(save, DEBOUNCE_MS);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    setInterval(() => { if (dirty()) save(); }, RETRY_MS);
    if (dirty()) save(); // restored from this browser: send it on

    // Sending the form (Complete, Add comment) is leaving on purpose; the copy stays until
    // the page that answers shows the answers back.
    form.addEventListener("submit", () => {
      leaving = true;
      if (storage && dirty()) write(key, valuesOf(form));
    });
    window.addEventListener("beforeunload", (event) => {
      if (leaving || !dirty()) return;
      event.preventDefault();
      event.returnValue = ""; // older browsers need a value to ask
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!storage) {
      document.querySelectorAll("form[data-draft-key]").forEach(autosave);
      return;
    }
    const now = Date.now();
    forget((key) => !(now - ((read(key) || {}).at || 0) < KEEP_MS));
    // A completed task's answers are on the server now.
    document.querySelectorAll("[data-task-done]").forEach((flash) => {
      forget((key) => key.endsWith(`:${flash.dataset.taskDone}`));
    });
    // Signing out takes every copy away, once the page is really left (not when the
    // warning about unsaved answers kept the person here).
    let signingOut = false;
    document.querySelectorAll("form[data-forget-drafts]").forEach((logout) => {
      logout.addEventListener("submit", () => { signingOut = true; });
    });
    window.addEventListener("pagehide", () => { if (signingOut) forget(() => true); });
    document.querySelectorAll("form[data-draft-key]").forEach(autosave);
  });
})();
