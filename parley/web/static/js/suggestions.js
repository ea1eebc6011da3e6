// A list of suggestions under the composer (an ARIA listbox the textbox controls): the
// mention list and the slash-command list share how it opens, moves, is clicked and closes.
// A subclass says what to offer (`update`), how an option looks (`optionContent`) and what
// choosing one writes (`choose`).

export class Suggestions {
  constructor(input, list, idPrefix) {
    this.input = input;
    this.list = list;
    this.idPrefix = idPrefix;
    this.options = [];
    this.active = -1;
    input.addEventListener("input", () => this.update());
    input.addEventListener("blur", () => {
      setTimeout(() => {
        if (document.activeElement !== input) this.close(); // still away, not back and typing
      }, 150);
    });
    list.addEventListener("pointerdown", (event) => event.preventDefault()); // keep the focus
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.choose(Number(option.dataset.index));
    });
  }

  get isOpen() {
    return !this.list.hidden;
  }

  /** Show `options` with the first one active (nothing to show closes the list). */
  offer(options) {
    this.options = options;
    if (!options.length) return this.close();
    this.active = 0;
    this.render();
  }

  render() {
    const items = this.options.map((option, index) => {
      const li = document.createElement("li");
      li.id = `${this.idPrefix}-${index}`;
      li.setAttribute("role", "option");
      li.dataset.index = String(index);
      li.setAttribute("aria-selected", String(index === this.active));
      li.append(...this.optionContent(option));
      return li;
    });
    this.list.replaceChildren(...items);
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.input.setAttribute("aria-activedescendant", `${this.idPrefix}-${this.active}`);
  }

  close() {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.options = [];
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  /** Write `text` into the box with the caret at `caret`, and close the list. */
  write(text, caret) {
    this.input.value = text;
    this.input.setSelectionRange(caret, caret);
    this.close();
    this.input.focus();
  }

  /** Keys while the list is open; true when the key was used here (not for sending). */
  keydown(event) {
    if (!this.isOpen || event.isComposing) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.options.length) % this.options.length;
      this.render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      this.choose(this.active);
    } else if (event.key === "Escape") {
      this.close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }
}

/** A `<span class="…">text</span>` for an option's content. */
export function part(className, text) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}
