// The keyboard-first labeling page: S/H spam/ham, 1-4 relevance, Space skip, U undo; auto-advance.
// Everything from an item is written with textContent, never as HTML: a message body is data, not markup.
(() => {
  "use strict";
  const root = document.getElementById("workspace");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const model = root.dataset.model;
  const $ = (id) => document.getElementById(id);
  const SPAM_KEYS = { s: 1, h: 0 };
  const GRADES = { 1: "1 not relevant", 2: "2 marginal", 3: "3 relevant", 4: "4 highly relevant" };
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

  function labelName(item, label) {
    return item.task === "spam" ? (label === 1 ? "spam" : "ham") : GRADES[label] || String(label);
  }

  function predictionText(prediction) {
    if (root.dataset.reveal !== "true") return "saved";
    if (!prediction) return "saved · the model made no prediction on this item";
    const score = typeof prediction.score === "number" ? " (score " + prediction.score.toFixed(3) + ")" : "";
    return "saved · model: " + prediction.name + score;
  }

  function show(item) {
    current = item;
    $("item").hidden = !item;
    $("empty").hidden = !!item;
    if (!item) return;
    $("item-kind").textContent = item.task === "spam" ? "Spam or ham?" : "Relevant recommendation?";
    $("item-id").textContent = "#" + item.id;
    $("task-spam").hidden = item.task !== "spam";
    $("task-relevance").hidden = item.task !== "relevance";
    const s = item.subject;
    if (item.task === "spam") {
      $("spam-subject").textContent = s.subject || "(no subject)";
      $("spam-sender").textContent = s.sender || "(unknown sender)";
      $("spam-body").textContent = s.body || "";
    } else {
      $("movie-user").textContent = String(s.user_id);
      $("movie-title").textContent = s.title || "movie " + s.item_id;
      const list = $("movie-history");
      list.replaceChildren(...(s.history || []).map((row) => {
        const li = document.createElement("li");
        li.textContent = (row.title || "movie " + row.item_id) + " — " + row.rating + " ★";
        return li;
      }));
      $("movie-no-history").hidden = (s.history || []).length > 0;
    }
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
    else if (current && current.task === "spam" && key in SPAM_KEYS) act("label", SPAM_KEYS[key]);
    else if (current && current.task === "relevance" && ["1", "2", "3", "4"].includes(key)) act("label", Number(key));
    else handled = false;
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
