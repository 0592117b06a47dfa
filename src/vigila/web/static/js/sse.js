// Server-sent events over fetch (so the API key header goes along), with reconnect and back-off.

import {ApiError, authHeaders, unauthenticated} from "./api.js";

const MAX_DELAY_MS = 30000;
const listeners = new Set();
const states = new Map();

/** Follow the combined state of every open stream: "live", "reconnecting" or "idle". */
export function onStreamState(listener) {
  listeners.add(listener);
}

function report(id, state) {
  if (state === null) states.delete(id);
  else states.set(id, state);
  const all = [...states.values()];
  const overall = all.length === 0 ? "idle" : all.includes("reconnecting") ? "reconnecting" : "live";
  for (const listener of listeners) listener(overall);
}

let nextId = 0;

/**
 * Open `path` as an event stream; `onEvent(name, data, id)` gets each event (data
 * parsed as JSON). Reconnects after a drop, waiting the server's `retry` and then
 * twice as long each failed attempt (with jitter) up to 30 s; an attempt counts as
 * good once an event arrives, not on the headers or a `retry` alone. Resumes with
 * `Last-Event-ID`.
 * While the page is hidden the stream is closed, and opened again when it shows.
 * Returns a function that closes the stream.
 */
export function subscribe(path, onEvent, {lastEventId = null} = {}) {
  const id = nextId++;
  let lastId = lastEventId;
  let baseDelay = 1000;
  let delay = baseDelay;
  let controller = null;
  let timer = null;
  let closed = false;
  let paused = false;

  async function connect() {
    controller = new AbortController();
    const headers = authHeaders({Accept: "text/event-stream"});
    if (lastId !== null) headers["Last-Event-ID"] = String(lastId);
    try {
      const response = await fetch(path, {headers, signal: controller.signal, cache: "no-store"});
      if (!response.ok) throw new ApiError(response.status, "stream", response.statusText);
      report(id, "live");
      await read(response.body);
    } catch (error) {
      if (closed || paused) return;
      if (error instanceof ApiError && error.status === 401) {
        report(id, null);
        unauthenticated();
        return;
      }
    }
    if (closed || paused) return;
    report(id, "reconnecting");
    timer = setTimeout(connect, delay * (0.8 + Math.random() * 0.4));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }

  async function read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        if (dispatch(buffer.slice(0, end))) delay = baseDelay;
        buffer = buffer.slice(end + 2);
      }
    }
  }

  /** Hand on one block; true when it carried an event (not only `retry` or a comment). */
  function dispatch(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
      else if (field === "id") lastId = value;
      else if (field === "retry" && /^\d+$/.test(value)) baseDelay = Number(value);
    }
    if (!data.length) return false;
    onEvent(name, JSON.parse(data.join("\n")), lastId);
    return true;
  }

  function onVisibility() {
    if (document.hidden && !paused) {
      paused = true;
      clearTimeout(timer);
      if (controller) controller.abort();
      report(id, null);
    } else if (!document.hidden && paused) {
      paused = false;
      delay = baseDelay;
      connect();
    }
  }

  document.addEventListener("visibilitychange", onVisibility);
  connect();
  return () => {
    closed = true;
    document.removeEventListener("visibilitychange", onVisibility);
    clearTimeout(timer);
    if (controller) controller.abort();
    report(id, null);
  };
}
