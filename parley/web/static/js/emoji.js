// The emoji picker: one dialog for the page, opened by a message's React button, a reaction
// row's "+" or the composer's emoji button. Searchable (English and Korean words), arrow keys
// move between emoji, Enter or a click picks, Esc closes and gives the focus back.
import { EMOJI } from "./emoji-data.js";
import { t } from "./page-data.js";

const COLUMNS = 8;

export class EmojiPicker {
  constructor(root) {
    this.root = root;
    this.search = root.querySelector("input[type=search]");
    this.grid = root.querySelector(".emoji-grid");
    this.empty = root.querySelector(".emoji-empty");
    this.opener = null;
    this.onPick = null;
    this.buttons = EMOJI.map(([emoji, en, ko]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "emoji";
      button.textContent = emoji;
      button.dataset.words = `${en} ${ko}`.toLowerCase();
      button.setAttribute("aria-label", `${emoji} ${en.split(" ")[0]}`);
      button.title = en.split(" ")[0];
      button.tabIndex = -1;
      return button;
    });
    this.grid.append(...this.buttons);
    this.grid.addEventListener("click", (event) => {
      const button = event.target.closest("button.emoji");
      if (button) this.pick(button.textContent);
    });
    this.grid.addEventListener("keydown", (event) => this.move(event));
    this.search.addEventListener("input", () => this.filter());
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const first = this.visible()[0];
        if (first) this.pick(first.textContent);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        this.focusAt(0);
      }
    });
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.close();
      }
    });
    document.addEventListener("pointerdown", (event) => {
      if (!this.root.hidden && !this.root.contains(event.target) && event.target !== this.opener) this.close();
    });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** Show the picker next to `opener`; `onPick(emoji)` gets the chosen one, `onClose()` runs
   * when it closes either way (before the focus goes back to the opener, if still shown). */
  open(opener, onPick, onClose = null) {
    if (this.isOpen) this.close();
    this.opener = opener;
    this.onPick = onPick;
    this.onClose = onClose;
    this.search.value = "";
    this.filter();
    this.root.hidden = false;
    this.place(opener);
    opener?.setAttribute("aria-expanded", "true");
    this.search.focus();
  }

  place(opener) {
    const wide = matchMedia("(min-width: 48rem)").matches;
    this.root.classList.toggle("sheet", !wide);
    if (!wide || !opener) {
      this.root.style.removeProperty("top");
      this.root.style.removeProperty("left");
      return;
    }
    const anchor = opener.getBoundingClientRect();
    const box = this.root.getBoundingClientRect();
    const below = anchor.bottom + 4;
    const top = below + box.height > innerHeight - 8 ? Math.max(8, anchor.top - box.height - 4) : below;
    const left = Math.min(Math.max(8, anchor.right - box.width), innerWidth - box.width - 8);
    this.root.style.top = `${Math.round(top)}px`;
    this.root.style.left = `${Math.round(left)}px`;
  }

  close() {
    if (this.root.hidden) return;
    this.root.hidden = true;
    const opener = this.opener;
    const onClose = this.onClose;
    this.opener = null;
    this.onPick = null;
    this.onClose = null;
    opener?.setAttribute("aria-expanded", "false");
    onClose?.();
    if (opener?.isConnected && opener.offsetParent !== null) opener.focus();
  }

  pick(emoji) {
    const onPick = this.onPick;
    this.close();
    onPick?.(emoji);
  }

  visible() {
    return this.buttons.filter((button) => !button.hidden);
  }

  filter() {
    const words = this.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    for (const button of this.buttons) {
      button.hidden = !words.every((word) => button.dataset.words.includes(word) || button.textContent === word);
    }
    const shown = this.visible();
    this.empty.hidden = shown.length > 0;
    this.empty.textContent = shown.length ? "" : t("emoji_none");
    for (const [index, button] of shown.entries()) button.tabIndex = index === 0 ? 0 : -1;
  }

  focusAt(index) {
    const shown = this.visible();
    if (!shown.length) return;
    const target = shown[Math.max(0, Math.min(shown.length - 1, index))];
    for (const button of shown) button.tabIndex = button === target ? 0 : -1;
    target.focus();
  }

  move(event) {
    const shown = this.visible();
    const index = shown.indexOf(document.activeElement);
    if (index < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[event.key];
    if (step === undefined) {
      if (event.key === "Home") this.focusAt(0);
      else if (event.key === "End") this.focusAt(shown.length - 1);
      else return;
    } else if (event.key === "ArrowUp" && index < COLUMNS) {
      this.search.focus();
    } else {
      this.focusAt(index + step);
    }
    event.preventDefault();
  }
}
