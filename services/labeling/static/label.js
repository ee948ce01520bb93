// The keyboard-first labeling page: each kind's answer keys (drawn by the page from its labeling task),
// Space skip, U undo; auto-advance. The page knows no kind: an item arrives with `shown`, its kind's view of
// the subject, and every part of it is written with textContent, never as HTML (a message body is data).
(() => {
  "use strict";
  const root = document.getElementById("workspace");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const model = root.dataset.model;
  const $ = (id) => document.getElementById(id);
  // model kind -> its group of answer buttons (data-label, data-key, data-caption), rendered by the server
  const answers = new Map([...root.querySelectorAll(".answers")].map((group) => [group.dataset.model, group]));
  let current = null;
  let busy = false;

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      window.location.assign("/label/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      throw new Error("logged out");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.detail || "request failed with status " + response.status);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function say(text) {
    $("message").textContent = text || "";
    $("message").hidden = !text;
  }

  function buttonsOf(item) {
    const group = item && answers.get(item.model);
    return group ? [...group.querySelectorAll("button[data-label]")] : [];
  }

  function labelName(item, label) {
    const button = buttonsOf(item).find((b) => Number(b.dataset.label) === label);
    return button ? button.dataset.caption : String(label);
  }

  function predictionText(prediction) {
    if (root.dataset.reveal !== "true") return "saved";
    if (!prediction) return "saved · the model made no prediction on this item";
    const score = typeof prediction.score === "number" ? " (score " + prediction.score.toFixed(3) + ")" : "";
    return "saved · model: " + prediction.name + score;
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // The parts of a `shown` (see closedloop/kinds/tasks.py), in the order the adjudication page shows them.
  function showSubject(shown) {
    $("item-lead").textContent = shown.lead;
    $("item-title").textContent = shown.title;
    $("item-trail").textContent = shown.trail;
    $("item-question").hidden = !(shown.lead || shown.title || shown.trail);
    $("item-fields").replaceChildren(...shown.fields.flatMap(([caption, value]) => [element("dt", caption), element("dd", value)]));
    $("item-fields").hidden = shown.fields.length === 0;
    $("item-body").textContent = shown.body === null ? "" : shown.body;
    $("item-body").hidden = shown.body === null;
    $("item-history-caption").textContent = shown.history_caption;
    $("item-history-list").replaceChildren(...shown.history.map((row) => element("li", row)));
    $("item-history-empty").textContent = shown.history_empty;
    $("item-history-empty").hidden = shown.history.length > 0;
    $("item-history").hidden = !(shown.history_caption || shown.history.length);
  }

  function show(item) {
    current = item;
    $("item").hidden = !item;
    $("empty").hidden = !!item;
    for (const [kind, group] of answers) group.hidden = !item || kind !== item.model;
    if (!item) return;
    const group = answers.get(item.model);
    $("item-kind").textContent = group ? group.dataset.question : item.task;
    $("item-id").textContent = "#" + item.id;
    showSubject(item.shown);
    root.dataset.itemId = String(item.id);
  }

  function remember(text) {
    $("last").textContent = text;
    $("last").hidden = false;
  }

  async function advance() {
    const data = await call("GET", "/label/api/next" + (model ? "?model=" + encodeURIComponent(model) : ""));
    $("queue-status").textContent = data.queue_depth + " item" + (data.queue_depth === 1 ? "" : "s") + " in the queue";
    show(data.item);
  }

  async function act(kind, label) {
    if (busy || (kind !== "undo" && !current)) return;
    busy = true;
    root.dataset.busy = "true";
    say("");
    try {
      if (kind === "label") {
        const item = current;
        const result = await call("POST", "/label/api/items/" + item.id + "/label", { label });
        remember("#" + item.id + ": you said " + labelName(item, label) + " · " + predictionText(result.prediction));
        await advance();
      } else if (kind === "skip") {
        await call("POST", "/label/api/items/" + current.id + "/skip");
        remember("#" + current.id + ": skipped");
        await advance();
      } else {
        const result = await call("POST", "/label/api/undo");
        if (result.item) {
          remember("#" + result.item.id + ": label withdrawn — label it again");
          show(result.item);
        } else {
          say("nothing to undo (no label yet, or the item was already resolved)");
        }
      }
    } catch (error) {
      say(error.message);
      // 409: someone else took the item's last slot (or it was settled meanwhile): move on to the next one.
      if (error.status === 409 && kind !== "undo") await advance().catch((again) => say(again.message));
    } finally {
      busy = false;
      root.dataset.busy = "false";
    }
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea, select")) return;
    const key = event.key.toLowerCase();
    let handled = true;
    if (key === " " || key === "spacebar") act("skip");
    else if (key === "u") act("undo");
    else {
      const button = buttonsOf(current).find((b) => b.dataset.key === key);
      if (button) act("label", Number(button.dataset.label));
      else handled = false;
    }
    if (handled) event.preventDefault();  // Space would scroll the page
  }

  document.addEventListener("keydown", onKey);
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.label !== undefined) act("label", Number(button.dataset.label));
    else if (button.dataset.action) act(button.dataset.action);
    button.blur();  // so Space skips instead of pressing the focused button again
  });
  advance().catch((error) => say(error.message));
})();
