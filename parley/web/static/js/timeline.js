// The message list: confirmed messages in seq order, each shown once (deduplicated by seq
// and by client_msg_id), own messages pending at the bottom until their ack or their echo,
// older pages prepended without moving what the reader is looking at.
import { data, t } from "./page-data.js";
import { confirmElement, messageElement } from "./render.js";

const NEAR_BOTTOM_PX = 120;

export class Timeline {
  constructor(list, scroller) {
    this.list = list;
    this.scroller = scroller;
    this.bySeq = new Map();
    this.pending = new Map(); // client_msg_id -> {li, body, sent}
    this.newest = 0;
    this.oldest = null;
    this.divider = null;
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Where a confirmed message with `seq` goes: before the first later one or the pending. */
  anchorFor(seq) {
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      if (node.dataset.seq && Number(node.dataset.seq) < seq) return node.nextElementSibling;
    }
    return this.list.firstElementChild;
  }

  /** Add a confirmed message (history or live); returns true if it was new. */
  add(message) {
    if (this.bySeq.has(message.seq)) return false;
    const own = message.client_msg_id && data.me && message.sender && message.sender.id === data.me.id;
    const waiting = own ? this.pending.get(message.client_msg_id) : undefined;
    let li;
    if (waiting) {
      li = waiting.li;
      this.pending.delete(message.client_msg_id);
      confirmElement(li, message.seq, message.created_at);
    } else {
      li = messageElement(message);
    }
    this.list.insertBefore(li, this.anchorFor(message.seq));
    this.bySeq.set(message.seq, li);
    this.newest = Math.max(this.newest, message.seq);
    this.oldest = this.oldest === null ? message.seq : Math.min(this.oldest, message.seq);
    return true;
  }

  /** An ack for one of our sends: the pending element becomes that seq (unless already there). */
  ack(frame) {
    const waiting = this.pending.get(frame.client_msg_id);
    if (!waiting) return;
    this.pending.delete(frame.client_msg_id);
    if (this.bySeq.has(frame.seq)) {
      waiting.li.remove(); // the echo arrived first and is already shown
      return;
    }
    confirmElement(waiting.li, frame.seq, null);
    this.list.insertBefore(waiting.li, this.anchorFor(frame.seq));
    this.bySeq.set(frame.seq, waiting.li);
    this.newest = Math.max(this.newest, frame.seq);
  }

  /** `extra`: `{to, to_name, attachments, files}` of a whisper or a message with files. */
  addPending(clientMsgId, body, extra = {}) {
    const li = messageElement({
      kind: extra.to ? "whisper" : "text",
      body,
      to: extra.to,
      to_name: extra.to_name,
      attachments: extra.files,
      client_msg_id: clientMsgId,
      sender: data.me,
      created_at: new Date().toISOString(),
    });
    li.classList.add("pending");
    li.querySelector(".msg-status").textContent = t("sending");
    this.list.append(li);
    this.pending.set(clientMsgId, { li, body, to: extra.to, attachments: extra.attachments });
    this.scrollToBottom();
  }

  markFailed(clientMsgId, reason, retry) {
    const waiting = this.pending.get(clientMsgId);
    if (!waiting) return;
    waiting.li.classList.add("failed");
    waiting.li.querySelector(".msg-status").textContent = `${t("failed")}: ${reason}`;
    if (!waiting.li.querySelector(".msg-retry")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-button msg-retry";
      button.textContent = t("retry");
      button.addEventListener("click", () => {
        waiting.li.classList.remove("failed");
        waiting.li.querySelector(".msg-status").textContent = t("sending");
        button.remove();
        retry(clientMsgId);
      });
      waiting.li.querySelector(".msg-head").append(button);
    }
  }

  /** Prepend an older page, keeping the visible messages where they are. */
  prepend(items) {
    const before = this.scroller.scrollHeight - this.scroller.scrollTop;
    for (const message of items) this.add(message);
    this.scroller.scrollTop = this.scroller.scrollHeight - before;
  }

  /** The "new messages" line before the first unread message someone else wrote. */
  markUnread(lastReadSeq) {
    for (const [seq, li] of [...this.bySeq.entries()].sort((a, b) => a[0] - b[0])) {
      if (seq > lastReadSeq && !li.classList.contains("mine") && !li.classList.contains("system")) {
        this.divider = document.createElement("li");
        this.divider.className = "divider";
        this.divider.setAttribute("role", "separator");
        this.divider.textContent = t("new_messages");
        this.list.insertBefore(this.divider, li);
        return this.divider;
      }
    }
    return null;
  }

  /** Forget every confirmed message (after a `reset`); pending sends stay. */
  clear() {
    for (const li of this.bySeq.values()) li.remove();
    this.divider?.remove();
    this.bySeq.clear();
    this.newest = 0;
    this.oldest = null;
  }
}
