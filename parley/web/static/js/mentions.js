// Mention autocomplete for the composer: typing "@" and a few letters offers the room's
// members (and "everyone" where the reader may use it); choosing one writes the server's
// token, `<@member_id>` or `<@room>`, which the server resolves when the message is stored.
import { data, t } from "./page-data.js";

const MAX_OPTIONS = 8;
const ROOM_MENTION_LIMIT = 50; // over this size only owners and admins may mention everyone
const QUERY = /(^|\s)@([^\s@<>]{0,32})$/u;

export class MentionBox {
  constructor(input, list, members) {
    this.input = input;
    this.list = list;
    this.members = members;
    this.options = [];
    this.active = -1;
    this.start = -1; // where the "@" is
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
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

  mayMentionRoom() {
    const moderator = data.role === "owner" || data.role === "admin";
    return moderator || this.members.members.size <= ROOM_MENTION_LIMIT;
  }

  candidates(query) {
    const q = query.toLocaleLowerCase();
    const scored = [];
    for (const member of this.members.members.values()) {
      if (data.me && member.id === data.me.id) continue;
      const name = member.nickname.toLocaleLowerCase();
      const at = name.indexOf(q);
      if (at >= 0) scored.push([at === 0 ? 0 : 1, member.nickname, member]);
    }
    scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
    const options = scored.slice(0, MAX_OPTIONS).map(([, , m]) => ({ token: `<@${m.id}>`, label: m.nickname, id: m.id }));
    const words = ["room", "everyone", t("mention_room_word").toLocaleLowerCase()];
    if (this.mayMentionRoom() && words.some((word) => word.startsWith(q))) {
      options.push({ token: "<@room>", label: t("mention_room"), id: "room" });
    }
    return options;
  }

  update() {
    const caret = this.input.selectionStart;
    if (caret !== this.input.selectionEnd) return this.close();
    const match = this.input.value.slice(0, caret).match(QUERY);
    if (!match) return this.close();
    this.start = caret - match[2].length - 1;
    this.options = this.candidates(match[2]);
    if (!this.options.length) return this.close();
    this.active = 0;
    this.render();
  }

  render() {
    const items = this.options.map((option, index) => {
      const li = document.createElement("li");
      li.id = `mention-option-${index}`;
      li.setAttribute("role", "option");
      li.dataset.index = String(index);
      li.setAttribute("aria-selected", String(index === this.active));
      const name = document.createElement("span");
      name.className = "mention-name";
      name.textContent = `@${option.label}`;
      li.append(name);
      return li;
    });
    this.list.replaceChildren(...items);
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.input.setAttribute("aria-activedescendant", `mention-option-${this.active}`);
  }

  close() {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.options = [];
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  choose(index) {
    const option = this.options[index];
    if (!option) return;
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, this.start);
    const after = this.input.value.slice(caret);
    const insert = `${option.token} `;
    this.input.value = before + insert + after;
    const at = before.length + insert.length;
    this.input.setSelectionRange(at, at);
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
