// The time range every page shows: the last N seconds (live) or a custom, fixed span.

const KEY = "vigila.range";
const DEFAULT = {seconds: 900};
let range = load();

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY));
    if (saved && (saved.seconds > 0 || saved.end > saved.start)) return saved;
  } catch {
    // a damaged entry falls back to the default
  }
  return DEFAULT;
}

/** `{start, end}` as Dates, `live` (follows now) and `seconds` (the span). */
export function bounds() {
  if (range.seconds) {
    const end = new Date();
    return {start: new Date(end.getTime() - range.seconds * 1000), end, live: true,
            seconds: range.seconds};
  }
  return {start: new Date(range.start), end: new Date(range.end), live: false,
          seconds: (range.end - range.start) / 1000};
}

function localInput(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** The longest span the server reads at once (15 days). */
const MAX_SPAN_MS = 15 * 86_400_000;

/** Wire the header's select and custom form; `onChange()` runs after each change. */
export function setupPicker(select, form, onChange) {
  select.value = range.seconds ? String(range.seconds) : "custom";
  form.hidden = Boolean(range.seconds);
  const set = (next) => {
    range = next;
    localStorage.setItem(KEY, JSON.stringify(range));
    onChange();
  };
  select.addEventListener("change", () => {
    if (select.value !== "custom") {
      form.hidden = true;
      set({seconds: Number(select.value)});
      return;
    }
    const {start, end} = bounds();
    form.elements.start.value = localInput(start);
    form.elements.end.value = localInput(end);
    form.hidden = false;
    form.elements.start.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const start = new Date(form.elements.start.value).getTime();
    const end = new Date(form.elements.end.value).getTime();
    if (!(end > start) || end - start > MAX_SPAN_MS) {
      form.elements.end.setCustomValidity(
        "The end must be after the start, by at most 15 days");
      form.reportValidity();
      return;
    }
    form.elements.end.setCustomValidity("");
    set({start, end});
  });
}
