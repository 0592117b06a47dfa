// Dark and light themes: the saved choice, else the system's preference.

const KEY = "vigila.theme";

export function currentTheme() {
  return document.documentElement.dataset.theme;
}

function apply(theme, button) {
  document.documentElement.dataset.theme = theme;
  button.textContent = theme === "dark" ? "Light theme" : "Dark theme";
}

/** Apply the theme and wire the toggle; `onChange()` runs after a switch (charts redraw). */
export function setupTheme(button, onChange) {
  const saved = localStorage.getItem(KEY);
  const preferred = matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
  apply(saved === "light" || saved === "dark" ? saved : preferred, button);
  button.addEventListener("click", () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    localStorage.setItem(KEY, next);
    apply(next, button);
    onChange();
  });
}
