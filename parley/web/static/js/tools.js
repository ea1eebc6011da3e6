// What a reader does to a message: the toolbar (react, reply, edit, delete, pin, copy link),
// reaction chips that toggle, inline editing (Enter saves, Esc cancels) and the jump of a
// reply quote. One listener on the list handles every message (event delegation). Changes go
// through the JSON API; what they change comes back as `message_update` frames for everyone.
import { api, ApiError } from "./api.js";
import { toggleHistory } from "./history.js";
import { errorText, t } from "./page-data.js";
import { renderText } from "./render.js";

const CONFIRM_MS = 4000;

export class MessageActions {
  /** `hooks`: {picker, status(text), reply(message), jump(seq), composer} */
  constructor(roomId, timeline, hooks) {
    this.roomId = roomId;
    this.timeline = timeline;
    this.hooks = hooks;
    this.editing = null; // {seq, form, input, returnTo}
    this.lastPointer = "mouse";
    const list = timeline.list;
    list.addEventListener("click", (event) => this.click(event));
    list.addEventListener("keydown", (event) => this.keydown(event));
    list.addEventListener("pointerdown", (event) => {
      this.lastPointer = event.pointerType;
    });
    list.addEventListener("contextmenu", (event) => {
      // a long press on a touch screen opens the toolbar instead of the browser's menu
      const li = event.target.closest("li.msg");
      if (this.lastPointer !== "touch" || !li?.querySelector(".msg-tools") || event.target.closest("a, textarea")) return;
      event.preventDefault();
      this.openTools(li, false);
    });
    timeline.onReplace = (old, li, message) => this.replaced(li, message);
  }

  base(message) {
    return `/api/v1/rooms/${this.roomId}/messages/${message.id}`;
  }

  async call(method, path, body) {
    try {
      return await api(method, path, body);
    } catch (error) {
      this.hooks.status(error instanceof ApiError ? errorText(error.code) : t("error"), true);
      return undefined;
    }
  }

  click(event) {
    const button = event.target.closest("[data-action]");
    const li = event.target.closest("li.msg");
    if (!button || !li) return;
    const seq = Number(li.dataset.seq);
    const message = this.timeline.message(seq);
    const action = button.dataset.action;
    if (action === "jump") {
      if (button.dataset.target) this.hooks.jump(Number(button.dataset.target));
      return;
    }
    if (!message) return;
    if (action === "more") this.toggleTools(li);
    else if (action === "react") {
      const wasOpen = li.classList.contains("tools-open");
      this.openTools(li, false); // the toolbar stays while the picker is open (hover ends)
      const done = () => {
        const shown = this.timeline.bySeq.get(seq);
        if (!wasOpen && shown) this.closeTools(shown, false);
      };
      this.hooks.picker.open(button, (emoji) => this.react(message, emoji, true), done);
    }
    else if (action === "toggle-reaction") {
      this.react(message, button.dataset.emoji, button.getAttribute("aria-pressed") !== "true");
    } else if (action === "reply") {
      this.closeTools(li, false);
      this.hooks.reply(message);
    } else if (action === "edit") this.startEdit(message, button);
    else if (action === "delete") this.remove(message, button);
    else if (action === "pin" || action === "unpin") {
      this.call(action === "pin" ? "PUT" : "DELETE", `/api/v1/rooms/${this.roomId}/pins/${message.id}`);
    } else if (action === "copy-link") this.copyLink(message);
    else if (action === "history") toggleHistory(this.roomId, li, message, button, renderText);
  }

  keydown(event) {
    if (event.key !== "Escape") return;
    const li = event.target.closest("li.msg.tools-open");
    if (li && !event.target.closest("textarea")) {
      event.preventDefault();
      this.closeTools(li, true);
    }
  }

  toggleTools(li) {
    if (li.classList.contains("tools-open")) this.closeTools(li, true);
    else this.openTools(li, true);
  }

  openTools(li, focus) {
    for (const other of this.timeline.list.querySelectorAll("li.tools-open")) {
      if (other !== li) this.closeTools(other, false);
    }
    li.classList.add("tools-open");
    li.querySelector(".msg-more")?.setAttribute("aria-expanded", "true");
    li.querySelector(".msg-tools")?.scrollIntoView({ block: "nearest" }); // below the fold on a phone
    if (focus) li.querySelector(".msg-tools button")?.focus({ preventScroll: true });
  }

  closeTools(li, focus) {
    li.classList.remove("tools-open");
    const more = li.querySelector(".msg-more");
    more?.setAttribute("aria-expanded", "false");
    if (focus) more?.focus();
  }

