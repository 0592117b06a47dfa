// The dashboard's shell: API key, navigation, time range, theme, and the page shown.

import {apiKey, get, setApiKey, setUnauthenticatedHandler} from "./api.js";
import {h, replace} from "./dom.js";
import {onStreamState} from "./sse.js";
import {setupTheme} from "./theme.js";
import {bounds, setupPicker} from "./timerange.js";
import * as alarms from "./pages/alarms.js";
import * as dashboard from "./pages/dashboard.js";
import * as deadletters from "./pages/deadletters.js";
import * as events from "./pages/events.js";
import * as insights from "./pages/insights.js";
import * as rules from "./pages/rules.js";
import * as system from "./pages/system.js";

const PAGES = {dashboard, insights, events, deadletters, rules, alarms, system};
const main = document.getElementById("main");
const nav = document.getElementById("nav");
let unmount = () => {};
let home = "#/system";

function decoded(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** `#/page/arg...` -> the page module and its (decoded) arguments; null for no page. */
function route() {
  const [name, ...params] = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (!Object.hasOwn(PAGES, name) || (name === "dashboard" && !params.length)) return null;
  return {page: PAGES[name], params: params.map(decoded)};
}

/** Close the page shown (its streams and charts). */
function leave() {
  unmount();
  unmount = () => {};
}

function show() {
  const found = route();
  if (!found) {
    location.replace(home);
    return;
  }
  leave();
  for (const link of nav.querySelectorAll("a")) {
    const current = location.hash === link.hash || location.hash.startsWith(`${link.hash}/`);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  unmount = found.page.mount(main, {range: bounds(), params: found.params}) || (() => {});
}

function navigation(dashboards) {
  const links = [
    ...dashboards.filter((d) => d.name !== "system").map((d) => [`#/dashboard/${d.name}`, d.title]),
    ["#/insights", "Insights"], ["#/events", "Events"], ["#/deadletters", "Dead letters"],
    ["#/rules", "Rules"], ["#/alarms", "Alarms"], ["#/system", "System"],
  ];
  replace(nav, links.map(([href, text]) => h("li", {}, h("a", {href, text}))));
  home = links[0][0];
}

let asking = null;

/** Ask for an API key until the server accepts one; resolves with the dashboards. The
 * dialog may be dismissed (Escape): asking again reopens it on the same pending promise. */
function askForKey() {
  const dialog = document.getElementById("key-dialog");
  const form = document.getElementById("key-form");
  const error = document.getElementById("key-error");
  asking = asking || new Promise((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      setApiKey(form.elements.key.value.trim());
      get("/v1/dashboards").then((answer) => {
        dialog.close();
        form.reset();
        error.textContent = "";
        asking = null;
        resolve(answer.items);
      }).catch((failure) => {
        error.textContent = failure.status === 401 || failure.status === 403
          ? "The server refused this key." : failure.message;
      });
    };
  });
  if (!dialog.open) dialog.showModal();
  return asking;
}

async function start() {
  const live = document.getElementById("live");
  onStreamState((state) => {
    live.dataset.state = state;
    live.textContent = state;
  });
  setupTheme(document.getElementById("theme"), show);
  setupPicker(document.getElementById("range"), document.getElementById("custom-range"), show);
  const config = await fetch("/ui/config").then((r) => r.json());
  document.title = `vigila · ${config.environment}`;
  const keyButton = document.getElementById("key-button");
  let dashboards;
  if (config.auth_required) {
    dashboards = apiKey() ? await get("/v1/dashboards").then((a) => a.items, () => null) : null;
    let ready = false;
    const again = () => {
      if (!ready) {  // the first key is still awaited: just reopen the dialog
        askForKey();
        return;
      }
      leave();
      askForKey().then(show);
    };
    keyButton.hidden = false;
    keyButton.addEventListener("click", again);
    if (!dashboards) dashboards = await askForKey();
    ready = true;
    setUnauthenticatedHandler(again);
  } else {
    dashboards = (await get("/v1/dashboards")).items;
  }
  navigation(dashboards);
  window.addEventListener("hashchange", show);
  show();
}

start().catch((error) => replace(main, h("p", {class: "error", text: `vigila could not start: ${error.message}`})));
