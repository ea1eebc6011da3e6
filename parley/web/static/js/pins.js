// The pinned messages of the room (`GET /rooms/{id}/pins`), listed in the sidebar when it is
// opened and reloaded when a pin or unpin arrives; each one jumps to the message.
import { api } from "./api.js";
import { t } from "./page-data.js";
import { readableTokens } from "./render.js";

const EXCERPT = 80;

export class Pins {
  constructor(roomId, details, jump) {
    this.roomId = roomId;
    this.details = details;
    this.list = details.querySelector("ul");
    this.status = details.querySelector("[role=status]");
    this.jump = jump;
    this.loaded = false;
    details.addEventListener("toggle", () => {
      if (details.open) this.load();
    });
  }

  /** A pin changed: reload if the list is open, else on the next opening. */
  changed() {
    this.loaded = false;
    if (this.details.open) this.load();
  }

  async load() {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const page = await api("GET", `/api/v1/rooms/${this.roomId}/pins`);
      const items = Array.isArray(page) ? page : (page.items ?? []);
      this.list.replaceChildren(...items.map((message) => this.item(message)));
      this.status.textContent = items.length ? "" : t("no_pins");
    } catch {
      this.loaded = false;
      this.status.textContent = t("error");
    }
  }

  item(entry) {
    const message = entry.message ?? entry; // a message, or {message, pinned_by, ...}
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "pin-item";
    const name = document.createElement("span");
    name.className = "pin-name";
    name.textContent = message.sender?.nickname ?? t("deleted_member");
    const text = document.createElement("span");
    text.className = "pin-text";
    const body = readableTokens(message.body);
    text.textContent = body.length > EXCERPT ? `${body.slice(0, EXCERPT)}…` : body;
    button.append(name, text);
    button.addEventListener("click", () => this.jump(message.seq));
    li.append(button);
    return li;
  }
}