  react(message, emoji, add) {
    const path = `${this.base(message)}/reactions/${encodeURIComponent(emoji)}`;
    return this.call(add ? "PUT" : "DELETE", path); // the message_update frame shows it
  }

  remove(message, button) {
    if (!button.dataset.armed) {
      button.dataset.armed = "1";
      const label = button.textContent;
      button.textContent = t("confirm_again");
      setTimeout(() => {
        if (!button.isConnected) return;
        delete button.dataset.armed;
        button.textContent = label;
      }, CONFIRM_MS);
      return;
    }
    button.disabled = true;
    this.call("DELETE", this.base(message)).finally(() => {
      button.disabled = false;
    });
  }

  async copyLink(message) {
    const link = `${location.origin}/rooms/${this.roomId}#msg-${message.seq}`;
    try {
      await navigator.clipboard.writeText(link);
      this.hooks.status(t("link_copied"));
    } catch {
      this.hooks.status(t("link_is", { link }));
    }
  }

  // -- inline editing ----------------------------------------------------------------------

  /** Edit `message` in place; `returnTo` gets the focus back afterwards (the composer for ↑). */
  startEdit(message, returnTo) {
    if (this.editing) this.stopEdit(false);
    const li = this.timeline.bySeq.get(message.seq);
    if (!li) return;
    const form = document.createElement("form");
    form.className = "msg-edit";
    const label = document.createElement("label");
    label.className = "visually-hidden";
    label.htmlFor = `edit-${message.seq}`;
    label.textContent = t("edit_label");
    const input = document.createElement("textarea");
    input.id = `edit-${message.seq}`;
    input.rows = 2;
    input.value = String(message.body ?? "");
    const hint = document.createElement("p");
    hint.className = "field-hint";
    hint.textContent = t("edit_hint");
    const error = document.createElement("p");
    error.className = "field-error";
    error.setAttribute("role", "alert");
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "small";
    save.textContent = t("save");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary small";
    cancel.textContent = t("cancel");
    const row = document.createElement("div");
    row.className = "msg-edit-actions";
    row.append(save, cancel);
    form.append(label, input, hint, error, row);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveEdit();
    });
    cancel.addEventListener("click", () => this.stopEdit(true));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.saveEdit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.stopEdit(true);
      }
    });
    this.editing = { seq: message.seq, form, input, error, returnTo };
    this.mount(li);
    input.focus({ preventScroll: true });
    input.setSelectionRange(input.value.length, input.value.length);
    form.scrollIntoView({ block: "nearest" });
  }

  mount(li) {
    this.closeTools(li, false);
    li.classList.add("editing");
    li.querySelector(".msg-body").after(this.editing.form);
  }

  /** An update rebuilt the element being edited: keep the editor (unless it was deleted). */
  replaced(li, message) {
    if (!this.editing || this.editing.seq !== message.seq) return;
    if (message.deleted) {
      const { returnTo } = this.editing;
      this.editing = null;
      returnTo?.focus?.();
      return;
    }
    const hadFocus = document.activeElement === this.editing.input || !document.activeElement || document.activeElement === document.body;
    this.mount(li);
    if (hadFocus) this.editing.input.focus();
  }

  stopEdit(restoreFocus) {
    const editing = this.editing;
    if (!editing) return;
    this.editing = null;
    const li = editing.form.closest("li.msg");
    editing.form.remove();
    li?.classList.remove("editing");
    if (!restoreFocus) return;
    const target = editing.returnTo?.isConnected ? editing.returnTo : li?.querySelector(".msg-more");
    target?.focus();
  }

  async saveEdit() {
    const editing = this.editing;
    if (!editing) return;
    const message = this.timeline.message(editing.seq);
    const body = editing.input.value.trim();
    if (!message || body === String(message.body ?? "").trim()) return this.stopEdit(true);
    if (!body) {
      editing.error.textContent = t("edit_empty");
      return;
    }
    editing.input.disabled = true;
    try {
      const result = await api("PATCH", this.base(message), { body });
      const current = this.timeline.message(editing.seq);
      // only the sender edits: the answer's text is the newest, the rest may have moved on
      if (result && current && !current.deleted && current.body !== result.body) {
        const { html, edited_at: editedAt, mentions, mentions_room: mentionsRoom } = result;
        this.stopEdit(true);
        this.timeline.replace({ ...current, body: result.body, html, edited_at: editedAt, mentions, mentions_room: mentionsRoom });
        return;
      }
      this.stopEdit(true);
    } catch (error) {
      editing.input.disabled = false;
      editing.error.textContent = error instanceof ApiError ? errorText(error.code) : t("error");
      editing.input.focus();
    }
  }
}
