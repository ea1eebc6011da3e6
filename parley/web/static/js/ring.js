// Incoming calls on any page: a `call` frame with action `request` (the server sends call
// frames to every socket of the callee) shows a ringing banner with Accept, which opens the
// room and answers there (`/rooms/{id}?answer={caller}`, see call.js), and Decline, which
// sends `reject`. A page showing the call's room rings in its own call panel instead.
import { api } from "./api.js";
import { claimed, socket } from "./live.js";
import { notifyCall } from "./notify.js";
import { t } from "./page-data.js";

const RING_MS = 35_000; // a little longer than the caller's 30 s "No answer"

export class Ringer {
  constructor(root, { roomTitle, toast }) {
    this.root = root;
    this.roomTitle = roomTitle;
    this.toast = toast;
    this.text = root.querySelector("#ring-text");
    this.call = null; // {room_id, from, name}
    this.timer = null;
    this.note = null;
    root.querySelector("#ring-accept").addEventListener("click", () => this.accept());
    root.querySelector("#ring-decline").addEventListener("click", () => this.decline());
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.decline();
    });
  }

  async handle(frame) {
    if (claimed.has(frame.room_id) || typeof frame.from !== "number") return; // the room page rings
    if (frame.action === "request") {
      if (this.call) {
        if (this.call.from !== frame.from || this.call.room_id !== frame.room_id) {
          socket.send({ type: "call", room_id: frame.room_id, to: frame.from, action: "reject" });
        }
        return;
      }
      this.call = { room_id: frame.room_id, from: frame.from, name: t("someone") };
      this.show();
      this.call.name = await this.callerName(frame.room_id, frame.from);
      if (this.call?.from === frame.from) this.show();
      return;
    }
    const call = this.call;
    if (call && call.from === frame.from && call.room_id === frame.room_id) {
      if (frame.action === "hangup" || frame.action === "reject") {
        this.stop();
        this.toast(t("shell_missed_call", { name: call.name }));
      }
    }
  }

  async callerName(roomId, memberId) {
    try {
      const page = await api("GET", `/api/v1/rooms/${roomId}/members`);
      return page.items.find((member) => member.id === memberId)?.nickname ?? t("someone");
    } catch {
      return t("someone");
    }
  }

  show() {
    const { room_id: roomId, from, name } = this.call;
    const text = t("shell_ringing", { name, room: this.roomTitle(roomId) });
    this.text.textContent = text;
    const first = this.root.hidden;
    this.root.hidden = false;
    this.root.dataset.room = String(roomId);
    this.root.dataset.from = String(from);
    if (first) {
      this.root.querySelector("#ring-accept").focus();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.stop(), RING_MS);
    }
    this.note?.close();
    this.note = notifyCall(text, this.href());
  }

  href() {
    return `/rooms/${this.call.room_id}?answer=${this.call.from}`;
  }

  accept() {
    if (!this.call) return;
    const href = this.href();
    this.stop();
    location.href = href; // the room page answers (and the caller's offer follows)
  }

  decline() {
    if (!this.call) return;
    socket.send({ type: "call", room_id: this.call.room_id, to: this.call.from, action: "reject" });
    this.stop();
  }

  stop() {
    clearTimeout(this.timer);
    this.note?.close();
    this.note = null;
    this.call = null;
    this.root.hidden = true;
  }
}
