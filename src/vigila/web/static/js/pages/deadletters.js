// Dead letters: what was rejected or failed, why, and replay of the chosen ones.

import {get, post} from "../api.js";
import {h, replace} from "../dom.js";
import {time} from "../format.js";

const RAW_CHARS = 400;

export function mount(main) {
  const form = h("form", {class: "toolbar", "aria-label": "Filter dead letters"},
    h("label", {}, "Stage", h("input", {name: "stage", type: "search", placeholder: "ingest, decode, process:…"})),
    h("label", {class: "check"}, h("input", {name: "include_replayed", type: "checkbox"}), "Include replayed"),
    h("button", {type: "submit", class: "primary", text: "Show"}));
  const replay = h("button", {type: "button", disabled: true, text: "Replay selected"});
  const status = h("p", {role: "status", class: "muted"});
  const body = h("tbody");
  replace(main, h("h1", {text: "Dead letters"}),
    h("p", {class: "lead", text: "Items that could not be ingested or processed, with the reason. "
      + "Replay sends the stored bytes through ingest again (fix the sender first)."}),
    form, h("div", {class: "toolbar"}, replay), status,
    h("div", {class: "panel table-wrap"}, h("table", {class: "data deadletters"},
      h("thead", {}, h("tr", {}, ["", "id", "when", "stage", "reason", "raw", "replay"]
        .map((text) => h("th", {scope: "col", text})))), body)));

  const chosen = () => [...body.querySelectorAll("input[type=checkbox]:checked")].map((box) => Number(box.value));
  const update = () => {
    const n = chosen().length;
    replay.disabled = n === 0;
    replay.textContent = n ? `Replay ${n} selected` : "Replay selected";
  };
  const load = (message = "") => {
    get("/v1/deadletters", {stage: form.elements.stage.value.trim(),
                            include_replayed: form.elements.include_replayed.checked, limit: 200})
      .then((page) => {
        body.replaceChildren(...page.items.map((letter) => {
          const raw = letter.raw.length > RAW_CHARS ? `${letter.raw.slice(0, RAW_CHARS)}…` : letter.raw;
          return h("tr", {"data-id": letter.id},
            h("td", {}, h("input", {type: "checkbox", value: letter.id, onchange: update,
                                    "aria-label": `Select dead letter ${letter.id}`})),
            h("td", {text: String(letter.id)}),
            h("td", {text: time(letter.at_ms / 1000)}),
            h("td", {class: "mono", text: letter.stage}),
            h("td", {class: "reason", text: letter.reason}),
            h("td", {}, h("pre", {class: "cell-pre", text: raw})),
            h("td", {class: "replay-result", text: letter.replay_result || ""}));
        }));
        status.textContent = message || (page.items.length ? `${page.items.length} dead letters`
          : "No dead letters");
        update();
      })
      .catch((error) => { status.textContent = error.message; });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  replay.addEventListener("click", () => {
    post("/v1/deadletters/replay", {ids: chosen()}).then((answer) => {
      const ok = answer.outcomes.filter((o) => o.replayed).length;
      form.elements.include_replayed.checked = true;
      load(`Replayed ${ok} of ${answer.outcomes.length}: `
        + answer.outcomes.map((o) => `#${o.id} ${o.result}`).join("; "));
    }).catch((error) => { status.textContent = error.message; });
  });
  load();
  return () => {};
}
